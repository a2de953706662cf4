// Signed-out pages: sign in (password, or a configured OAuth provider)
// and sign up (the forgotten-password form and the mail-link pages are in
// ../mail_links.js). The MFA step belongs here once the API has it.

import { login, providers, register } from "../api.js";
import { field, form, h, mount } from "../ui.js";

/** `#/signin`. */
export function signIn(root, context) {
  const oauth = h("div", { className: "row", "aria-label": "Sign in with" });
  mount(
    root,
    h("h1", {}, "Sign in"),
    form(
      { id: "signin-form" },
      [
        field("Email", h("input", { name: "email", type: "email", autocomplete: "username", required: true })),
        field(
          "Password",
          h("input", { name: "password", type: "password", autocomplete: "current-password", required: true }),
        ),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Sign in")),
      ],
      async ({ email, password }) => {
        await login(email, password);
        await context.signIn();
      },
    ),
    oauth,
    h("p", {}, h("a", { href: "#/forgot" }, "Forgot password?")),
    h("p", {}, "No account yet? ", h("a", { href: "#/signup" }, "Sign up")),
  );
  providers().then((names) => {
    for (const name of names) {
      const href = `/api/v1/auth/oauth/${encodeURIComponent(name)}/authorize`;
      oauth.append(h("a", { href, className: "oauth" }, `Sign in with ${name}`));
    }
  });
  root.querySelector("input")?.focus();
}

/** `#/signup`: registers, then signs in with the same credentials. */
export function signUp(root, context) {
  mount(
    root,
    h("h1", {}, "Sign up"),
    form(
      { id: "signup-form" },
      [
        field("Email", h("input", { name: "email", type: "email", autocomplete: "username", required: true })),
        field("Display name (optional)", h("input", { name: "display_name", autocomplete: "nickname" })),
        field(
          "Password (8–128 characters)",
          h("input", {
            name: "password",
            type: "password",
            autocomplete: "new-password",
            minLength: 8,
            maxLength: 128,
            required: true,
          }),
        ),
        h("div", { className: "row" }, h("button", { type: "submit" }, "Create account")),
      ],
      async ({ email, password, display_name }) => {
        await register(email, password, display_name);
        await login(email, password);
        await context.signIn();
      },
    ),
    h("p", {}, "Have an account? ", h("a", { href: "#/signin" }, "Sign in")),
  );
  root.querySelector("input")?.focus();
}
