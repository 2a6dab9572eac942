"""The labels Compose puts on the containers it creates: how a container is tied to its stack and service."""

from __future__ import annotations

PROJECT_LABEL = 'com.docker.compose.project'
SERVICE_LABEL = 'com.docker.compose.service'
CONFIG_HASH_LABEL = 'com.docker.compose.config-hash'
