"""The secret key that signs session cookies: refused when missing, short or the demo's.

Checked by the server at start-up and by ``prflow serve`` before it starts workers.
"""

from __future__ import annotations

from engine.errors import InvalidInput
from engine.settings import DEMO_SECRET_KEY, Settings

MIN_SECRET_LENGTH = 32


class InsecureSecret(InvalidInput):
    """The server was asked to start without a usable secret key."""


def checked_secret(settings: Settings) -> str:
    """The secret key to sign with; refuses a missing, short or default one outside demo."""
    if settings.demo:
        return settings.secret_key or DEMO_SECRET_KEY
    if not settings.secret_key or settings.secret_key == DEMO_SECRET_KEY:
        raise InsecureSecret(
            "PRFLOW_SECRET_KEY is missing or is the public demo key; set it to a long random "
            "value, e.g. PRFLOW_SECRET_KEY=$(python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'), or run a demo with PRFLOW_DEMO=1"
        )
    if len(settings.secret_key) < MIN_SECRET_LENGTH:
        raise InsecureSecret(
            f"PRFLOW_SECRET_KEY has {len(settings.secret_key)} characters; use at least "
            f"{MIN_SECRET_LENGTH} random ones"
        )
    return settings.secret_key
