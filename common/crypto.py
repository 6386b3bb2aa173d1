"""Field encryption for identity and phone numbers, with a keyed blind index.

AES-256-GCM with a random nonce per value: equal numbers encrypt differently,
so lookups and uniqueness use the blind index, an HMAC-SHA256 of the
normalised value under a key derived from the master key (HKDF). The master
key comes from settings.FIELD_ENCRYPTION_KEY (environment in production).
Ciphertexts carry a key version prefix so that keys can be rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_VERSION = "v1"


def _master_key() -> bytes:
    raw = settings.FIELD_ENCRYPTION_KEY
    if not raw:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set")
    try:
        key = base64.urlsafe_b64decode(raw)
    except ValueError as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be url-safe base64") from exc
    if len(key) < 32:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must decode to at least 32 bytes")
    return key


@lru_cache(maxsize=4)
def _derived(raw: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(_master_key())


def _key(purpose: bytes) -> bytes:
    return _derived(settings.FIELD_ENCRYPTION_KEY, purpose)


# One cipher and one keyed HMAC per key, not per value: building them costs more than the
# encryption or hash of an 18-digit number (millions of them when the demo city is built).
@lru_cache(maxsize=4)
def _cipher(raw: str) -> AESGCM:
    return AESGCM(_derived(raw, b"field-encryption"))


@lru_cache(maxsize=4)
def _blind_hmac(raw: str) -> hmac.HMAC:
    return hmac.new(_derived(raw, b"blind-index"), digestmod=hashlib.sha256)


def encrypt(plaintext: str) -> str:
    if plaintext == "":
        return ""
    nonce = os.urandom(12)
    sealed = _cipher(settings.FIELD_ENCRYPTION_KEY).encrypt(nonce, plaintext.encode(), None)
    return f"{KEY_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    version, _, body = token.partition(":")
    if version != KEY_VERSION:
        raise ValueError(f"unknown key version {version!r}")
    data = base64.urlsafe_b64decode(body)
    return _cipher(settings.FIELD_ENCRYPTION_KEY).decrypt(data[:12], data[12:], None).decode()


def blind_index(normalised: str, *, kind: str) -> str:
    """Keyed hash for exact lookup; ``kind`` separates ID numbers from phones."""
    if not normalised:
        return ""
    digest = _blind_hmac(settings.FIELD_ENCRYPTION_KEY).copy()
    digest.update(f"{kind}:{normalised}".encode())
    return digest.hexdigest()[:40]
