// The account: display name, password change, sessions (revoke any, the
// current one signs out), deleting the account. Personal access tokens,
// MFA enrolment and activity become sections here once the API has them.

import { api } from "../api.js";
import { field, form, h, mount, showError, when } from "../ui.js";

/** `#/account`. */
export function render(root, context) {
  const user = context.user;
  const sessions = h("ul", { className: "list", id: "sessions" });
  const sessionError = h("p", { className: "error", role: "alert", hidden: true });

  async function loadSessions() {
    const list = await api("GET", "/auth/sessions");
    sessions.replaceChildren(
      ...list.map((s) => {
        const revoke = h("button", { type: "button", className: "secondary" }, s.current ? "Sign out here" : "Revoke");
        revoke.addEventListener("click", async () => {
          try {
            await api("DELETE", `/auth/sessions/${s.id}`);
            if (s.current) await context.signOut();
            else await loadSessions();
          } catch (err) {
            showError(sessionError, err);
          }
        });
        return h(
          "li",
          { className: "card" },
          h("strong", {}, s.user_agent || "unknown client", s.current ? " (this browser)" : ""),
          h("p", { className: "meta" }, `${s.ip || "?"} · signed in ${when(s.created_at)} · last used ${when(s.last_used_at)}`),
          revoke,
        );
      }),
    );
  }

  const profile = form(
    { id: "profile" },
    [
      h(
        "fieldset",
        {},
        h("legend", {}, "Profile"),
        h("p", { className: "meta" }, `${user.email} · ${user.role} · since ${when(user.created_at)}`),
        field("Display name", h("input", { name: "display_name", value: user.display_name, maxLength: 200 })),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Save")),
      ),
    ],
    async ({ display_name }) => {
      context.user = await api("PATCH", "/users/me", { body: { display_name } });
      context.notify("Saved.");
    },
  );
  const password = form(
    { id: "password" },
    [
      h(
        "fieldset",
        {},
        h("legend", {}, "Change password (signs out every other session)"),
        field("Current password", h("input", { name: "current", type: "password", autocomplete: "current-password", required: true })),
        field("New password", h("input", { name: "new", type: "password", autocomplete: "new-password", minLength: 8, maxLength: 128, required: true })),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Change password")),
      ),
    ],
    async (data, el) => {
      await api("PATCH", "/users/me", { body: { password: { current: data.current, new: data.new } } });
      el.reset();
      context.notify("Password changed; other sessions were signed out.");
      await loadSessions();
    },
  );
  const remove = form(
    { id: "delete-account" },
    [
      h(
        "fieldset",
        {},
        h("legend", {}, "Delete account"),
        h("p", {}, "Deletes the account with its items and agents. This cannot be undone."),
        field("Password", h("input", { name: "password", type: "password", autocomplete: "current-password", required: true })),
        h("div", { className: "row" }, h("button", { type: "submit", className: "danger" }, "Delete my account")),
      ),
    ],
    async ({ password: pw }) => {
      await api("DELETE", "/users/me", { body: { password: pw } });
      await context.signOut();
      context.notify("The account was deleted.");
    },
  );
  mount(
    root,
    h("h1", {}, "Account"),
    profile,
    password,
    h("h2", {}, "Sessions"),
    sessionError,
    sessions,
    remove,
  );
  loadSessions().catch((err) => showError(sessionError, err));
}
