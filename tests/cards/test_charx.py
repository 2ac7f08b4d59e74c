import json

import pytest

from app.cards import CardError, Character, charx, read_card, to_charx, to_v3
from tests.cards import builders as b

ICON = "assets/icon/images/main.png"
JOY = "assets/emotion/images/joy.webp"
SMALL_CARD = {"spec": "chara_card_v3", "data": {"name": "Ann"}}


def charx_files() -> dict[str, bytes]:
    return {
        "card.json": b.to_bytes(b.v3_card()),
        ICON: b.plain_png(),
        JOY: b"RIFF-not-really-webp \x00\xff",
        "x_meta/1.json": b'{"kept": true}',
    }


class TestReadCharx:
    def test_reads_the_card(self) -> None:
        found = read_card(b.zip_bytes(charx_files()))

        assert found.source_format == "charx"
        assert found.character is not None
        assert found.character.source_format == "charx"
        assert to_v3(found.character) == b.v3_card()

    def test_keeps_every_asset(self) -> None:
        files = charx_files()

        found = read_card(b.zip_bytes(files))

        del files["card.json"]
        assert found.assets == files

    def test_main_icon_is_the_avatar(self) -> None:
        found = read_card(b.zip_bytes(charx_files()))

        assert found.avatar == b.plain_png()

    def test_no_embedded_icon_means_no_avatar(self) -> None:
        files = charx_files()
        del files[ICON]

        assert read_card(b.zip_bytes(files)).avatar is None

    def test_card_with_v2_json(self) -> None:
        found = read_card(b.zip_bytes({"card.json": b.to_bytes(b.v2_card())}))

        assert found.source_format == "charx"
        assert found.character is not None
        assert found.character.source_format == "v2"


class TestWriteCharx:
    def test_round_trip(self) -> None:
        found = read_card(b.zip_bytes(charx_files()))
        assert found.character is not None

        written = to_charx(found.character, found.assets)

        assert json.loads(b.zip_listing(written)["card.json"]) == b.v3_card()
        assert b.zip_listing(written) | {"card.json": b""} == charx_files() | {
            "card.json": b""
        }

    def test_same_card_same_bytes(self) -> None:
        card = Character(name="Ann")

        assert to_charx(card, {ICON: b"x"}) == to_charx(card, {ICON: b"x"})

    def test_avatar_becomes_main_icon(self) -> None:
        written = to_charx(Character(name="Ann"), avatar=b.plain_png())

        files = b.zip_listing(written)
        card = json.loads(files["card.json"])
        assert files[ICON] == b.plain_png()
        assert card["data"]["assets"] == [
            {"type": "icon", "uri": f"embeded://{ICON}", "name": "main", "ext": "png"}
        ]

    def test_avatar_is_not_added_twice(self) -> None:
        found = read_card(b.zip_bytes(charx_files()))
        assert found.character is not None

        written = to_charx(found.character, found.assets, avatar=b"other")

        assert b.zip_listing(written)[ICON] == b.plain_png()

    def test_avatar_that_is_not_an_image(self) -> None:
        with pytest.raises(CardError, match="avatar is not an image"):
            to_charx(Character(name="Ann"), avatar=b"nope")

    @pytest.mark.parametrize("path", ["../evil", "/etc/passwd", "a\\b", "C:/x"])
    def test_unsafe_asset_path(self, path: str) -> None:
        with pytest.raises(CardError, match="unsafe file path"):
            to_charx(Character(name="Ann"), {path: b"x"})

    def test_asset_named_card_json(self) -> None:
        with pytest.raises(CardError, match="cannot be named card.json"):
            to_charx(Character(name="Ann"), {"card.json": b"{}"})


class TestCharxErrors:
    def test_no_card_json(self) -> None:
        with pytest.raises(CardError, match="no card.json at its root"):
            read_card(b.zip_bytes({ICON: b"x"}))

    def test_card_json_in_a_folder(self) -> None:
        files = {"Ann/card.json": b.to_bytes(b.v3_card())}

        with pytest.raises(CardError, match="at its root; found Ann/card.json"):
            read_card(b.zip_bytes(files))

    def test_card_json_not_json(self) -> None:
        with pytest.raises(CardError, match="card.json is not valid JSON"):
            read_card(b.zip_bytes({"card.json": b"{nope"}))

    def test_card_json_holding_a_lorebook(self) -> None:
        files = {"card.json": b.to_bytes(b.world_info())}

        with pytest.raises(CardError, match="holds no character"):
            read_card(b.zip_bytes(files))

    def test_damaged_zip(self) -> None:
        with pytest.raises(CardError, match="not a readable zip archive"):
            read_card(b"PK\x03\x04" + b"\x00" * 40)

    def test_unsafe_member_path(self) -> None:
        files = {"card.json": b.to_bytes(b.v3_card()), "../../evil.sh": b"x"}

        with pytest.raises(CardError, match="unsafe file path: '../../evil.sh'"):
            read_card(b.zip_bytes(files))

    def test_zip_bomb(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(charx, "MAX_TOTAL_BYTES", 1_000_000)
        files = {"card.json": b.to_bytes(b.v3_card()), "bomb.bin": bytes(2_000_000)}

        with pytest.raises(CardError, match="unpacks to more than 1000000 bytes"):
            read_card(b.zip_bytes(files))

    def test_oversized_member(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(charx, "MAX_MEMBER_BYTES", 1_000)
        files = {"card.json": b.to_bytes(SMALL_CARD), "big.bin": bytes(5_000)}

        with pytest.raises(CardError, match="big.bin in the archive is larger than"):
            read_card(b.zip_bytes(files))

    def test_member_larger_than_its_listing_says(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(charx, "MAX_MEMBER_BYTES", 1_000)
        files = {"card.json": b.to_bytes(SMALL_CARD), "big.bin": bytes(5_000)}
        lied = _rewrite_sizes(b.zip_bytes(files), "big.bin", 10)

        with pytest.raises(CardError, match="big.bin in the archive is"):
            read_card(lied)

    def test_too_many_members(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(charx, "MAX_MEMBERS", 3)
        files = {f"{n}.txt": b"x" for n in range(4)}

        with pytest.raises(CardError, match="more than 3 files"):
            read_card(b.zip_bytes(files))

    def test_encrypted_member(self) -> None:
        data = _flag_encrypted(b.zip_bytes({"card.json": b.to_bytes(b.v3_card())}))

        with pytest.raises(CardError, match="card.json in the archive is encrypted"):
            read_card(data)


def _rewrite_sizes(data: bytes, name: str, size: int) -> bytes:
    """The zip with `name`'s uncompressed size in both headers set to `size`."""
    out = bytearray(data)
    encoded = name.encode()
    # (signature, offset of the uncompressed size, offset of the file name)
    for signature, size_at, name_at in (
        (b"PK\x03\x04", 22, 30),
        (b"PK\x01\x02", 24, 46),
    ):
        pos = data.find(signature)
        while pos >= 0:
            if data[pos + name_at : pos + name_at + len(encoded)] == encoded:
                out[pos + size_at : pos + size_at + 4] = size.to_bytes(4, "little")
            pos = data.find(signature, pos + 4)
    return bytes(out)


def _flag_encrypted(data: bytes) -> bytes:
    out = bytearray(data)
    out[6] |= 1
    central = data.index(b"PK\x01\x02")
    out[central + 8] |= 1
    return bytes(out)
