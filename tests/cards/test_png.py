import base64
import io
import json

import pytest
from PIL import Image

from app.cards import CardError, card_png, read_card, to_v2, to_v3
from app.cards.model import Character
from tests.cards import builders as b


def read_name(png: bytes) -> str:
    found = read_card(png)
    assert found.character is not None
    return found.character.name


def card_named(name: str, spec: str = "chara_card_v2") -> dict[str, object]:
    return {"spec": spec, "data": {"name": name}}


class TestPngTextChunks:
    @pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt", "iTXt-compressed"])
    def test_chunk_kinds(self, kind: str) -> None:
        chunk = b.text_chunk("chara", b.b64_json(card_named("Ann")), kind)

        assert read_name(b.png_with_chunks(chunk)) == "Ann"

    @pytest.mark.parametrize("keyword", ["Chara", "CHARA", "CCv3"])
    def test_keyword_in_any_case(self, keyword: str) -> None:
        chunk = b.text_chunk(keyword, b.b64_json(card_named("Ann")))

        assert read_name(b.png_with_chunks(chunk)) == "Ann"

    def test_chunk_after_image_data(self) -> None:
        chunk = b.text_chunk("chara", b.b64_json(card_named("Ann")))

        assert read_name(b.png_with_chunks(chunk, after_idat=True)) == "Ann"

    def test_after_other_text_chunks(self) -> None:
        png = b.png_with_chunks(
            b.text_chunk("Software", b"paint"),
            b.text_chunk("comment", b"hello"),
            b.text_chunk("chara", b.b64_json(card_named("Ann"))),
        )

        assert read_name(png) == "Ann"

    def test_ccv3_wins_over_chara(self) -> None:
        png = b.png_with_chunks(
            b.text_chunk("chara", b.b64_json(card_named("V2"))),
            b.text_chunk("ccv3", b.b64_json(card_named("V3", "chara_card_v3"))),
        )

        found = read_card(png)

        assert found.source_format == "png-v3"
        assert found.character is not None
        assert found.character.name == "V3"

    def test_ccv3_after_image_data_wins(self) -> None:
        early = b.png_with_chunks(b.text_chunk("chara", b.b64_json(card_named("V2"))))
        late = b.text_chunk("ccv3", b.b64_json(card_named("V3", "chara_card_v3")))
        at = early.rindex(b"IEND") - 4

        assert read_name(early[:at] + late + early[at:]) == "V3"

    def test_unreadable_ccv3_falls_back_to_chara(self) -> None:
        png = b.png_with_chunks(
            b.text_chunk("ccv3", b"not base64 !!"),
            b.text_chunk("chara", b.b64_json(card_named("V2"))),
        )

        found = read_card(png)

        assert found.source_format == "png-v2"

    def test_json_without_base64(self) -> None:
        chunk = b.text_chunk("chara", b.to_bytes(card_named("Ann")))

        assert read_name(b.png_with_chunks(chunk)) == "Ann"

    def test_base64_without_padding_or_with_line_breaks(self) -> None:
        payload = b.b64_json(card_named("Anna")).rstrip(b"=")
        wrapped = b"\n".join(payload[i : i + 76] for i in range(0, len(payload), 76))

        assert read_name(b.png_with_chunks(b.text_chunk("chara", wrapped))) == "Anna"

    def test_unicode_survives(self) -> None:
        chunk = b.text_chunk("chara", b.b64_json(card_named(b.UNICODE_TEXT)))

        assert read_name(b.png_with_chunks(chunk)) == b.UNICODE_TEXT

    def test_large_compressed_chunk(self) -> None:
        card = {"spec": "chara_card_v2", "data": {"name": "Big", "x": "a" * 3_000_000}}
        chunk = b.text_chunk("chara", b.b64_json(card), "zTXt")

        assert read_name(b.png_with_chunks(chunk, after_idat=True)) == "Big"

    def test_avatar_has_no_card_chunks(self) -> None:
        png = b.png_with_chunks(
            b.text_chunk("Comment", b"kept"),
            b.text_chunk("chara", b.b64_json(card_named("Ann"))),
            b.text_chunk("ccv3", b.b64_json(card_named("Ann", "chara_card_v3"))),
        )

        avatar = read_card(png).avatar

        assert avatar is not None
        assert b.text_chunks(avatar) == {"Comment": "kept"}
        assert Image.open(io.BytesIO(avatar)).size == (8, 12)


class TestPngErrors:
    def test_no_card_chunk(self) -> None:
        with pytest.raises(CardError, match="no text chunk named chara or ccv3"):
            read_card(b.plain_png())

    def test_bad_base64(self) -> None:
        png = b.png_with_chunks(b.text_chunk("chara", b"@@@not-base64@@@"))

        with pytest.raises(CardError, match="chara chunk is not valid base64"):
            read_card(png)

    def test_base64_of_garbage(self) -> None:
        chunk = b.text_chunk("chara", base64.b64encode(b"\x00\x01 garbage"))

        with pytest.raises(CardError, match="the chara chunk is not valid JSON"):
            read_card(b.png_with_chunks(chunk))

    def test_chunk_without_name(self) -> None:
        chunk = b.text_chunk("chara", b.b64_json(card_named("")))

        with pytest.raises(CardError, match="no name"):
            read_card(b.png_with_chunks(chunk))

    def test_corrupt_compressed_chunk(self) -> None:
        chunk = b.chunk(b"zTXt", b"chara\0\0not zlib at all")

        with pytest.raises(CardError, match="compressed text chunk is corrupt"):
            read_card(b.png_with_chunks(chunk))

    def test_unknown_compression_method(self) -> None:
        chunk = b.chunk(b"zTXt", b"chara\0\x07whatever")

        with pytest.raises(CardError, match="unknown compression method"):
            read_card(b.png_with_chunks(chunk))

    def test_malformed_itxt(self) -> None:
        chunk = b.chunk(b"iTXt", b"chara\0\0\0no-separators")

        with pytest.raises(CardError, match="iTXt chunk is malformed"):
            read_card(b.png_with_chunks(chunk))

    def test_lorebook_in_png(self) -> None:
        chunk = b.text_chunk("chara", b.b64_json(b.world_info()))

        with pytest.raises(CardError, match="chara chunk holds no character"):
            read_card(b.png_with_chunks(chunk))

    def test_truncated_before_card(self) -> None:
        png = b.png_with_chunks(
            b.text_chunk("chara", b.b64_json(card_named("Ann"))), after_idat=True
        )

        with pytest.raises(CardError, match="no text chunk named chara or ccv3"):
            read_card(png[: png.index(b"chara") + 10])


class TestCardPng:
    def test_embeds_v2_and_v3(self) -> None:
        card = Character(name="Ann", description=b.UNICODE_TEXT)

        chunks = b.text_chunks(card_png(b.plain_png(), card))

        assert json.loads(base64.b64decode(chunks["chara"])) == to_v2(card)
        assert json.loads(base64.b64decode(chunks["ccv3"])) == to_v3(card)

    def test_keeps_the_avatar_pixels(self) -> None:
        png = card_png(b.plain_png((30, 40)), Character(name="Ann"))

        image = Image.open(io.BytesIO(png))

        assert image.size == (30, 40)
        assert image.getpixel((0, 0)) == (10, 200, 30, 255)

    def test_placeholder_without_avatar(self) -> None:
        png = card_png(None, Character(name="Ann"))

        assert Image.open(io.BytesIO(png)).size == (400, 600)
        assert read_name(png) == "Ann"

    def test_replaces_existing_card_chunks(self) -> None:
        old = b.png_with_chunks(b.text_chunk("chara", b.b64_json(card_named("Old"))))

        png = card_png(old, Character(name="New"))

        assert set(b.text_chunks(png)) == {"chara", "ccv3"}
        assert read_name(png) == "New"

    def test_jpeg_avatar_becomes_png(self) -> None:
        buffer = io.BytesIO()
        Image.new("CMYK", (5, 5)).save(buffer, format="JPEG")

        png = card_png(buffer.getvalue(), Character(name="Ann"))

        assert Image.open(io.BytesIO(png)).format == "PNG"

    def test_reads_back_as_v3(self) -> None:
        found = read_card(b.to_bytes(b.v3_card()))
        assert found.character is not None

        again = read_card(card_png(None, found.character))

        assert again.source_format == "png-v3"
        assert again.character is not None
        assert to_v3(again.character) == to_v3(found.character)

    def test_unreadable_avatar(self) -> None:
        with pytest.raises(CardError, match="avatar is not an image"):
            card_png(b"not an image", Character(name="Ann"))

    def test_damaged_avatar(self) -> None:
        broken = b.plain_png((64, 64))[:60]

        with pytest.raises(CardError, match="avatar image is damaged"):
            card_png(broken, Character(name="Ann"))
