// The console's shell: resumes the session from the refresh cookie, routes
// by the URL fragment (#/items, #/agents, …) to one page module at a time,
// shows the socket's state and any sign-out. A page module exports
// `render(root, context)` and may return a cleanup function; a new page
// (agent commands, access tokens, MFA, the audit log) is one more entry in
// PAGES and one more link in index.html's nav.

import { adoptRefreshToken, api, logout, onSignedOut, refresh } from "./api.js";
import * as live from "./live.js";
import { forgotPassword, openMailLink } from "./mail_links.js";
import * as auth from "./pages/auth.js";
import * as items from "./pages/items.js";
import * as agents from "./pages/agents.js";
import * as chat from "./pages/chat.js";
import * as account from "./pages/account.js";
import * as users from "./pages/users.js";

const PAGES = { items, agents, chat, account, users };
const SIGNED_OUT_PAGES = { signin: auth.signIn, signup: auth.signUp, forgot: forgotPassword };

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const notice = document.getElementById("notice");
const liveStatus = document.getElementById("live-status");
const context = { user: null, signIn, signOut, notify };
let cleanup = null;

const STATUS_TEXT = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", off: "" };
live.onStatus((state) => {
  liveStatus.textContent = STATUS_TEXT[state];
  liveStatus.className = state === "live" ? "live" : state === "off" ? "" : "down";
  liveStatus.dataset.state = state;
});

/** Shows a message above the page (`null` hides it). */
function notify(text) {
  notice.textContent = text ?? "";
  notice.hidden = !text;
}

async function loadUser() {
  context.user = await api("GET", "/users/me");
  nav.hidden = false;
  document.getElementById("nav-users").hidden = context.user.role !== "admin";
  live.start();
}

/** After a successful sign-in: the user, the socket, the items page. */
async function signIn() {
  notify(null);
  await loadUser();
  if (location.hash.startsWith("#/items")) route();
  else location.hash = "#/items";
}

/** Signs out on request. */
async function signOut() {
  live.stop();
  await logout();
  ended(null);
}

function ended(reason) {
  live.stop();
  context.user = null;
  nav.hidden = true;
  notify(reason);
  if (location.hash === "#/signin") route();
  else location.hash = "#/signin";
}

onSignedOut((reason) => ended(reason));

function route() {
  const name = location.hash.replace(/^#\/?/, "").split("?")[0] || "items";
  if (cleanup) cleanup();
  cleanup = null;
  if (!context.user) {
    const page = SIGNED_OUT_PAGES[name] ?? SIGNED_OUT_PAGES.signin;
    cleanup = page(main, context) ?? null;
    return;
  }
  const page = PAGES[name] ?? PAGES.items;
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  cleanup = page.render(main, context) ?? null;
}

window.addEventListener("hashchange", () => {
  // Another mail link opened in the same tab changes only the fragment.
  if (!openMailLink(main)) route();
  // Keyboard and screen-reader users start at the new page (unless the page
  // focused one of its fields itself).
  if (!main.contains(document.activeElement)) main.focus();
});

// An OAuth sign-in lands here with the pair in the fragment
// (OAUTH_SUCCESS_REDIRECT pointing at /console): trade it for the cookie.
async function fromOAuthRedirect() {
  const params = new URLSearchParams(location.hash.slice(1));
  const refreshToken = params.get("refresh_token");
  if (!refreshToken) return false;
  history.replaceState(null, "", location.pathname + "#/items");
  await adoptRefreshToken(refreshToken);
  return true;
}

async function boot() {
  // A mail link (/console/verify-email#token=…) opens its own page only.
  if (openMailLink(main)) return;
  document.getElementById("sign-out")?.remove();
  nav.append(signOutButton());
  try {
    if ((await fromOAuthRedirect()) || (await refresh())) await loadUser();
  } catch (err) {
    notify(`Could not resume the session: ${err.message}`);
  }
  route();
}

function signOutButton() {
  const button = document.createElement("button");
  button.type = "button";
  button.id = "sign-out";
  button.className = "secondary";
  button.textContent = "Sign out";
  button.addEventListener("click", () => signOut());
  return button;
}

boot();
