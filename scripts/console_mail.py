"""The console's mail-link pages in the browser check: the links are read
from the `.eml` files the server's default file mailer writes to
`<work>/data/mail` (MAIL_URL=file://data/mail), as a person would click them.

    mail_links(side, server, password) — `side` is a console_check.Browser.
"""
import email
import email.policy
import os
import re
import time

from playwright.sync_api import expect

from browser_support import call, check

MAIL_WAIT_SECS = 30  # the sender polls about every second


def wait_link(work, to, page):
    """The link to `page` (verify-email, …) in the newest message to `to`,
    waiting for it to be written; each message's link is returned once."""
    folder = os.path.join(work, "data", "mail")
    pattern = re.compile(r"https?://\S+/" + re.escape(page) + r"#token=[A-Za-z0-9_\-.~%]+")
    deadline = time.monotonic() + MAIL_WAIT_SECS
    while time.monotonic() < deadline:
        names = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
        for name in reversed([n for n in names if n.endswith(".eml") and n not in wait_link.seen]):
            with open(os.path.join(folder, name), "rb") as f:
                message = email.message_from_binary_file(f, policy=email.policy.default)
            if to not in str(message["To"]):
                continue
            found = pattern.search(message.get_body(preferencelist=("plain",)).get_content())
            if found:
                wait_link.seen.add(name)
                return found.group(0)
        time.sleep(0.2)
    raise SystemExit(f"FAILED: no {page} mail to {to} within {MAIL_WAIT_SECS} s")


wait_link.seen = set()


def mail_links(side, server, password):
    """Register → the verification link verifies (once); forgot password →
    the reset link sets a new password → sign in with it; an email change's
    confirmation link confirms the new address, or shows it taken."""
    page, address = side.page, "cy@example.com"
    status, _ = call(server.base, "POST", "/api/v1/auth/register", {"email": address, "password": password})
    check(status == 201, "register over REST (a verification mail is sent)")
    link = wait_link(server.work, address, "verify-email")
    check(link.startswith(server.base + "/console/verify-email#token="), "the mail links to the console")
    page.goto(link)
    expect(page.locator("#mail-link-result")).to_contain_text("Email verified: cy@example.com")
    check("token" not in page.url, f"the verification link verifies; the token left the address bar ({page.url})")
    page.goto(link)
    expect(page.locator("#mail-link-result")).to_contain_text("already used")
    check(True, "the same link again is shown as invalid or used")

    page.goto(server.base + "/console#/signin")
    page.get_by_role("link", name="Forgot password?").click()
    forgot = page.locator("#forgot-form")
    forgot.get_by_label("Email").fill(address)
    forgot.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#forgot-sent")).to_contain_text("If an account exists")
    check(True, "forgot password says a link was sent if the account exists")
    page.goto(wait_link(server.work, address, "reset-password"))
    new_password = password + " again"
    page.get_by_label("New password (8–128 characters)").fill(new_password)
    page.get_by_role("button", name="Set password").click()
    expect(page.locator("#mail-link-result")).to_contain_text("password was changed")
    check("token" not in page.url, "the reset link sets a new password; the token left the address bar")
    page.get_by_role("link", name="Sign in").click()
    page.locator("#signin-form").get_by_label("Email").fill(address)
    page.locator("#signin-form").get_by_label("Password").fill(new_password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#create-item").wait_for()
    check(True, "signing in with the new password works")

    status, pair = call(server.base, "POST", "/api/v1/auth/login", {"email": address, "password": new_password})
    check(status == 200, "log in over REST with the new password")
    for new, taken in (("cy.new@example.com", False), ("taken@example.com", True)):
        status, _ = call(server.base, "PATCH", "/api/v1/users/me",
                         {"email": new, "password": {"current": new_password}}, pair["access_token"])
        check(status == 200, f"start an email change to {new}")
        link = wait_link(server.work, new, "confirm-email")
        if taken:
            status, _ = call(server.base, "POST", "/api/v1/auth/register", {"email": new, "password": password})
            check(status == 201, f"{new} is registered by someone else meanwhile")
        page.goto(link)
        expected = "taken by another account" if taken else f"Your address is now {new}"
        expect(page.locator("#mail-link-result")).to_contain_text(expected)
        check("token" not in page.url, f"the confirmation link shows: {expected}")
