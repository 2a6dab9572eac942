"""Start the console: build the System, wire routes and pages, and run NiceGUI."""

from __future__ import annotations

from datetime import timedelta

from nicegui import ui

from app.api import register_api
from app.auth.forwarding import expected_hosts, forwarded_allow_ips
from app.auth.gate import install_gate
from app.auth.hardening import install_hardening
from app.auth.known_browsers import install_known_browsers
from app.auth.oidc_settings import OidcSettings
from app.auth.secure_cookies import install_session_cookie
from app.auth.sessions import SessionPolicy
from app.lifecycle import run_with_app
from app.pages import register_pages
from app.settings import Settings, prepare_data_dir, production_problems, storage_secret
from app.system import System


def build(settings: Settings) -> System:
    """Create the System and register everything with NiceGUI (call once per process or test)."""
    prepare_data_dir(settings.data_dir)
    system = System(settings)
    run_with_app(system.start, system.stop)
    install_gate(
        SessionPolicy(
            idle=timedelta(hours=settings.session_idle_hours), absolute=timedelta(days=settings.session_max_days)
        ),
        # A page that acts after its session ended is refused and audited (the manager exists only after start).
        audit=lambda kind, **kw: system.manager.audit.append(kind, **kw),
    )
    install_hardening(expected_hosts(settings))
    # Browsers that signed in get a device cookie signed with the storage secret (app/auth/known_browsers.py).
    install_known_browsers(storage_secret(settings))
    if OidcSettings().configured:  # the OIDC client (authlib, joserfc, cryptography) is loaded only when it is on
        from app.auth.oidc import install_oidc

        # The manager exists only after start, so the audit function looks it up when a sign-in happens.
        install_oidc(lambda kind, **kw: system.manager.audit.append(kind, **kw))
    register_api(system)
    register_pages(system)
    return system


def serve(settings: Settings, *, native: bool = False) -> None:
    if problems := production_problems(settings):
        raise SystemExit('homelab: not starting:\n  - ' + '\n  - '.join(problems))
    try:
        proxies = forwarded_allow_ips(settings)
    except ValueError as err:
        raise SystemExit(f'homelab: not starting:\n  - {err}') from None
    system = build(settings)
    secret = storage_secret(system.settings)
    install_session_cookie(secret)
    ui.run(
        host=settings.host,
        port=settings.port,
        title=settings.title,
        native=native,
        reload=False,
        show=False,
        dark=None,
        favicon='🛰️',
        storage_secret=secret,
        show_welcome_message=False,
        uvicorn_logging_level='warning',
        # Passed on to uvicorn: X-Forwarded-For/-Proto only from HOMELAB_TRUSTED_PROXIES (uvicorn's own default
        # believes every local process).
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )


if __name__ in {'__main__', '__mp_main__'}:
    serve(Settings())
