"""API keys: generated, hashed for storage, never stored in the clear."""

import hashlib
import secrets

KEY_PREFIX = "rst_"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast digest is safe where a password
    # would need a slow salted hash, and it lets the lookup use an index.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def display_prefix(key: str) -> str:
    """The start of a key, enough for a person to tell keys apart."""
    return key[: len(KEY_PREFIX) + 6]
