"""What the browser checks share: a real server on a free port (restartable
on the same port and data), JSON calls to it, checks, and Debian's Chromium
under Playwright (`CHROMIUM`, default /usr/bin/chromium)."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

TIMEOUT_MS = 15_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None):
    """One JSON request; returns (status, parsed body or None)."""
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, None


def check(condition, what):
    if not condition:
        sys.exit(f"FAILED: {what}")
    print(f"ok: {what}")


def launch(playwright):
    """Headless Chromium from the system (Playwright can't download one)."""
    return playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"))


class Server:
    """`backend-api serve` in `work` (SQLite there) on a free loopback port,
    with `env` added; stop() and start() again keep the port and the data."""

    def __init__(self, binary, work, **env):
        self.binary, self.work, self.process = binary, work, None
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
        self.env.update(APP_ADDR=f"127.0.0.1:{self.port}", RUST_LOG="warn", **env)

    def start(self):
        log = open(os.path.join(self.work, "server.log"), "a")
        self.process = subprocess.Popen([self.binary, "serve"], cwd=self.work, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"the server exited; see {self.work}/server.log")
            try:
                urllib.request.urlopen(self.base + "/health/ready", timeout=5)
                return self
            except OSError:
                time.sleep(0.2)
        sys.exit("the server did not get ready")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None

    def cli(self, *args):
        """Runs the binary's command line against the same data."""
        subprocess.run([self.binary, *args], cwd=self.work, env=self.env, check=True,
                       stdout=subprocess.DEVNULL, timeout=60)
