// The pages behind the links in mail — `/console/verify-email#token=…`,
// `/console/reset-password#token=…`, `/console/confirm-email#token=…` — and
// the "Forgot password?" form that sends the reset link. The token is read
// from the fragment, removed from the address bar at once, and sent only to
// the API.

import { api } from "./api.js";
import { field, form, h, mount } from "./ui.js";

const INVALID = "This link is invalid, has expired or was already used.";
const TAKEN = "That address was taken by another account meanwhile; your address is unchanged.";

/** `#/forgot`: asks for a reset link; the answer never tells whether the
 * address has an account. */
export function forgotPassword(root) {
  const done = h("p", { id: "forgot-sent", role: "status", hidden: true });
  mount(
    root,
    h("h1", {}, "Forgot password"),
    form(
      { id: "forgot-form" },
      [
        field("Email", h("input", { name: "email", type: "email", autocomplete: "username", required: true })),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Send reset link")),
      ],
      async ({ email }) => {
        await call("/auth/password/forgot", { email });
        done.textContent = `If an account exists for ${email}, a link to reset its password was sent.`;
        done.hidden = false;
      },
    ),
    done,
    h("p", {}, h("a", { href: "#/signin" }, "Back to sign in")),
  );
  root.querySelector("input")?.focus();
}

/** When the page was opened from a mail link: renders its page and returns
 * `true` (else `false`, and nothing happens). */
export function openMailLink(root) {
  const name = location.pathname.replace(/\/+$/, "").split("/").pop();
  const page = PAGES[name];
  if (!page) return false;
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  history.replaceState(null, "", location.pathname);
  if (!token) {
    mount(root, h("h1", {}, page.title), outcome(false, "This link has no token: open it as it was mailed."));
  } else {
    page.render(root, token);
  }
  return true;
}

const PAGES = {
  "verify-email": { title: "Verify email", render: verifyEmail },
  "reset-password": { title: "Reset password", render: resetPassword },
  "confirm-email": { title: "Confirm new email", render: confirmEmail },
};

function verifyEmail(root, token) {
  const result = h("p", { role: "status" }, "Verifying…");
  mount(root, h("h1", {}, "Verify email"), result);
  call("/auth/email/verify", { token }).then(
    (user) => result.replaceWith(outcome(true, `Email verified: ${user.email}.`)),
    (err) => result.replaceWith(outcome(false, explain(err))),
  );
}

function confirmEmail(root, token) {
  const result = h("p", { role: "status" }, "Confirming…");
  mount(root, h("h1", {}, "Confirm new email"), result);
  call("/auth/email/confirm", { token }).then(
    (user) => result.replaceWith(outcome(true, `Your address is now ${user.email}.`)),
    (err) => result.replaceWith(outcome(false, explain(err))),
  );
}

function resetPassword(root, token) {
  mount(
    root,
    h("h1", {}, "Reset password"),
    form(
      { id: "reset-form" },
      [
        field(
          "New password (8–128 characters)",
          h("input", {
            name: "password",
            type: "password",
            autocomplete: "new-password",
            minLength: 8,
            maxLength: 128,
            required: true,
          }),
        ),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Set password")),
      ],
      async ({ password }) => {
        await call("/auth/password/reset", { token, password }).catch((err) => {
          throw err.code === "invalid_token" ? new Error(INVALID) : err;
        });
        mount(root, h("h1", {}, "Reset password"), outcome(true, "Your password was changed; every session was signed out."));
      },
    ),
  );
  root.querySelector("input")?.focus();
}

/** A result line and the way on: sign in (or the forgotten-password form). */
function outcome(ok, text) {
  return h(
    "div",
    { id: "mail-link-result", className: ok ? "done" : "failed" },
    h("p", { role: ok ? "status" : "alert", className: ok ? "" : "error" }, text),
    h("p", {}, h("a", { href: "/console#/signin" }, "Sign in"), " · ", h("a", { href: "/console#/forgot" }, "Forgot password?")),
  );
}

/** A failed call for people: a bad link, a taken address, else the API's words. */
function explain(err) {
  if (err.code === "invalid_token") return INVALID;
  return err.status === 409 ? TAKEN : err.message;
}

function call(path, body) {
  return api("POST", path, { body, bearer: false });
}
