"""Signature checks over the raw request body, always in constant time."""

import base64
import hashlib
import hmac
import unicodedata


def hmac_sha256(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def matches_base64_hmac(*, secrets: list[str], body: bytes, signature: str) -> bool:
    """Shopify, WooCommerce and AfterShip: base64(HMAC-SHA256(secret, raw body))."""
    if not signature:
        return False
    given = signature.strip().encode()
    return any(hmac.compare_digest(base64.b64encode(hmac_sha256(secret, body)), given) for secret in secrets)


def matches_easypost(*, secrets: list[str], body: bytes, signature: str) -> bool:
    """EasyPost: `hmac-sha256-hex=<hex>` keyed with the NFKD-normalised secret."""
    prefix = "hmac-sha256-hex="
    if not signature.startswith(prefix):
        return False
    given = signature[len(prefix) :].strip().lower().encode()
    return any(
        hmac.compare_digest(hmac_sha256(unicodedata.normalize("NFKD", secret), body).hex().encode(), given)
        for secret in secrets
    )


def matches_17track(*, secrets: list[str], body: bytes, signature: str) -> bool:
    """17TRACK: hex(SHA-256(raw body + "/" + API key)); a plain digest, not an HMAC."""
    if not signature:
        return False
    given = signature.strip().lower().encode()
    return any(
        hmac.compare_digest(hashlib.sha256(body + b"/" + secret.encode()).hexdigest().encode(), given)
        for secret in secrets
    )
