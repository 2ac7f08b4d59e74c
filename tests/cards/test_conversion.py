"""Writing a card or lorebook in a format other than the one it was read from."""

from typing import Any

import pytest

from app.cards import (
    Character,
    Lorebook,
    LorebookEntry,
    lorebook_to_character_book,
    lorebook_to_v3,
    lorebook_to_world_info,
    read_card,
    to_v2,
    to_v3,
)
from tests.cards import builders as b


def read_character(obj: Any) -> Character:
    found = read_card(b.to_bytes(obj))
    assert found.character is not None
    return found.character


def read_lorebook(obj: Any) -> Lorebook:
    found = read_card(b.to_bytes(obj))
    assert found.lorebook is not None
    return found.lorebook


def world_info_as_v3_entry(**overrides: Any) -> dict[str, Any]:
    book = read_lorebook(
        b.world_info(entries={"0": b.world_info_entry(0, **overrides)})
    )
    entry: dict[str, Any] = lorebook_to_v3(book)["data"]["entries"][0]
    return entry


def v3_as_world_info_entry(**overrides: Any) -> dict[str, Any]:
    book = read_lorebook({"spec": "lorebook_v3", "data": b.v2_book(entries=[])})
    book.entries = [LorebookEntry(**overrides)]
    entry: dict[str, Any] = next(iter(lorebook_to_world_info(book)["entries"].values()))
    return entry


class TestV2ToV3:
    def test_spec(self) -> None:
        card = to_v3(read_character(b.v2_card()))

        assert card["spec"] == "chara_card_v3"
        assert card["spec_version"] == "3.0"

    def test_adds_v3_defaults(self) -> None:
        card = to_v3(read_character(b.v2_card()))

        assert card["data"]["group_only_greetings"] == []
        assert card["data"]["character_book"]["entries"][0]["use_regex"] is False

    def test_keeps_every_v2_field_and_unknown_key(self) -> None:
        source = b.v2_card()

        card = to_v3(read_character(source))

        data = dict(card["data"])
        del data["group_only_greetings"]
        for entry in data["character_book"]["entries"]:
            del entry["use_regex"]
        assert data == source["data"]
        assert card["x_top_unknown"] == {"kept": True}

    def test_fills_fields_a_sparse_card_lacks(self) -> None:
        card = to_v3(read_character({"spec": "chara_card_v2", "data": {"name": "A"}}))

        assert card["data"]["system_prompt"] == ""
        assert card["data"]["alternate_greetings"] == []
        assert card["data"]["extensions"] == {}
        assert "character_book" not in card["data"]

    def test_adds_book_extensions(self) -> None:
        book = b.v2_book()
        del book["extensions"]

        card = to_v3(read_character(b.v2_card(character_book=book)))

        assert card["data"]["character_book"]["extensions"] == {}


class TestV3ToV2:
    def test_spec(self) -> None:
        card = to_v2(read_character(b.v3_card()))

        assert card["spec"] == "chara_card_v2"
        assert card["spec_version"] == "2.0"

    def test_empty_v3_fields_are_left_out(self) -> None:
        source = b.v3_card(group_only_greetings=[], nickname="")

        data = to_v2(read_character(source))["data"]

        assert "group_only_greetings" not in data
        assert "nickname" not in data

    def test_v3_fields_with_values_are_kept(self) -> None:
        data = to_v2(read_character(b.v3_card()))["data"]

        assert data["nickname"] == "Sera"
        assert data["assets"][1]["x_asset_unknown"] == 1

    def test_entries_keep_use_regex_only_when_set(self) -> None:
        entries = to_v2(read_character(b.v3_card()))["data"]["character_book"][
            "entries"
        ]

        assert entries[0]["use_regex"] is True
        assert "use_regex" not in entries[1]


class TestV1ToV2:
    def test_fills_v2_fields(self) -> None:
        card = to_v2(read_character({"name": "Ann", "description": "Tall"}))

        assert card["spec"] == "chara_card_v2"
        assert card["data"]["name"] == "Ann"
        assert card["data"]["description"] == "Tall"
        assert card["data"]["creator_notes"] == ""
        assert card["data"]["tags"] == []

    def test_keeps_unknown_keys_beside_data(self) -> None:
        card = to_v2(
            read_character({"name": "Ann", "chat": "Ann - 2023", "fav": False})
        )

        assert card["chat"] == "Ann - 2023"
        assert card["fav"] is False


class TestCardOutput:
    def test_no_book_means_no_key(self) -> None:
        character = Character(name="Ann")

        assert "character_book" not in to_v2(character)["data"]
        assert "character_book" not in to_v3(character)["data"]

    def test_entries_keyed_by_id_become_a_list(self) -> None:
        book = b.v2_book(entries={"3": b.v2_entry(id=3)})

        card = to_v2(read_character(b.v2_card(character_book=book)))

        assert isinstance(card["data"]["character_book"]["entries"], list)

    def test_selective_logic_field_wins(self) -> None:
        character = read_character(b.v2_card())
        assert character.character_book is not None
        character.character_book.entries[0].selective_logic = "and_all"

        entry = to_v2(character)["data"]["character_book"]["entries"][0]

        assert entry["extensions"]["selectiveLogic"] == 3
        assert entry["extensions"]["x_tool"] == {"n": 1}

    def test_entry_added_to_an_imported_book(self) -> None:
        character = read_character(b.v2_card())
        assert character.character_book is not None
        character.character_book.entries.append(LorebookEntry(keys=["new"]))

        entries = to_v2(character)["data"]["character_book"]["entries"]

        assert entries[-1] == {
            "keys": ["new"],
            "content": "",
            "extensions": {},
            "enabled": True,
            "insertion_order": 100,
        }

    def test_new_character_has_every_v3_field(self) -> None:
        data = to_v3(Character(name="Ann"))["data"]

        assert set(data) == {
            "name",
            "description",
            "personality",
            "scenario",
            "first_mes",
            "mes_example",
            "creator_notes",
            "system_prompt",
            "post_history_instructions",
            "alternate_greetings",
            "tags",
            "creator",
            "character_version",
            "extensions",
            "group_only_greetings",
        }


class TestWorldInfoToCardLorebook:
    def test_names(self) -> None:
        entry = world_info_as_v3_entry()

        assert entry["id"] == 0
        assert entry["keys"] == ["eldoria", "森"]
        assert entry["secondary_keys"] == ["wood"]
        assert entry["insertion_order"] == 100
        assert entry["comment"] == "Entry 0"
        assert entry["constant"] is False
        assert entry["selective"] is True

    @pytest.mark.parametrize("disable", [True, False])
    def test_disable_becomes_enabled(self, disable: bool) -> None:
        assert world_info_as_v3_entry(disable=disable)["enabled"] is not disable

    @pytest.mark.parametrize("code", [0, 1, 2, 3])
    def test_selective_logic(self, code: int) -> None:
        entry = world_info_as_v3_entry(selectiveLogic=code)

        assert entry["extensions"]["selectiveLogic"] == code

    @pytest.mark.parametrize(
        ("number", "position"),
        [(0, "before_char"), (1, "after_char"), (4, "after_char")],
    )
    def test_position(self, number: int, position: str) -> None:
        entry = world_info_as_v3_entry(position=number)

        assert entry["position"] == position
        assert entry["extensions"]["position"] == number

    def test_other_keys_go_to_extensions(self) -> None:
        extensions = world_info_as_v3_entry()["extensions"]

        assert extensions["exclude_recursion"] is True
        assert extensions["display_index"] == 0
        assert extensions["probability"] == 100
        assert extensions["x_wi_unknown"] == {"kept": [0]}

    def test_book_keys_go_to_extensions(self) -> None:
        data = lorebook_to_v3(read_lorebook(b.world_info()))["data"]

        assert data["extensions"] == {"originalData": {"name": "from a card"}}

    def test_entries_are_a_list(self) -> None:
        book = lorebook_to_character_book(read_lorebook(b.world_info()))

        assert [entry["id"] for entry in book["entries"]] == [0, 1, 5]

    def test_and_back(self) -> None:
        source = b.world_info()
        v3 = lorebook_to_v3(read_lorebook(source))

        assert lorebook_to_world_info(read_lorebook(v3)) == source


class TestCardLorebookToWorldInfo:
    def test_names(self) -> None:
        entry = v3_as_world_info_entry(
            id=7,
            keys=["a"],
            secondary_keys=["b"],
            comment="c",
            content="d",
            insertion_order=5,
            constant=True,
        )

        assert entry["uid"] == 7
        assert entry["key"] == ["a"]
        assert entry["keysecondary"] == ["b"]
        assert entry["comment"] == "c"
        assert entry["content"] == "d"
        assert entry["order"] == 5
        assert entry["constant"] is True
        assert entry["selective"] is False

    @pytest.mark.parametrize("enabled", [True, False])
    def test_enabled_becomes_disable(self, enabled: bool) -> None:
        assert v3_as_world_info_entry(enabled=enabled)["disable"] is not enabled

    @pytest.mark.parametrize(
        ("logic", "code"),
        [("and_any", 0), ("not_all", 1), ("not_any", 2), ("and_all", 3), (None, 0)],
    )
    def test_selective_logic(self, logic: Any, code: int) -> None:
        assert v3_as_world_info_entry(selective_logic=logic)["selectiveLogic"] == code

    @pytest.mark.parametrize(
        ("position", "number"),
        [("before_char", 0), ("after_char", 1), ("somewhere", 1), (None, 1), (3, 3)],
    )
    def test_position(self, position: Any, number: int) -> None:
        assert v3_as_world_info_entry(position=position)["position"] == number

    def test_position_in_extensions_wins(self) -> None:
        entry = v3_as_world_info_entry(
            position="before_char", extensions={"position": 4}
        )

        assert entry["position"] == 4

    def test_extensions_become_world_info_keys(self) -> None:
        entry = v3_as_world_info_entry(
            extensions={"exclude_recursion": True, "depth": 2, "x_tool": 1}
        )

        assert entry["excludeRecursion"] is True
        assert entry["depth"] == 2
        assert entry["x_tool"] == 1
        assert "extensions" not in entry

    def test_clashing_extensions_stay_in_extensions(self) -> None:
        entry = v3_as_world_info_entry(content="real", extensions={"content": "other"})

        assert entry["content"] == "real"
        assert entry["extensions"] == {"content": "other"}

    def test_uids_are_unique(self) -> None:
        book = Lorebook(entries=[LorebookEntry(id=i) for i in (3, 3, "x", None, True)])

        entries = lorebook_to_world_info(book)["entries"]

        assert list(entries) == ["3", "0", "1", "2", "4"]
        assert [entry["uid"] for entry in entries.values()] == [3, 0, 1, 2, 4]

    def test_and_back(self) -> None:
        book = b.v2_book()
        source = {"spec": "lorebook_v3", "data": book}
        world_info = lorebook_to_world_info(read_lorebook(source))

        again = lorebook_to_v3(read_lorebook(world_info))

        entry = again["data"]["entries"][0]
        expected = dict(book["entries"][0])
        unknown = expected.pop("x_entry_unknown")
        assert entry["extensions"] == {
            **expected["extensions"],
            "x_entry_unknown": unknown,
        }
        assert {k: v for k, v in entry.items() if k != "extensions"} == {
            **{k: v for k, v in expected.items() if k != "extensions"},
            "use_regex": False,
        }
