# Homelab Control Plane. `make help` lists the targets; `make run` and `make test` set everything up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: help setup run test test-fast rig browser reverse-proxy ssh-peer oidc-peer host-tools native dev-stack dev-stack-down prod-image lint format bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-15s %s\n", $$1, $$2}'

setup: ## Create .venv with the locked dependencies (idempotent)
	@bash scripts/setup.sh

run: setup ## Start the console on 127.0.0.1:8080 (data in ./data, the local Docker engine if any)
	$(BIN)/homelab serve

rig: setup ## Start the test rig: Docker engine, Compose v2, dev images, local registry
	@bash scripts/rig.sh

host-tools: ## Install what the host-operation tests need (systemd-journal-remote, ping)
	@bash scripts/host-tools.sh

browser: ## Install headless Chromium and chromedriver for the browser tests
	@bash scripts/browser.sh

reverse-proxy: ## Install nginx and openssl for the TLS reverse-proxy test (it starts its own nginx)
	@bash scripts/rig/nginx.sh

ssh-peer: ## Install OpenSSH (server and client) for the engine-over-SSH test (it starts its own sshd)
	@bash scripts/rig/sshd.sh

oidc-peer: ## Install the standard OpenID provider (npm ci in tests/peers/oidc) for the OIDC tests (they start it)
	@bash scripts/rig/oidc-peer.sh

native: ## Install Xvfb, the Qt xcb libraries, xdotool and imagemagick for the native-window test
	@bash scripts/native.sh

dev-stack: rig ## Bring up the homelab-dev Compose project on the rig's engine
	@RIG_SKIP=1 bash scripts/dev-stack.sh up

dev-stack-down: ## Remove the homelab-dev Compose project
	@RIG_SKIP=1 bash scripts/dev-stack.sh down

prod-image: setup rig ## Build the production image on the rig (debootstrap base image, cached; host wheelhouse)
	@bash scripts/rig/base-image.sh >/dev/null
	@bash scripts/prod-image.sh --rig >/dev/null

test: setup browser reverse-proxy ssh-peer oidc-peer native host-tools dev-stack prod-image ## Run every suite: unit, UI, host, real engine and real browser
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: setup host-tools ## Only the tests that need neither engine nor browser
	$(BIN)/pytest -m 'not engine and not browser' $(PYTEST_ARGS)

lint: setup ## ruff and mypy on app, components, ops and bench (ruff on tests too)
	$(BIN)/ruff check app components ops tests bench
	$(BIN)/ruff format --check app components ops tests bench
	$(BIN)/mypy
	@if command -v shellcheck >/dev/null; then shellcheck -x scripts/*.sh scripts/rig/*.sh deploy/host/*.sh; \
	else echo "shellcheck not installed: skipping the shell scripts (apt-get install shellcheck)"; fi

format: setup ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix app components ops tests bench
	$(BIN)/ruff format app components ops tests bench

bench: setup ## Run the benchmarks (figures, not pass/fail)
	@if ls bench/*.py >/dev/null 2>&1; then $(BIN)/python -m bench; else echo "no benchmarks yet"; fi

clean: ## Remove caches and test artifacts (keeps .venv and ./data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache test-artifacts
