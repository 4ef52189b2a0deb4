"""Secrets: random tokens stored only as hashes, and source credentials encrypted at rest.

Tokens carry 256 bits of randomness, so a plain SHA-256 is the right hash: there is
nothing to brute-force, and lookups stay a single indexed equality.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ADMIN_KEY_PREFIX = "plk_admin_"
CONNECTION_TOKEN_PREFIX = "plk_conn_"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _fernet_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"plantlink-credentials", info=b"v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


class CredentialCipher:
    """Encrypts credential dicts with Fernet; extra (old) secrets still decrypt after rotation."""

    def __init__(self, secret: str, *old_secrets: str) -> None:
        self._fernet = MultiFernet([Fernet(_fernet_key(s)) for s in (secret, *old_secrets)])

    def encrypt(self, credentials: dict[str, Any]) -> str:
        return self._fernet.encrypt(orjson.dumps(credentials)).decode()

    def decrypt(self, blob: str) -> dict[str, Any]:
        try:
            data: dict[str, Any] = orjson.loads(self._fernet.decrypt(blob.encode()))
        except InvalidToken as exc:
            raise ValueError("credentials cannot be decrypted with PLANTLINK_SECRET_KEY") from exc
        return data
