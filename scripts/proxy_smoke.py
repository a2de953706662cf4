#!/usr/bin/env python3
"""The smoke test of scripts/proxy-smoke.sh: two backend-api instances
behind nginx. Everything goes through the proxy except two writes, sent to
each instance directly so that a WebSocket event certainly crosses
instances. Exits non-zero with a message on the first failure.

Needs the `websockets` package (the shell script installs it)."""

import argparse
import asyncio
import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid

import websockets

WAIT = 15.0


def call(method, url, body=None, token=None):
    """(status, parsed JSON body or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None


def expect(status, wanted, what):
    if status != wanted:
        raise SystemExit(f"FAIL {what}: status {status}, wanted {wanted}")
    print(f"ok   {what}")


async def frame(socket, test, what):
    """The first JSON frame for which `test` holds, within WAIT seconds."""
    deadline = time.monotonic() + WAIT
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit(f"FAIL {what}: no such frame within {WAIT} s")
        message = json.loads(await asyncio.wait_for(socket.recv(), left))
        if test(message):
            return message


def exited(pid):
    """Whether the process is gone (or a zombie its parent has yet to reap)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


class Load:
    """Requests through the proxy from `workers` threads, each one after
    another, until stopped: reads and creates of items. Records every
    failure."""

    def __init__(self, proxy, token, item, workers=4):
        self.proxy, self.token, self.item = proxy, token, item
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.count, self.failures = 0, []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(workers)]
        for thread in self.threads:
            thread.start()

    def one(self, n):
        if n % 2:
            status, _ = call("POST", f"{self.proxy}/api/v1/items", {"name": f"load {n}"}, self.token)
            return status == 201, status
        status, _ = call("GET", f"{self.proxy}/api/v1/items/{self.item}", token=self.token)
        return status == 200, status

    def run(self):
        n = 0
        while not self.done.is_set():
            try:
                ok, status = self.one(n)
                failure = None if ok else f"status {status}"
            except Exception as error:  # a refused or reset connection
                failure = repr(error)
            with self.lock:
                self.count += 1
                if failure:
                    self.failures.append(failure)
            n += 1

    def stop(self):
        self.done.set()
        for thread in self.threads:
            thread.join()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy", required=True, help="http://127.0.0.1:PORT of nginx")
    parser.add_argument("--one", required=True, help="instance one, directly")
    parser.add_argument("--two", required=True, help="instance two, directly")
    parser.add_argument("--two-pid", type=int, required=True, help="instance two's pid")
    args = parser.parse_args()
    proxy, ws_proxy = args.proxy, args.proxy.replace("http", "ws", 1)

    # Health: twice each, so that round robin reaches both instances.
    for _ in range(2):
        expect(call("GET", f"{proxy}/health/live")[0], 200, "GET /health/live via nginx")
        expect(call("GET", f"{proxy}/health/ready")[0], 200, "GET /health/ready via nginx")

    credentials = {"email": f"smoke-{uuid.uuid4().hex[:12]}@example.com",
                   "password": "correct horse battery staple"}
    expect(call("POST", f"{proxy}/api/v1/auth/register", credentials)[0], 201, "register")
    status, pair = call("POST", f"{proxy}/api/v1/auth/login", credentials)
    expect(status, 200, "login")
    token = pair["access_token"]
    status, item = call("POST", f"{proxy}/api/v1/items", {"name": "smoke"}, token)
    expect(status, 201, "create an item")

    # A socket through nginx sees the items created on each instance.
    headers = {"authorization": f"Bearer {token}"}
    async with websockets.connect(f"{ws_proxy}/ws", additional_headers=headers) as socket:
        await socket.send(json.dumps({"type": "join", "room": "items"}))
        await frame(socket, lambda m: m["type"] == "joined", "joined items")
        print("ok   WebSocket upgrade via nginx, joined items")
        created = []
        for name, base in (("one", args.one), ("two", args.two)):
            status, body = call("POST", f"{base}/api/v1/items", {"name": f"on {name}"}, token)
            expect(status, 201, f"create an item on instance {name} directly")
            created.append(body["id"])
        for item_id in created:
            await frame(socket, lambda m: m.get("event") == "item.created"
                        and m["data"]["id"] == item_id, f"event for {item_id}")
        print("ok   the socket saw the items created on both instances (one crossed over)")

    # An agent's socket through nginx (/ws/agent).
    status, agent = call("POST", f"{proxy}/api/v1/agents", {"name": "smoke-agent"}, token)
    expect(status, 201, "create an agent")
    agent_headers = {"authorization": f"Bearer {agent['token']}"}
    async with websockets.connect(f"{ws_proxy}/ws/agent", additional_headers=agent_headers) as socket:
        await socket.send(json.dumps({"type": "ping", "id": 1}))
        await frame(socket, lambda m: m["type"] == "pong", "agent pong")
        print("ok   agent WebSocket via nginx")

    # Stop instance two under load: no request through nginx may fail.
    load = Load(proxy, token, item["id"])
    await asyncio.sleep(1.0)
    before = load.count
    os.kill(args.two_pid, signal.SIGTERM)
    deadline = time.monotonic() + WAIT
    while not exited(args.two_pid):
        if time.monotonic() > deadline:
            raise SystemExit("FAIL instance two did not stop after SIGTERM")
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)
    load.stop()
    if load.failures:
        raise SystemExit(f"FAIL requests failed while instance two stopped: {load.failures[:5]}")
    if load.count - before < 20:
        raise SystemExit(f"FAIL too few requests around the stop ({load.count - before})")
    print(f"ok   instance two stopped (SIGTERM) under load: {load.count} requests"
          f" from {len(load.threads)} threads, none failed")
    for _ in range(2):
        expect(call("GET", f"{proxy}/health/ready")[0], 200, "GET /health/ready via nginx after the stop")


if __name__ == "__main__":
    asyncio.run(main())
