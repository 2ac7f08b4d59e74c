"""Reading a file and writing it in the same format gives back the same JSON."""

from typing import Any

import pytest

from app.cards import (
    Character,
    Lorebook,
    lorebook_to_character_book,
    lorebook_to_native,
    lorebook_to_v3,
    lorebook_to_world_info,
    parse_object,
    read_card,
    to_native,
    to_v2,
    to_v3,
)
from tests.cards import builders as b


def read_character(data: bytes) -> Character:
    found = read_card(data)
    assert found.character is not None
    return found.character


def read_lorebook(data: bytes) -> Lorebook:
    found = read_card(data)
    assert found.lorebook is not None
    return found.lorebook


def huge_entries(count: int) -> list[dict[str, Any]]:
    filler = "The hall of mirrors 鏡の間 🪞 e\u0301. " * 24
    return [
        b.v3_entry(id=n, keys=[f"key{n}", f"鍵{n}"], content=f"{n} {filler}")
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def huge_v3_card() -> dict[str, Any]:
    book = b.v2_book(entries=huge_entries(20_000))
    return b.v3_card(character_book=book)


class TestCardRoundTrip:
    def test_v2_json(self) -> None:
        card = b.v2_card()

        assert to_v2(read_character(b.to_bytes(card))) == card

    def test_v3_json(self) -> None:
        card = b.v3_card()

        assert to_v3(read_character(b.to_bytes(card))) == card

    def test_png_v2(self) -> None:
        card = b.v2_card()
        png = b.png_with_chunks(b.text_chunk("chara", b.b64_json(card)))

        assert to_v2(read_character(png)) == card

    def test_png_v3(self) -> None:
        card = b.v3_card()
        png = b.png_with_chunks(b.text_chunk("ccv3", b.b64_json(card)), after_idat=True)

        assert to_v3(read_character(png)) == card

    def test_minimal_v2_stays_minimal(self) -> None:
        card = {"spec": "chara_card_v2", "data": {"name": "Ann"}}

        assert to_v2(read_character(b.to_bytes(card))) == {
            "spec": "chara_card_v2",
            "spec_version": "2.0",
            "data": {"name": "Ann"},
        }

    def test_minimal_entry_stays_minimal(self) -> None:
        card = b.v2_card(character_book={"entries": [{"keys": [], "content": ""}]})

        assert to_v2(read_character(b.to_bytes(card))) == card

    def test_nulls_and_odd_values_are_kept(self) -> None:
        entry = b.v2_entry(
            priority=None, comment=None, enabled=None, insertion_order="5", id=None
        )
        card = b.v2_card(
            character_book=b.v2_book(entries=[entry], extensions=None),
            creator=None,
            tags="one tag",
            extensions=[],
        )
        expected = b.v2_card(
            character_book=b.v2_book(entries=[entry], extensions=None),
            creator=None,
            tags=["one tag"],
            extensions=[],
        )

        assert to_v2(read_character(b.to_bytes(card))) == expected

    def test_other_spec_version_is_kept(self) -> None:
        card = {**b.v3_card(), "spec_version": "3.1"}

        assert to_v3(read_character(b.to_bytes(card)))["spec_version"] == "3.1"

    def test_edited_name_updates_the_v1_copy(self) -> None:
        source = {**b.v2_card(name="Ann"), "name": "Ann"}
        character = read_character(b.to_bytes(source))
        character.name = "Renamed"

        card = to_v2(character)

        assert card["name"] == "Renamed"
        assert card["data"]["name"] == "Renamed"

    def test_v1_copy_that_differs_is_kept(self) -> None:
        source = {**b.v2_card(name="Ann"), "name": "Old name"}
        character = read_character(b.to_bytes(source))
        character.name = "Renamed"

        assert to_v2(character)["name"] == "Old name"

    def test_huge_lorebook(self, huge_v3_card: dict[str, Any]) -> None:
        data = b.to_bytes(huge_v3_card)
        assert len(data) > 20_000_000

        character = read_character(data)

        assert to_v3(character) == huge_v3_card

    def test_huge_lorebook_in_png(self, huge_v3_card: dict[str, Any]) -> None:
        png = b.png_with_chunks(
            b.text_chunk("ccv3", b.b64_json(huge_v3_card), "zTXt"), after_idat=True
        )

        assert to_v3(read_character(png)) == huge_v3_card


class TestLorebookRoundTrip:
    def test_lorebook_v3(self) -> None:
        book = {"spec": "lorebook_v3", "x_envelope": 1, "data": b.v2_book()}

        assert lorebook_to_v3(read_lorebook(b.to_bytes(book))) == book

    def test_character_book(self) -> None:
        book = b.v2_book()

        assert lorebook_to_character_book(read_lorebook(b.to_bytes(book))) == book

    def test_world_info(self) -> None:
        book = b.world_info()

        assert lorebook_to_world_info(read_lorebook(b.to_bytes(book))) == book

    def test_sparse_world_info(self) -> None:
        book = {"entries": {"0": {"uid": 0, "key": ["a"], "content": "x"}}}

        assert lorebook_to_world_info(read_lorebook(b.to_bytes(book))) == book

    def test_huge_world_info(self) -> None:
        entries = {str(n): b.world_info_entry(n) for n in range(20_000)}
        book = b.world_info(entries=entries)

        lorebook = read_lorebook(b.to_bytes(book))

        assert lorebook_to_world_info(lorebook) == book


class TestNativeJson:
    def test_png_v2_card_is_stored_as_v2(self) -> None:
        card = b.v2_card()
        png = b.png_with_chunks(b.text_chunk("chara", b.b64_json(card)))

        assert to_native(read_character(png)) == card

    def test_stored_card_reads_back_without_loss(self) -> None:
        character = read_character(b.to_bytes(b.v3_card()))

        again = parse_object(to_native(character)).character

        assert again is not None
        assert to_v2(again) == to_v2(character)
        assert to_v3(again) == to_v3(character)

    def test_v1_card_is_stored_as_v2(self) -> None:
        stored = to_native(read_character(b.to_bytes({"name": "Ann"})))

        assert stored["spec"] == "chara_card_v2"

    @pytest.mark.parametrize(
        "book",
        [
            b.world_info(),
            b.v2_book(),
            {"spec": "lorebook_v3", "data": b.v2_book()},
        ],
    )
    def test_lorebooks_are_stored_as_read(self, book: dict[str, Any]) -> None:
        assert lorebook_to_native(read_lorebook(b.to_bytes(book))) == book

    def test_new_lorebook_is_stored_as_v3(self) -> None:
        assert lorebook_to_native(Lorebook())["spec"] == "lorebook_v3"
