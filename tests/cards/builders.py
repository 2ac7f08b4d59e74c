"""Cards, lorebooks, PNGs and zips built for the tests."""

import base64
import io
import json
import struct
import zipfile
import zlib
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngImageFile

# Emoji with a ZWJ sequence and a skin tone, CJK, and combining marks (e + U+0301,
# n + U+0303, a stacked Zalgo run).
UNICODE_TEXT = "Ami 👩🏽‍🚀 漢字かな한국어 e\u0301 n\u0303 Z\u0351\u0352\u0353 ok"


def v2_entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "keys": ["forest", "森"],
        "content": f"The forest. {UNICODE_TEXT}",
        "extensions": {"position": 0, "selectiveLogic": 2, "x_tool": {"n": 1}},
        "enabled": True,
        "insertion_order": 100,
        "case_sensitive": False,
        "name": "Forest",
        "priority": 10,
        "id": 1,
        "comment": "a comment",
        "selective": True,
        "secondary_keys": ["tree"],
        "constant": False,
        "position": "before_char",
        "x_entry_unknown": [1, {"deep": True}],
    }
    entry.update(overrides)
    return entry


def v2_book(**overrides: Any) -> dict[str, Any]:
    book: dict[str, Any] = {
        "name": "Book 📖",
        "description": "A book",
        "scan_depth": 4,
        "token_budget": 512,
        "recursive_scanning": False,
        "extensions": {"x_book_ext": "kept"},
        "entries": [v2_entry(), v2_entry(id=2, keys=["城"], content="城の話")],
        "x_book_unknown": {"a": [1, 2]},
    }
    book.update(overrides)
    return book


def v2_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f"Seraphina {UNICODE_TEXT}",
        "description": f"Guardian of the forest. {UNICODE_TEXT}",
        "personality": "kind",
        "scenario": "A glade",
        "first_mes": "*smiles* Hello 🌸",
        "mes_example": "<START>\n{{char}}: Hi",
        "creator_notes": "Notes",
        "system_prompt": "Be {{char}}.",
        "post_history_instructions": "Stay in character.",
        "alternate_greetings": ["Hi again", "你好"],
        "character_book": v2_book(),
        "tags": ["fantasy", "日本語"],
        "creator": "someone",
        "character_version": "1.2",
        "extensions": {"talkativeness": "0.5", "fav": False, "x_ext": {"deep": [1]}},
        "x_data_unknown": "kept",
    }
    data.update(overrides)
    return data


def v2_card(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Seraphina",
        "x_top_unknown": {"kept": True},
        "spec": "chara_card_v2",
        "spec_version": "2.0",
        "data": v2_data(**overrides),
    }


def v3_entry(**overrides: Any) -> dict[str, Any]:
    return v2_entry(**{"use_regex": True, **overrides})


def v3_data(**overrides: Any) -> dict[str, Any]:
    book = v2_book(entries=[v3_entry(), v3_entry(id="b", keys=[], use_regex=False)])
    data = v2_data(character_book=book)
    data.update(
        {
            "assets": [
                {
                    "type": "icon",
                    "uri": "embeded://assets/icon/images/main.png",
                    "name": "main",
                    "ext": "png",
                },
                {
                    "type": "emotion",
                    "uri": "embeded://assets/emotion/images/joy.webp",
                    "name": "joy",
                    "ext": "webp",
                    "x_asset_unknown": 1,
                },
            ],
            "nickname": "Sera",
            "creator_notes_multilingual": {"ja": "メモ", "ko": "메모"},
            "source": ["https://example.org/sera"],
            "group_only_greetings": ["Hello, all of you"],
            "creation_date": 1700000000,
            "modification_date": 1700000100,
        }
    )
    data.update(overrides)
    return data


def v3_card(**overrides: Any) -> dict[str, Any]:
    return {
        "spec": "chara_card_v3",
        "spec_version": "3.0",
        "x_top_unknown": [1, "two"],
        "data": v3_data(**overrides),
    }


def world_info_entry(uid: int, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "uid": uid,
        "key": ["eldoria", "森"],
        "keysecondary": ["wood"],
        "comment": f"Entry {uid}",
        "content": f"Eldoria {UNICODE_TEXT}",
        "constant": False,
        "selective": True,
        "order": 100 + uid,
        "position": 4,
        "disable": False,
        "selectiveLogic": 3,
        "caseSensitive": None,
        "excludeRecursion": True,
        "displayIndex": uid,
        "probability": 100,
        "useProbability": True,
        "depth": 4,
        "group": "",
        "x_wi_unknown": {"kept": [uid]},
    }
    entry.update(overrides)
    return entry


def world_info(**overrides: Any) -> dict[str, Any]:
    book: dict[str, Any] = {
        "entries": {str(uid): world_info_entry(uid) for uid in (0, 1, 5)},
        "originalData": {"name": "from a card"},
    }
    book.update(overrides)
    return book


def to_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


def b64_json(obj: Any) -> bytes:
    return base64.b64encode(to_bytes(obj))


def plain_png(size: tuple[int, int] = (8, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, (10, 200, 30, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def text_chunk(keyword: str, payload: bytes, kind: str = "tEXt") -> bytes:
    key = keyword.encode("latin-1")
    if kind == "tEXt":
        return chunk(b"tEXt", key + b"\0" + payload)
    if kind == "zTXt":
        return chunk(b"zTXt", key + b"\0\0" + zlib.compress(payload))
    if kind == "iTXt":
        return chunk(b"iTXt", key + b"\0\0\0en\0" + key + b"\0" + payload)
    assert kind == "iTXt-compressed"
    return chunk(b"iTXt", key + b"\0\1\0\0\0" + zlib.compress(payload))


def png_with_chunks(*chunks: bytes, after_idat: bool = False) -> bytes:
    """A small PNG with `chunks` right after IHDR, or right before IEND."""
    png = plain_png()
    at = png.rindex(b"IEND") - 4 if after_idat else png.index(b"IDAT") - 4
    return png[:at] + b"".join(chunks) + png[at:]


def text_chunks(png: bytes) -> dict[str, str]:
    image = Image.open(io.BytesIO(png))
    assert isinstance(image, PngImageFile)
    return {key: str(value) for key, value in image.text.items()}


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def zip_listing(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
