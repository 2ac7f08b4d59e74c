import pytest

from app.cards import (
    CardError,
    Character,
    Lorebook,
    LorebookEntry,
    from_hosted_fields,
    read_card,
    to_hosted_definition,
)
from tests.cards import builders as b


def seraphina() -> Character:
    found = read_card(b.to_bytes(b.v2_card()))
    assert found.character is not None
    return found.character


class TestToHostedDefinition:
    def test_hosted_names(self) -> None:
        card = seraphina()

        definition = to_hosted_definition(card, tagline="A guardian")

        assert definition["name"] == card.name
        assert definition["personality"] == card.description
        assert definition["tavern_personality"] == card.personality
        assert definition["description"] == card.creator_notes
        assert definition["first_message"] == card.first_mes
        assert definition["example_dialogs"] == card.mes_example
        assert definition["scenario"] == card.scenario
        assert definition["system_prompt"] == card.system_prompt
        assert definition["post_history_instructions"] == card.post_history_instructions
        assert definition["alternate_greetings"] == card.alternate_greetings
        assert definition["character_version"] == "1.2"
        assert definition["tagline"] == "A guardian"

    def test_extensions_keep_unknown_keys(self) -> None:
        definition = to_hosted_definition(seraphina())

        assert definition["extensions"]["x_ext"] == {"deep": [1]}

    def test_embedded_lorebook_is_a_v2_book(self) -> None:
        definition = to_hosted_definition(seraphina())

        assert definition["embedded_lorebook"] == b.v2_book()

    def test_no_lorebook(self) -> None:
        definition = to_hosted_definition(Character(name="Ann"))

        assert definition["embedded_lorebook"] is None


class TestFromHostedFields:
    def test_hosted_names(self) -> None:
        fields = from_hosted_fields(
            {
                "name": "Ann",
                "personality": "Tall",
                "tavern_personality": "kind",
                "description": "Notes",
                "first_message": "Hi",
                "example_dialogs": "<START>",
            }
        )

        assert fields == {
            "name": "Ann",
            "description": "Tall",
            "personality": "kind",
            "creator_notes": "Notes",
            "first_mes": "Hi",
            "mes_example": "<START>",
        }

    def test_card_names(self) -> None:
        body = {"name": "Ann", "description": "Tall", "first_mes": "Hi"}

        assert from_hosted_fields(body) == body

    def test_ambiguous_body_uses_hosted_names(self) -> None:
        assert from_hosted_fields({"description": "x"}) == {"creator_notes": "x"}

    def test_naming_can_be_chosen(self) -> None:
        fields = from_hosted_fields({"description": "x"}, naming="card")

        assert fields == {"description": "x"}

    def test_unknown_keys_are_ignored(self) -> None:
        fields = from_hosted_fields({"name": "Ann", "venus": True, "tagline": "t"})

        assert fields == {"name": "Ann"}

    def test_alternate_greetings_as_string(self) -> None:
        fields = from_hosted_fields({"alternate_greetings": "Hello"})

        assert fields == {"alternate_greetings": ["Hello"]}

    def test_embedded_lorebook(self) -> None:
        fields = from_hosted_fields({"embedded_lorebook": b.v2_book()})

        book = fields["character_book"]
        assert isinstance(book, Lorebook)
        assert book.entries[0].keys == ["forest", "森"]

    def test_embedded_world_info(self) -> None:
        fields = from_hosted_fields({"embedded_lorebook": b.world_info()})

        assert fields["character_book"].source_format == "worldinfo"

    def test_embedded_lorebook_without_entries(self) -> None:
        fields = from_hosted_fields({"embedded_lorebook": {"name": "Empty"}})

        assert fields["character_book"].entries == []

    def test_null_lorebook_clears_it(self) -> None:
        assert from_hosted_fields({"embedded_lorebook": None}) == {
            "character_book": None
        }

    def test_fields_apply_to_a_card(self) -> None:
        card = seraphina()
        fields = from_hosted_fields({"first_message": "Hey", "embedded_lorebook": None})

        card.first_mes = fields["first_mes"]
        card.character_book = fields["character_book"]

        definition = to_hosted_definition(card)
        assert definition["first_message"] == "Hey"
        assert definition["embedded_lorebook"] is None

    def test_round_trip(self) -> None:
        card = Character(
            name="Ann",
            description="Tall",
            creator_notes="Notes",
            character_book=Lorebook(entries=[LorebookEntry(keys=["a"])]),
        )

        fields = from_hosted_fields(to_hosted_definition(card))

        assert fields["description"] == "Tall"
        assert fields["creator_notes"] == "Notes"
        assert fields["character_book"].entries[0].keys == ["a"]


class TestFromHostedFieldsErrors:
    def test_wrong_type(self) -> None:
        with pytest.raises(CardError, match="`first_message` must be a string"):
            from_hosted_fields({"first_message": 3})

    def test_list_of_strings(self) -> None:
        with pytest.raises(CardError, match="`tags` must be a list of strings"):
            from_hosted_fields({"tags": {"a": 1}})

    def test_empty_name(self) -> None:
        with pytest.raises(CardError, match="`name` must not be empty"):
            from_hosted_fields({"name": " "})

    def test_lorebook_not_an_object(self) -> None:
        with pytest.raises(CardError, match="`embedded_lorebook` must be a lorebook"):
            from_hosted_fields({"embedded_lorebook": "nope"})

    def test_lorebook_that_is_a_character(self) -> None:
        with pytest.raises(CardError, match="`character_book` must be a lorebook"):
            from_hosted_fields({"character_book": b.v2_card()})
