"""The server's audit keys: the secret each event's MAC is computed with, and older ones.

The key never lives in the database. It comes from the environment (``engine.settings``):
``PRFLOW_AUDIT_KEY="<key id>:<secret>"`` signs every new event and ``PRFLOW_AUDIT_OLD_KEYS``
(comma-separated, same form) keeps verifying events signed before a rotation. Each event
stores the id of the key that signed it, so a rotation is: add the new key as
``PRFLOW_AUDIT_KEY``, move the old one to ``PRFLOW_AUDIT_OLD_KEYS`` (see docs/audit.md).

In ``demo`` and ``test`` mode, without a configured key, a well-known key is used: it makes
the MAC no better than a plain hash, which is fine for a trial database and nothing else.
In production mode there is no default: writing or verifying asks for a key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from engine.errors import EngineError, InvalidInput
from engine.settings import Settings

DEMO_KEY_ID = "demo"
# Public on purpose (demo and test mode only); never accepted in production mode.
DEMO_SECRET = "prflow-demo-audit-key-public-never-use-in-production"
MIN_SECRET_LENGTH = 32
TRIAL_MODES = ("demo", "test")


class MissingAuditKey(EngineError):
    """Production mode without ``PRFLOW_AUDIT_KEY``: events could not be signed or checked."""

    def __init__(self) -> None:
        super().__init__(
            "no audit key: set PRFLOW_AUDIT_KEY='<key id>:<secret of 32+ characters>' "
            '(e.g. key id 2026a and a secret from `python -c "import secrets; '
            'print(secrets.token_urlsafe(32))"`), or PRFLOW_MODE=demo for a trial database'
        )


@dataclass(frozen=True)
class Keyring:
    """The signing key's id and every key this server can verify with, by id."""

    current: str
    secrets: dict[str, bytes]

    def mac(self, key_id: str, message: bytes) -> str:
        """HMAC-SHA256 of ``message`` under key ``key_id`` (KeyError if unknown)."""
        return hmac.new(self.secrets[key_id], message, hashlib.sha256).hexdigest()

    def sign(self, message: bytes) -> str:
        return self.mac(self.current, message)


def _parse(spec: str, variable: str) -> tuple[str, bytes]:
    key_id, sep, secret = spec.strip().partition(":")
    if not sep or not key_id or len(secret) < MIN_SECRET_LENGTH:
        raise InvalidInput(
            f"{variable} must look like '<key id>:<secret>' with a secret of at least "
            f"{MIN_SECRET_LENGTH} characters; got {len(secret)} characters after the id"
        )
    return key_id, secret.encode()


def keyring(settings: Settings) -> Keyring:
    """The keys the settings name; the public demo key only in demo or test mode."""
    secrets: dict[str, bytes] = {}
    for spec in filter(None, (s.strip() for s in settings.audit_old_keys.split(","))):
        key_id, secret = _parse(spec, "PRFLOW_AUDIT_OLD_KEYS")
        secrets[key_id] = secret
    if settings.mode in TRIAL_MODES:
        secrets.setdefault(DEMO_KEY_ID, DEMO_SECRET.encode())
    if settings.audit_key:
        current, secret = _parse(settings.audit_key, "PRFLOW_AUDIT_KEY")
        secrets[current] = secret
    elif settings.mode in TRIAL_MODES:
        current = DEMO_KEY_ID
    else:
        raise MissingAuditKey()
    return Keyring(current, secrets)
