# The commands the README names. `make run` needs only a Rust toolchain;
# `make test` also needs python3 (Schemathesis and Playwright go into .venv/),
# Node with npm (the AsyncAPI parser) and Chromium (installed from Debian by
# .ci/run when missing).

CARGO ?= cargo
NEXTEST := $(shell $(CARGO) nextest --version >/dev/null 2>&1 && echo yes)

.PHONY: run build release test test-unit lint fmt readme-walkthrough browser-check console-screenshots schemathesis asyncapi-check migrate-status bench proxy-smoke clean-test-databases

## Start the server on the embedded default (SQLite in ./data, in-process fan-out).
run:
	$(CARGO) run -p server --bin backend-api -- serve

## Debug build of everything.
build:
	$(CARGO) build --workspace

## Optimised binary at target/release/backend-api.
release:
	$(CARGO) build --release -p server --bin backend-api

## Format check, lints, every test (PostgreSQL ones when TEST_DATABASE_URL is set),
## the README's walk-through, the AsyncAPI document's validation, the browser
## checks, then Schemathesis.
test: lint test-unit readme-walkthrough asyncapi-check browser-check schemathesis

test-unit:
ifeq ($(NEXTEST),yes)
	$(CARGO) nextest run --workspace --no-fail-fast
else
	$(CARGO) test --workspace --no-fail-fast --tests
endif
	$(CARGO) test --workspace --doc

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

## The README's "Walk-through with curl" run verbatim against a fresh server
## (default settings, rate limits on): any unexpected status >= 400 fails.
readme-walkthrough:
	bash scripts/readme-walkthrough.sh

## Headless Chromium (installed from Debian if missing; Playwright from PyPI
## into .venv/): Swagger UI's password-flow "Authorize" then "Try it out",
## docs/realtime.md's browser client as written, and the web console
## (/console: live items, conflicts, reconnects, agents, chat, sign-outs).
browser-check:
	bash scripts/browser-check.sh

## The console's screenshots in docs/ (the browser check, taking pictures).
console-screenshots:
	bash scripts/browser-check.sh --screenshots docs

## /asyncapi.json validated by the AsyncAPI parser (@asyncapi/parser, pinned
## in scripts/asyncapi/package-lock.json, installed by npm into
## scripts/asyncapi/node_modules/; needs Node).
asyncapi-check:
	bash scripts/asyncapi-check.sh

## Schemathesis (pinned, from PyPI into .venv/) against the real server on SQLite:
## fails on any 5xx, schema-breaking response or undocumented status code.
schemathesis:
	bash scripts/schemathesis.sh

## Load tests on PostgreSQL, numbers in docs/benchmarks.md: REST with wrk
## (installed from Debian if missing) against a bare actix-web + sqlx
## handler, then WebSocket fan-out, 10,000 idle sockets and 5,000
## heartbeating agents with the load tool of benches/load.
bench:
	bash scripts/bench.sh
	bash scripts/ws-bench.sh

## Show which migrations are applied to DATABASE_URL.
migrate-status:
	$(CARGO) run -p server --bin backend-api -- migrate status

## Two instances behind nginx on loopback (PostgreSQL, Redis; nginx installed
## from Debian if missing) and a smoke test through the proxy, including a
## WebSocket event crossing instances and an instance stopped under load.
## Not part of `make test`; see scripts/proxy-smoke.sh and docs/operations.md.
proxy-smoke:
	bash scripts/proxy-smoke.sh

## Drop leftover test databases (test_*) on TEST_DATABASE_URL's server.
clean-test-databases:
	psql "$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -Atc \
	  "SELECT 'DROP DATABASE \"' || datname || '\" WITH (FORCE);' FROM pg_database WHERE datname LIKE 'test\_%'" \
	  | psql "$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -q
