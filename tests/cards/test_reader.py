import json
from typing import Any

import pytest

from app.cards import (
    CardError,
    Character,
    Lorebook,
    read_card,
    to_v2,
)
from tests.cards import builders as b


def character(obj: Any) -> Character:
    found = read_card(b.to_bytes(obj))
    assert found.character is not None
    return found.character


def lorebook(obj: Any) -> Lorebook:
    found = read_card(b.to_bytes(obj))
    assert found.lorebook is not None
    return found.lorebook


class TestFormatDetection:
    def test_v1_flat_fields(self) -> None:
        found = read_card(b.to_bytes({"name": "Ann", "first_mes": "Hi", "chat": "x"}))

        assert found.source_format == "v1"
        assert found.character is not None
        assert found.character.first_mes == "Hi"
        assert found.character.top_extra == {"chat": "x"}

    def test_v2(self) -> None:
        found = read_card(b.to_bytes(b.v2_card()))

        assert found.source_format == "v2"
        assert found.character is not None
        assert found.character.source_format == "v2"
        assert found.lorebook is None

    def test_v3(self) -> None:
        found = read_card(b.to_bytes(b.v3_card()))

        assert found.source_format == "v3"
        assert found.character is not None
        assert found.character.nickname == "Sera"

    def test_v2_data_without_spec(self) -> None:
        found = read_card(b.to_bytes({"data": b.v2_data()}))

        assert found.source_format == "v2"

    def test_lorebook_v3(self) -> None:
        found = read_card(b.to_bytes({"spec": "lorebook_v3", "data": b.v2_book()}))

        assert found.source_format == "lorebook_v3"
        assert found.lorebook is not None
        assert found.character is None

    def test_bare_character_book(self) -> None:
        found = read_card(b.to_bytes(b.v2_book()))

        assert found.source_format == "character_book"

    def test_world_info(self) -> None:
        found = read_card(b.to_bytes(b.world_info()))

        assert found.source_format == "worldinfo"

    def test_world_info_with_no_entries(self) -> None:
        found = read_card(b.to_bytes({"entries": {}}))

        assert found.source_format == "worldinfo"

    def test_character_book_keyed_by_id(self) -> None:
        entries = {"1": b.v2_entry()}

        found = read_card(b.to_bytes(b.v2_book(entries=entries)))

        assert found.source_format == "character_book"

    def test_world_info_entries_as_a_list(self) -> None:
        entries = [b.world_info_entry(0), b.world_info_entry(1)]

        found = read_card(b.to_bytes(b.world_info(entries=entries)))

        assert found.source_format == "worldinfo"

    def test_card_entries_with_world_info_key_names(self) -> None:
        raw = b.v2_entry(key=["sword"])
        del raw["keys"]

        found = read_card(b.to_bytes(b.v2_book(entries={"1": raw})))

        assert found.source_format == "character_book"

    def test_world_info_embedded_in_a_card(self) -> None:
        entries = {"0": b.world_info_entry(0, disable=True)}
        card = b.v2_card(character_book=b.world_info(entries=entries))

        book = to_v2(character(card))["data"]["character_book"]

        assert book["entries"][0]["enabled"] is False
        assert book["entries"][0]["keys"] == ["eldoria", "森"]

    def test_embedded_book_with_no_entries_is_a_card_book(self) -> None:
        card = character(b.v2_card(character_book={"entries": {}}))

        assert card.character_book is not None
        assert card.character_book.source_format == "character_book"

    def test_byte_order_mark(self) -> None:
        found = read_card(b"\xef\xbb\xbf" + b.to_bytes(b.v2_card()))

        assert found.source_format == "v2"


class TestCharacterFields:
    def test_v2_fields(self) -> None:
        card = character(b.v2_card())

        assert card.name == f"Seraphina {b.UNICODE_TEXT}"
        assert card.alternate_greetings == ["Hi again", "你好"]
        assert card.extensions["x_ext"] == {"deep": [1]}
        assert card.extra == {"x_data_unknown": "kept"}
        assert card.top_extra == {
            "name": "Seraphina",
            "x_top_unknown": {"kept": True},
            "spec_version": "2.0",
        }

    def test_v3_fields(self) -> None:
        card = character(b.v3_card())

        assert card.group_only_greetings == ["Hello, all of you"]
        assert card.creator_notes_multilingual == {"ja": "メモ", "ko": "메모"}
        assert card.source == ["https://example.org/sera"]
        assert card.creation_date == 1700000000
        assert card.assets[1]["x_asset_unknown"] == 1

    def test_embedded_book(self) -> None:
        book = character(b.v2_card()).character_book

        assert book is not None
        assert book.source_format == "character_book"
        assert book.name == "Book 📖"
        assert book.scan_depth == 4
        assert book.extra == {"x_book_unknown": {"a": [1, 2]}}

    def test_v3_embedded_book_is_v3(self) -> None:
        book = character(b.v3_card()).character_book

        assert book is not None
        assert book.source_format == "lorebook_v3"
        assert book.entries[0].use_regex is True

    def test_entry_fields(self) -> None:
        book = character(b.v2_card()).character_book
        assert book is not None

        entry = book.entries[0]

        assert entry.keys == ["forest", "森"]
        assert entry.secondary_keys == ["tree"]
        assert entry.selective_logic == "not_any"
        assert entry.position == "before_char"
        assert entry.priority == 10
        assert entry.extra == {"x_entry_unknown": [1, {"deep": True}]}

    def test_missing_fields_are_recorded(self) -> None:
        card = character({"spec": "chara_card_v2", "data": {"name": "Ann"}})

        assert card.absent is not None
        assert "system_prompt" in card.absent
        assert card.system_prompt == ""

    def test_unicode_is_kept(self) -> None:
        card = character(b.v2_card(scenario=b.UNICODE_TEXT))

        assert card.scenario == b.UNICODE_TEXT


class TestWorldInfoFields:
    def test_entry_names_are_mapped(self) -> None:
        entry = lorebook(b.world_info()).entries[1]

        assert entry.id == 1
        assert entry.keys == ["eldoria", "森"]
        assert entry.secondary_keys == ["wood"]
        assert entry.insertion_order == 101
        assert entry.comment == "Entry 1"

    def test_disable_is_inverted(self) -> None:
        entries = {"0": b.world_info_entry(0, disable=True)}

        entry = lorebook(b.world_info(entries=entries)).entries[0]

        assert entry.enabled is False

    @pytest.mark.parametrize(
        ("code", "logic"),
        [(0, "and_any"), (1, "not_all"), (2, "not_any"), (3, "and_all")],
    )
    def test_selective_logic(self, code: int, logic: str) -> None:
        entries = {"0": b.world_info_entry(0, selectiveLogic=code)}

        entry = lorebook(b.world_info(entries=entries)).entries[0]

        assert entry.selective_logic == logic

    def test_position_number_is_kept(self) -> None:
        entry = lorebook(b.world_info()).entries[0]

        assert entry.position == 4

    def test_other_keys_are_extra(self) -> None:
        entry = lorebook(b.world_info()).entries[0]

        assert entry.extra["excludeRecursion"] is True
        assert entry.extra["x_wi_unknown"] == {"kept": [0]}


class TestQuirks:
    def test_character_book_null(self) -> None:
        card = character(b.v2_card(character_book=None))

        assert card.character_book is None
        assert "character_book" not in to_v2(card)["data"]

    def test_alternate_greetings_as_string(self) -> None:
        card = character(b.v2_card(alternate_greetings="Hello there"))

        assert card.alternate_greetings == ["Hello there"]

    def test_alternate_greetings_as_empty_string(self) -> None:
        card = character(b.v2_card(alternate_greetings=""))

        assert card.alternate_greetings == []

    def test_entries_keyed_by_id(self) -> None:
        entries = {"7": b.v2_entry(id=7), "8": b.v2_entry(id=8)}

        book = character(b.v2_card(character_book=b.v2_book(entries=entries)))

        assert book.character_book is not None
        assert [e.id for e in book.character_book.entries] == [7, 8]

    def test_key_and_keysecondary_in_card_entries(self) -> None:
        raw = b.v2_entry(key=["sword"], keysecondary=["blade"])
        del raw["keys"], raw["secondary_keys"]
        card = character(b.v2_card(character_book=b.v2_book(entries=[raw])))
        assert card.character_book is not None

        entry = card.character_book.entries[0]

        assert entry.keys == ["sword"]
        assert entry.secondary_keys == ["blade"]
        assert "key" not in entry.extra

    def test_unknown_position(self) -> None:
        raw = b.v2_entry(position="at_depth_9")

        card = character(b.v2_card(character_book=b.v2_book(entries=[raw])))

        assert card.character_book is not None
        assert card.character_book.entries[0].position == "at_depth_9"

    def test_entry_without_keys(self) -> None:
        raw = b.v2_entry()
        del raw["keys"]

        card = character(b.v2_card(character_book=b.v2_book(entries=[raw])))

        assert card.character_book is not None
        assert card.character_book.entries[0].keys == []

    def test_entries_that_are_not_objects_are_skipped(self) -> None:
        book = b.v2_book(entries=[b.v2_entry(), "junk", None])

        card = character(b.v2_card(character_book=book))

        assert card.character_book is not None
        assert len(card.character_book.entries) == 1

    def test_wrongly_typed_value_is_kept_aside(self) -> None:
        card = character(b.v2_card(character_version=2))

        assert card.character_version == ""
        assert card.extra["character_version"] == 2

    def test_tags_that_are_objects_are_kept_aside(self) -> None:
        card = character(b.v2_card(tags=[{"name": "x"}]))

        assert card.tags == []
        assert card.extra["tags"] == [{"name": "x"}]

    def test_keys_with_numbers(self) -> None:
        book = b.v2_book(entries=[b.v2_entry(keys=["a", 7, None])])

        card = character(b.v2_card(character_book=book))

        assert card.character_book is not None
        assert card.character_book.entries[0].keys == ["a", "7"]

    def test_lone_surrogate_is_replaced(self) -> None:
        raw = b'{"spec": "chara_card_v2", "data": {"name": "Ann \\ud83d", "tags": []}}'

        read = read_card(raw).character

        assert read is not None
        assert read.name == "Ann \ufffd"

    def test_nul_character_is_removed(self) -> None:
        raw = b'{"name": "A\\u0000nn"}'

        read = read_card(raw).character

        assert read is not None
        assert read.name == "Ann"

    def test_escaped_emoji_pair_is_kept(self) -> None:
        raw = json.dumps({"name": "Ann 🌸"}).encode("ascii")

        read = read_card(raw).character

        assert read is not None
        assert read.name == "Ann 🌸"


class TestErrors:
    def test_empty_file(self) -> None:
        with pytest.raises(CardError, match="empty"):
            read_card(b"")

    def test_not_json(self) -> None:
        with pytest.raises(CardError, match="not valid JSON: .* line 1 column 1"):
            read_card(b"hello")

    def test_not_utf8(self) -> None:
        with pytest.raises(CardError, match="not UTF-8"):
            read_card(b'{"name": "\xff"}')

    def test_not_an_object(self) -> None:
        with pytest.raises(CardError, match="must be a JSON object, not list"):
            read_card(b"[1, 2]")

    def test_not_a_card(self) -> None:
        with pytest.raises(CardError, match="neither a character card nor a lorebook"):
            read_card(b'{"hello": 1}')

    def test_unknown_spec(self) -> None:
        with pytest.raises(CardError, match="unknown spec 'chara_card_v9'"):
            read_card(b.to_bytes({"spec": "chara_card_v9", "data": {}}))

    def test_spec_without_data(self) -> None:
        with pytest.raises(CardError, match="no `data` object"):
            read_card(b.to_bytes({"spec": "chara_card_v2"}))

    def test_lorebook_v3_without_data(self) -> None:
        with pytest.raises(CardError, match="lorebook_v3 file has no `data`"):
            read_card(b.to_bytes({"spec": "lorebook_v3"}))

    def test_empty_name(self) -> None:
        with pytest.raises(CardError, match="no name"):
            read_card(b.to_bytes(b.v2_card(name="   ")))

    def test_missing_name(self) -> None:
        data = b.v2_data()
        del data["name"]

        with pytest.raises(CardError, match="no name"):
            read_card(b.to_bytes({"spec": "chara_card_v3", "data": data}))

    def test_name_not_text(self) -> None:
        with pytest.raises(CardError, match="no name"):
            read_card(b.to_bytes(b.v2_card(name=42)))

    def test_empty_v1_name(self) -> None:
        with pytest.raises(CardError, match="no name"):
            read_card(b.to_bytes({"name": "", "description": "x"}))

    def test_not_a_number_constant(self) -> None:
        with pytest.raises(CardError, match="NaN"):
            read_card(b'{"name": "Ann", "x": NaN}')

    def test_deep_nesting(self) -> None:
        deep = b"[" * 100_000 + b"]" * 100_000

        with pytest.raises(CardError, match="nested too deeply"):
            read_card(b'{"name": "Ann", "x": ' + deep + b"}")

    def test_jpeg(self) -> None:
        with pytest.raises(CardError, match="JPEG image; cards are read from PNG"):
            read_card(b"\xff\xd8\xff\xe0rest")

    def test_file_name_is_named(self) -> None:
        with pytest.raises(CardError, match="^sera.json: the file is not valid JSON"):
            read_card(b"{", filename="sera.json")
