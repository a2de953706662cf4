"""What a browser sees, in headless Chromium (Playwright), against a real server.

    browser_check.py SERVER_BINARY

1. Swagger UI at /docs: "Authorize" with the OAuth2 password flow, then
   "Try it out" on GET /api/v1/users/me answers 200; no request leaves for
   another host (the validator badge).
2. docs/realtime.md's browser client, as written, on a page of another
   origin (in CORS_ORIGINS): it receives an item event, stops on a 1008
   `unauthorized` close (logout), and stops after one attempt when the
   upgrade is refused with 401 (a bad token) instead of retrying.
3. docs/realtime.md's EventSource client, as written, on that page: it
   receives an item event, and after a server restart its EventSource
   resumes from Last-Event-ID: the item written while it was away arrives,
   the one before does not arrive twice; after a logout the stream ends,
   the browser's reconnect is refused with 401 and the snippet stops.

The server runs on a free port with a fresh SQLite database in a scratch
folder and is stopped on exit. Exits non-zero on the first failed check.
"""
import http.server
import os
import re
import shutil
import sys
import tempfile
import threading

from playwright.sync_api import sync_playwright

from browser_support import TIMEOUT_MS, Server, call, check, launch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMAIL, PASSWORD = "ada@example.com", "correct horse battery"


def serve_page(html):
    """Serves `html` at / on a free loopback port (Chromium lets a page reach
    a loopback API only from a loopback page); returns its origin."""
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def swagger(browser, base):
    page = browser.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(base) else outside.append(r.url))
    page.goto(base + "/docs/")
    page.click("button.authorize")
    flow = page.locator(".auth-container").filter(has_text="oauth2_password")
    flow.locator("#oauth_username").fill(EMAIL)
    flow.locator("#oauth_password").fill(PASSWORD)
    flow.locator("button.authorize").click()
    flow.get_by_text("Authorized", exact=True).wait_for(timeout=TIMEOUT_MS)
    page.click("button.close-modal")
    operation = page.locator("#operations-users-me")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status")
    status.wait_for(timeout=TIMEOUT_MS)
    check(status.inner_text().strip() == "200", "Swagger UI: password flow, then GET /users/me → 200")
    check(not outside, f"Swagger UI calls no other host ({outside})")
    page.close()


def realtime_snippet(function):
    with open(os.path.join(ROOT, "docs", "realtime.md"), encoding="utf-8") as f:
        blocks = re.findall(r"```js\n(.*?)```", f.read(), re.S)
    return next(b for b in blocks if f"function {function}" in b)


# Counts the sockets the snippet opens; the watcher reports into `seen`.
HARNESS = """
window.seen = { events: [], signedOut: 0, sockets: 0, joined: false };
const Native = window.WebSocket;
window.WebSocket = function (url, protocols) {
  window.seen.sockets += 1;
  const ws = new Native(url, protocols);
  ws.addEventListener("message", (m) => {
    if (JSON.parse(m.data).type === "joined") window.seen.joined = true;
  });
  return ws;
};
window.streamed = { events: [], sources: 0, joined: 0, signedOut: 0 };
const NativeSource = window.EventSource;
window.EventSource = function (url, options) {
  window.streamed.sources += 1;
  const source = new NativeSource(url, options);
  source.addEventListener("joined", () => { window.streamed.joined += 1; });
  return source;
};
window.EventSource.CLOSED = NativeSource.CLOSED;
"""


def watch(page, api, token):
    page.evaluate("""([api, token]) => {
      window.watcher = watchItems({
        api, getAccessToken: () => token,
        onEvent: (name, item) => window.seen.events.push([name, item.name]),
        onResync: () => {},
        onSignedOut: () => { window.seen.signedOut += 1; },
      });
    }""", [api, token])


def client(browser, base, page_origin):
    page = browser.new_page()
    page.goto(page_origin + "/")
    status, pair = call(base, "POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
    check(status == 200, "log in")
    token = pair["access_token"]

    watch(page, base, token)
    page.wait_for_function("window.seen.joined", timeout=TIMEOUT_MS)
    call(base, "POST", "/api/v1/items", {"name": "Desk lamp"}, token)
    page.wait_for_function("window.seen.events.length > 0", timeout=TIMEOUT_MS)
    check(page.evaluate("window.seen.events[0]") == ["item.created", "Desk lamp"],
          "the snippet receives item.created")

    call(base, "POST", "/api/v1/auth/logout", None, token)
    page.wait_for_function("window.seen.signedOut === 1", timeout=TIMEOUT_MS)
    check(page.evaluate("window.seen.sockets") == 1, "logout (1008 unauthorized): no reconnect")

    page.evaluate("window.seen = { events: [], signedOut: 0, sockets: 0, joined: false }")
    watch(page, base, token)  # the revoked token: the upgrade is refused with 401
    page.wait_for_function("window.seen.signedOut === 1", timeout=TIMEOUT_MS)
    # The first retry would come 250-750 ms after a network failure.
    page.wait_for_timeout(1500)
    check(page.evaluate("window.seen.sockets") == 1, "401 at the upgrade: no retry")
    page.close()


def stream_client(browser, base, page_origin, restart):
    """The EventSource snippet: live, then resumed after `restart()`."""
    page = browser.new_page()
    page.goto(page_origin + "/")
    status, pair = call(base, "POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD})
    check(status == 200, "log in again")
    token = pair["access_token"]
    page.evaluate("""([api, token]) => {
      window.streamer = streamItems({
        api, getAccessToken: () => token,
        onEvent: (name, item) => window.streamed.events.push([name, item.name]),
        onResync: () => {},
        onSignedOut: () => { window.streamed.signedOut += 1; },
      });
    }""", [base, token])
    page.wait_for_function("window.streamed.joined === 1", timeout=TIMEOUT_MS)
    call(base, "POST", "/api/v1/items", {"name": "Before"}, token)
    page.wait_for_function("window.streamed.events.length === 1", timeout=TIMEOUT_MS)
    check(page.evaluate("window.streamed.events[0]") == ["item.created", "Before"],
          "the EventSource snippet receives item.created")

    restart()
    # Written before the EventSource is back (it waits about 3 s to reconnect).
    call(base, "POST", "/api/v1/items", {"name": "While away"}, token)
    page.wait_for_function("window.streamed.joined === 2", timeout=30_000)
    page.wait_for_function("window.streamed.events.length >= 2", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    check(page.evaluate("window.streamed.events") ==
          [["item.created", "Before"], ["item.created", "While away"]],
          "after a restart: resumed from Last-Event-ID, no gap, no duplicate")
    check(page.evaluate("window.streamed.sources") == 1, "the browser's own reconnect resumed")

    call(base, "POST", "/api/v1/auth/logout", None, token)
    page.wait_for_function("window.streamed.signedOut === 1", timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    check(page.evaluate("window.streamed.sources") == 1,
          "logout: the stream ends, the reconnect is refused (401), the snippet stops")
    page.close()


def main():
    binary = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="backend-api-browser.")
    # The client's page: another origin than the API, allowed by CORS_ORIGINS.
    snippets = realtime_snippet("watchItems") + realtime_snippet("streamItems")
    page_origin = serve_page(
        f"<!doctype html><script>{HARNESS}</script><script>{snippets}</script>")
    server = Server(binary, work, CORS_ORIGINS=page_origin).start()
    base = server.base

    def restart():
        server.stop()
        server.start()
    ok = False
    try:
        status, _ = call(base, "POST", "/api/v1/auth/register", {"email": EMAIL, "password": PASSWORD})
        check(status == 201, "register")
        with sync_playwright() as p:
            browser = launch(p)
            swagger(browser, base)
            client(browser, base, page_origin)
            stream_client(browser, base, page_origin, restart)
            browser.close()
        ok = True
    finally:
        server.stop()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"server log kept in {work}/server.log", file=sys.stderr)


if __name__ == "__main__":
    main()
