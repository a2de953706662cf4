"""Seeds a benchmark server through its API (used by the `make bench` scripts).

    seed.py token URL                 register + log in the bench user; print its access token
    seed.py items URL TOKEN N FILE    create N items; write their ids to FILE
    seed.py agents URL TOKEN N FILE   register N agents; write their tokens to FILE
"""
import http.client
import json
import sys
import urllib.parse


class Api:
    def __init__(self, base, token=None):
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port)
        self.token = token

    def call(self, method, path, body=None, expect=(200, 201)):
        headers = {"content-type": "application/json"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status not in expect:
            sys.exit(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data) if data else None


def token(base):
    api = Api(base)
    credentials = {"email": "bench@example.com", "password": "benchmark password"}
    api.call("POST", "/api/v1/auth/register", credentials, expect=(201, 409))
    print(api.call("POST", "/api/v1/auth/login", credentials)["access_token"])


def items(base, token, count, path):
    api = Api(base, token)
    ids = []
    for n in range(count):
        body = {"name": f"Item {n:05}", "description": "seeded by make bench",
                "attributes": {"color": "red", "size": n % 7, "tags": ["a", "b"],
                               "dims": {"w": n, "h": 2 * n}}}
        ids.append(api.call("POST", "/api/v1/items", body)["id"])
    with open(path, "w") as out:
        out.write("\n".join(ids) + "\n")


def agents(base, token, count, path):
    api = Api(base, token)
    tokens = []
    for n in range(count):
        body = {"name": f"probe-{n:05}", "capabilities": {"heartbeat": True},
                "metadata": {"site": f"site-{n % 10}"}}
        tokens.append(api.call("POST", "/api/v1/agents", body)["token"])
    with open(path, "w") as out:
        out.write("\n".join(tokens) + "\n")


if __name__ == "__main__":
    command, base, *rest = sys.argv[1:]
    if command == "token":
        token(base)
    elif command == "items":
        items(base, rest[0], int(rest[1]), rest[2])
    elif command == "agents":
        agents(base, rest[0], int(rest[1]), rest[2])
    else:
        sys.exit(__doc__)
