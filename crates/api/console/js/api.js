// The API in browser mode: the access token lives in this module's memory
// only (never localStorage or sessionStorage); the refresh token is an
// HttpOnly cookie the page cannot read. Login and refresh send
// `X-Auth-Mode: cookie`; refresh and logout echo the CSRF token (the
// readable `csrf_token` cookie, else the one from the last response body)
// in `X-CSRF-Token`. The access token is refreshed shortly before it expires,
// and once more when a call answers 401.

const BASE = "/api/v1";
let access = null;
let csrf = null;
let timer = null;
let refreshing = null;
// Whether a session was established (so its loss is worth announcing).
let held = false;
const signedOutListeners = new Set();

/** A failed call: `status`, the problem document's `code` and `problem`. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
    this.problem = problem;
  }
}

/** Calls `fn(reason)` whenever the session ends without the user asking. */
export function onSignedOut(fn) {
  signedOutListeners.add(fn);
}

/** Ends the session locally and tells the listeners why. */
export function signedOut(reason) {
  if (!held) return;
  held = false;
  forget();
  for (const fn of signedOutListeners) fn(reason);
}

function forget() {
  access = null;
  csrf = null;
  clearTimeout(timer);
}

function cookie(name) {
  const prefix = `${name}=`;
  const found = document.cookie.split("; ").find((c) => c.startsWith(prefix));
  return found ? decodeURIComponent(found.slice(prefix.length)) : null;
}

// The cookie first: another tab of this browser may have rotated it since
// this one last refreshed.
function currentCsrf() {
  return cookie("csrf_token") || csrf;
}

function adopt(body) {
  held = true;
  access = body.access_token;
  csrf = body.csrf_token;
  clearTimeout(timer);
  // A minute early (or at 80 % of a short lifetime).
  const lead = Math.min(60, body.expires_in * 0.2);
  timer = setTimeout(() => refresh(), Math.max(1, body.expires_in - lead) * 1000);
}

async function send(method, path, { body, headers = {}, bearer = true } = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] ??= "application/json";
    init.body = JSON.stringify(body);
  }
  if (bearer && access) init.headers.authorization = `Bearer ${access}`;
  const response = await fetch(BASE + path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  return { response, data };
}

/** The current access token (refreshing it first if there is none). */
export async function accessToken() {
  if (!access && !(await refresh())) throw new ApiError(401, { detail: "signed out" });
  return access;
}

/** Whether a session is held in memory. */
export function signedIn() {
  return access !== null;
}

/** Rotates the refresh cookie for a new access token; `false` when the
 * session is gone. Concurrent callers share one request. */
export function refresh() {
  refreshing ??= (async () => {
    const token = currentCsrf();
    if (!token) return false;
    const { response, data } = await send("POST", "/auth/refresh", {
      headers: { "x-auth-mode": "cookie", "x-csrf-token": token },
      bearer: false,
    });
    if (response.ok) {
      adopt(data);
      return true;
    }
    if (response.status >= 500) throw new ApiError(response.status, data);
    forget();
    return false;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** One API call as the signed-in user; a 401 refreshes once and retries,
 * and ends the session when that fails too. Returns the parsed body. */
export async function api(method, path, options = {}) {
  let { response, data } = await send(method, path, options);
  if (response.status === 401 && options.bearer !== false) {
    if (await refresh().catch(() => false)) {
      ({ response, data } = await send(method, path, options));
    }
    if (response.status === 401) signedOut("Your session ended.");
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Signs in with a password, in browser mode. */
export async function login(email, password) {
  const { response, data } = await send("POST", "/auth/login", {
    body: { email, password },
    headers: { "x-auth-mode": "cookie" },
    bearer: false,
  });
  if (!response.ok) throw new ApiError(response.status, data);
  adopt(data);
}

/** Moves a token pair handed over by an OAuth redirect (in the URL
 * fragment) into browser mode: its refresh token is exchanged at once for
 * the cookie, so neither token stays in the page's URL or memory. */
export async function adoptRefreshToken(refreshToken) {
  const { response, data } = await send("POST", "/auth/refresh", {
    body: { refresh_token: refreshToken },
    headers: { "x-auth-mode": "cookie" },
    bearer: false,
  });
  if (!response.ok) throw new ApiError(response.status, data);
  adopt(data);
}

/** Registers an account (then sign in). */
export async function register(email, password, displayName) {
  const body = { email, password };
  if (displayName) body.display_name = displayName;
  const { response, data } = await send("POST", "/auth/register", { body, bearer: false });
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Signs out: the server revokes the session and clears the cookies. */
export async function logout() {
  const token = currentCsrf();
  await send("POST", "/auth/logout", {
    headers: token ? { "x-csrf-token": token } : {},
  }).catch(() => null);
  held = false;
  forget();
}

/** The configured OAuth providers' names (none when the call fails). */
export async function providers() {
  const { response, data } = await send("GET", "/auth/providers", { bearer: false }).catch(
    () => ({ response: { ok: false } }),
  );
  return response.ok && Array.isArray(data) ? data : [];
}
