"""OIDC's settings and paths, without the OIDC client: what the gate, the sign-in page and start-up need."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

START_PATH = '/auth/oidc/start'
CALLBACK_PATH = '/auth/oidc/callback'
OIDC_PATHS = frozenset({START_PATH, CALLBACK_PATH})


class OidcSettings(BaseSettings):
    """HOMELAB_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _ALLOWED (comma-separated subjects or e-mails),
    _REDIRECT_URL (optional: default is <this console>/auth/oidc/callback)."""

    model_config = SettingsConfigDict(env_prefix='HOMELAB_OIDC_', extra='ignore')

    issuer: str = ''
    client_id: str = ''
    client_secret: SecretStr = SecretStr('')
    allowed: str = ''
    redirect_url: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id)

    @property
    def allowlist(self) -> frozenset[str]:
        return frozenset(item.strip() for item in self.allowed.split(',') if item.strip())
