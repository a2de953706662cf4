"""The web console (/console) in headless Chromium (Playwright), against a
real server.

    console_check.py SERVER_BINARY [--screenshots DIR]

1. Sign up and sign in (keyboard only in the second browser), create an
   item: it appears live in a second browser context of the same user;
   both edit it, the second save shows the version conflict and reloads;
   a delete disappears from both. No token in localStorage or
   sessionStorage, no CSP violation, no request to another host; at 375 px
   nothing scrolls sideways.
2. The server stops while the test writes over REST (through another
   instance on the same database meanwhile): the page shows
   "reconnecting…", comes back, resumes with `since` and shows every change
   exactly once.
3. Agents: a connected agent shows online with its heartbeat, then offline.
4. Chat between two users with presence.
5. An admin disables a user: that user's page shows they were signed out.
6. The mail links (scripts/console_mail.py): verify, reset, confirm.

With --screenshots, PNGs of the items, agents and chat pages go to DIR.
The server runs on a free port with a fresh SQLite database in a scratch
folder and is stopped on exit (also on failure); every wait is bounded.
"""
import os
import shutil
import signal
import sys
import tempfile

from playwright.sync_api import expect, sync_playwright

from browser_support import TIMEOUT_MS, Server, call, check, launch
from console_mail import mail_links

PASSWORD = "correct horse battery"
# Fixed secrets, so tokens outlive the restart; rate limits as by default,
# except the sign-in burst: one IP signs in five browsers within seconds.
SERVER_ENV = dict(JWT_SECRET="console-check-jwt-secret-0123456789abcdef",
                  SECRET_KEY="console-check-secret-key-0123456789abcdef",
                  RATE_LIMIT_AUTH_BURST="30")
WHOLE_RUN_SECS = 300


class Browser:
    """One browser context (its own cookie jar) on the console, recording
    CSP violations and requests to other hosts."""

    def __init__(self, browser, base):
        self.context = browser.new_context(viewport={"width": 1000, "height": 760})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base, self.problems = base, []
        self.page.on("console", lambda m: self.problems.append(m.text)
                     if "Content Security Policy" in m.text else None)
        self.page.on("request", lambda r: None if r.url.startswith((base, "data:")) else
                     self.problems.append(f"request to {r.url}"))
        self.page.goto(base + "/console")

    def sign_in(self, email, keyboard=False):
        page = self.page
        page.locator("#signin-form").wait_for()
        if keyboard:
            page.keyboard.type(email)  # the email field has focus
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
        else:
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
        page.locator("#create-item").wait_for()
        self.wait_live()

    def wait_live(self):
        expect(self.page.locator("#live-status")).to_have_attribute("data-state", "live")

    def item(self, name):
        return self.page.locator("#items > li").filter(has=self.page.locator(".name", has_text=name))

    def go(self, hash_):
        self.page.evaluate("h => { location.hash = h; }", hash_)

    def close(self):
        check(not self.problems, f"no CSP violation, no other host ({self.problems})")
        self.context.close()


def token_for(base, email):
    status, pair = call(base, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    check(status == 200, f"{email} logs in over REST")
    return pair["access_token"]


def items_live_and_conflict(browser, base):
    a = Browser(browser, base)
    a.page.get_by_role("link", name="Sign up").click()
    form = a.page.locator("#signup-form")
    form.get_by_label("Email").fill("ada@example.com")
    form.get_by_label("Display name (optional)").fill("Ada")
    form.get_by_label("Password (8–128 characters)").fill(PASSWORD)
    form.get_by_role("button", name="Create account").click()
    a.page.locator("#create-item").wait_for()
    a.wait_live()
    check(True, "sign up signs in and opens the items page")
    b = Browser(browser, base)
    b.sign_in("ada@example.com", keyboard=True)
    check(True, "sign in with the keyboard only")

    create = a.page.locator("#create-item")
    create.get_by_label("Name").fill("Desk lamp")
    create.get_by_label("Attributes (JSON object)").fill('{"color": "red"}')
    create.get_by_role("button", name="Create").click()
    b.item("Desk lamp").wait_for()
    check(True, "an item created in one context appears live in the other")

    for side in (a, b):
        side.item("Desk lamp").get_by_role("button", name="Edit").click()
    edit_a = a.page.locator(".edit-form")
    edit_a.get_by_label("Name").fill("Desk lamp (brass)")
    edit_a.get_by_role("button", name="Save").click()
    b.item("Desk lamp (brass)").wait_for()
    check(True, "the first save shows live in the other context")
    edit_b = b.page.locator(".edit-form")
    edit_b.get_by_label("Description").fill("by the window")
    edit_b.get_by_role("button", name="Save").click()
    conflict = edit_b.locator(".conflict")
    conflict.wait_for()
    check("Version conflict" in conflict.inner_text(), f"the second save shows the version conflict ({conflict.inner_text()!r})")
    conflict.get_by_role("button", name="Reload").click()
    expect(edit_b.get_by_label("Name")).to_have_value("Desk lamp (brass)")
    edit_b.get_by_label("Description").fill("by the window")
    edit_b.get_by_role("button", name="Save").click()
    a.page.locator("#items .description", has_text="by the window").wait_for()
    check(True, "after reloading, the second save goes through and shows live")

    a.item("Desk lamp (brass)").get_by_role("button", name="Delete").click()
    b.item("Desk lamp (brass)").wait_for(state="detached")
    check(True, "a delete disappears live from the other context")
    stored = a.page.evaluate("[localStorage.length, sessionStorage.length]")
    check(stored == [0, 0], "nothing in localStorage or sessionStorage")
    a.page.reload()
    a.page.locator("#create-item").wait_for()
    check(True, "a reload resumes the session from the refresh cookie")
    b.close()
    return a


def restart_catch_up(a, server, token):
    """Changes made while the page is disconnected reach it only by the
    replay of its join with `since`: they are written through another
    instance on the same database (whose events the restarted server has in
    its log but never fanned out)."""
    made = {}

    def create(base, name):
        status, item = call(base, "POST", "/api/v1/items", {"name": name}, token)
        check(status == 201, f"create {name}")
        made[name] = item["id"]

    for name in ("Before 1", "Before 2"):
        create(server.base, name)
    server.stop()
    expect(a.page.locator("#live-status")).to_have_text("reconnecting…")
    check(True, "a dropped connection shows reconnecting…")
    writer = Server(server.binary, server.work, **SERVER_ENV).start()
    create(writer.base, "While down 1")
    create(writer.base, "While down 2")
    call(writer.base, "PATCH", f"/api/v1/items/{made['Before 1']}", {"name": "Before 1 (renamed)"}, token)
    call(writer.base, "DELETE", f"/api/v1/items/{made['Before 2']}", None, token)
    writer.stop()
    server.start()
    create(server.base, "After")
    expected = ["After", "While down 2", "While down 1", "Before 1 (renamed)"]
    a.wait_live()
    expect(a.page.locator("#items .name")).to_have_text(expected)
    check(True, "after the restart the page shows every change exactly once, in order")


def agents_live(a, browser, base, token):
    status, agent = call(base, "POST", "/api/v1/agents",
                         {"name": "probe-1", "metadata": {"site": "lab", "rack": 4}}, token)
    check(status == 201, "register an agent")
    a.go("#/agents")
    card = a.page.locator("#agents > li", has_text="probe-1")
    card.locator(".badge", has_text="offline").wait_for()
    device = browser.new_context().new_page()  # the agent, as a program would connect
    device.goto(base + "/console/icon.svg")
    device.evaluate("""([url, token]) => new Promise((ok) => {
        window.agent = new WebSocket(url, ["bearer", token]);
        window.agent.onopen = () => {
          window.agent.send(JSON.stringify({type: "heartbeat", status: {cpu: 0.42, jobs: 3}}));
          ok();
        };
    })""", [base.replace("http", "ws") + "/ws/agent", agent["token"]])
    card.locator(".badge", has_text="online").wait_for()
    card.locator(".last-status", has_text='"cpu":0.42').wait_for()
    check(True, "an agent shows online with its last heartbeat, live")
    return device


def chat(a, browser, base):
    call(base, "POST", "/api/v1/auth/register",
         {"email": "bob@example.com", "password": PASSWORD, "display_name": "Bob"})
    bob = Browser(browser, base)
    bob.sign_in("bob@example.com")
    for side in (a, bob):
        side.go("#/chat?room=lobby")
    for side in (a, bob):
        side.page.locator("#present li", has_text="Ada").wait_for()
        side.page.locator("#present li", has_text="Bob").wait_for()
    check(True, "both users are present in chat:lobby")
    a.page.locator("#say").get_by_label("Message").fill("hello Bob")
    a.page.locator("#say").get_by_label("Message").press("Enter")
    bob.page.locator("#messages li", has_text="Ada: hello Bob").wait_for()
    bob.page.locator("#say").get_by_label("Message").fill("hi Ada")
    bob.page.get_by_role("button", name="Send").click()
    a.page.locator("#messages li", has_text="Bob: hi Ada").wait_for()
    check(True, "chat messages cross between the two users")
    return bob


def admin_disables(bob, browser, server):
    server.cli("user", "create", "--email", "root@example.com", "--password", PASSWORD, "--admin")
    admin = Browser(browser, server.base)
    admin.sign_in("root@example.com")
    admin.go("#/users")
    row = admin.page.locator("#users tr[data-email='bob@example.com']")
    row.get_by_role("button", name="Disable").click()
    row.locator(".state", has_text="disabled").wait_for()
    bob.page.locator("#notice", has_text="signed out").wait_for()
    bob.page.locator("#signin-form").wait_for()
    check(True, "a user disabled by an admin sees they were signed out")
    admin.close()


def narrow(a):
    a.page.set_viewport_size({"width": 375, "height": 760})
    for hash_ in ("#/items", "#/agents", "#/chat", "#/account"):
        a.go(hash_)
        a.page.locator("main h1").wait_for()
        a.page.wait_for_timeout(200)  # layout settles after the list loads
        width = a.page.evaluate("document.documentElement.scrollWidth")
        check(width <= 375, f"{hash_} at 375 px: nothing scrolls sideways ({width})")


def screenshots(a, bob, directory):
    # The chat first: both users are still in the room.
    shots = {"console-chat.png": (bob, "#/chat?room=lobby"), "console-items.png": (a, "#/items"),
             "console-agents.png": (a, "#/agents")}
    for name, (side, hash_) in shots.items():
        side.go(hash_)
        side.page.locator("main h1").wait_for()
        side.page.wait_for_timeout(300)
        side.page.screenshot(path=os.path.join(directory, name))
    print(f"screenshots in {directory}")


def main():
    binary = os.path.abspath(sys.argv[1])
    shots = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--screenshots" else None
    expect.set_options(timeout=TIMEOUT_MS)
    signal.alarm(WHOLE_RUN_SECS)  # a hung browser or server fails the run
    work = tempfile.mkdtemp(prefix="backend-api-console.")
    server = Server(binary, work, **SERVER_ENV).start()
    ok = False
    try:
        with sync_playwright() as p:
            browser = launch(p)
            a = items_live_and_conflict(browser, server.base)
            token = token_for(server.base, "ada@example.com")
            restart_catch_up(a, server, token)
            if shots:  # a few more items for the picture
                for name, attrs in (("Thermostat", {"room": "hall", "target": 20.5}),
                                    ("Camera 2", {"room": "garage"})):
                    call(server.base, "POST", "/api/v1/items", {"name": name, "attributes": attrs}, token)
            device = agents_live(a, browser, server.base, token)
            bob = chat(a, browser, server.base)
            if shots:
                screenshots(a, bob, shots)
            device.evaluate("window.agent.close()")
            a.go("#/agents")
            a.page.locator("#agents .badge", has_text="offline").wait_for()
            check(True, "the agent goes offline, live")
            admin_disables(bob, browser, server)
            mail_links(mail := Browser(browser, server.base), server, PASSWORD)
            mail.close()
            narrow(a)
            a.close()
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
