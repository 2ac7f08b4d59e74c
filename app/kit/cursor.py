"""Opaque page cursors: a JSON value in unpadded URL-safe base64.

Each domain decides what its cursors hold and checks them; this only spells
them. Decoding raises ValueError for anything that is not such a value.
"""

import base64
import json
from typing import Any


def encode_cursor(value: Any) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> Any:
    """The value of a cursor; ValueError when it is not base64 of JSON."""
    padded = text + "=" * (-len(text) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))
