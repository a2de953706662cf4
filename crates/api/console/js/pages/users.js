// Users, for an admin: search by email or display name, disable or enable
// (disabling signs the user out everywhere at once), change the role.

import { api } from "../api.js";
import { form, h, mount, showError, when } from "../ui.js";

/** `#/users`. */
export function render(root, context) {
  const body = h("tbody", {});
  const error = h("p", { className: "error", role: "alert", hidden: true });
  const more = h("button", { type: "button", className: "secondary", hidden: true }, "Load more");
  let query = "";
  let cursor = null;

  if (context.user.role !== "admin") {
    mount(root, h("h1", {}, "Users"), h("p", {}, "Only an admin sees the users."));
    return;
  }

  function row(user) {
    const toggle = h("button", { type: "button", className: user.disabled ? "" : "danger" }, user.disabled ? "Enable" : "Disable");
    const role = h(
      "select",
      { "aria-label": `Role of ${user.email}` },
      ...["user", "admin"].map((r) => h("option", { value: r, selected: r === user.role }, r)),
    );
    const tr = h(
      "tr",
      { dataset: { email: user.email } },
      h("td", {}, user.email, h("div", { className: "meta" }, user.display_name)),
      h("td", {}, role),
      h("td", { className: "state" }, user.disabled ? "disabled" : "active"),
      h("td", { className: "hide-narrow" }, when(user.created_at)),
      h("td", {}, toggle),
    );
    const update = async (change) => {
      try {
        tr.replaceWith(row(await api("PATCH", `/users/${user.id}`, { body: change })));
      } catch (err) {
        showError(error, err);
      }
    };
    toggle.addEventListener("click", () => update({ disabled: !user.disabled }));
    role.addEventListener("change", () => update({ role: role.value }));
    return tr;
  }

  async function load(reset) {
    if (reset) {
      body.replaceChildren();
      cursor = null;
    }
    const params = new URLSearchParams({ limit: "50" });
    if (query) params.set("q", query);
    if (cursor) params.set("cursor", cursor);
    const page = await api("GET", `/users?${params}`);
    body.append(...page.data.map(row));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }

  const search = form(
    { role: "search", className: "row" },
    [
      h("input", { name: "q", type: "search", "aria-label": "Search users by email or name", placeholder: "Search" }),
      h("button", { type: "submit", className: "secondary" }, "Search"),
    ],
    async ({ q }) => {
      query = q.trim();
      await load(true);
    },
  );
  more.addEventListener("click", () => load(false).catch((err) => showError(error, err)));
  const table = h(
    "table",
    { id: "users" },
    h(
      "thead",
      {},
      h("tr", {}, ...["User", "Role", "State", "Created", ""].map((t, i) => h("th", { className: i === 3 ? "hide-narrow" : "" }, t))),
    ),
    body,
  );
  mount(root, h("h1", {}, "Users"), search, error, table, more);
  load(true).catch((err) => showError(error, err));
}
