import pytest

from app.cards import Character, definition_parts, definition_text, safe_filename


class TestDefinitionText:
    def test_joins_the_definition_fields(self) -> None:
        card = Character(
            name="Ann",
            description="D",
            personality="P",
            scenario="S",
            first_mes="F",
            mes_example="M",
            system_prompt="SP",
            post_history_instructions="PH",
            alternate_greetings=["G1", "G2"],
            creator_notes="not sent to the model",
        )

        assert definition_text(card) == "D\n\nP\n\nS\n\nF\n\nM\n\nSP\n\nPH\n\nG1\n\nG2"

    def test_skips_empty_fields(self) -> None:
        card = Character(name="Ann", description="D", first_mes="F")

        assert definition_text(card) == "D\n\nF"

    def test_empty_card(self) -> None:
        assert definition_text(Character(name="Ann")) == ""

    def test_parts_by_field(self) -> None:
        card = Character(name="Ann", scenario="S", alternate_greetings=["a", "b"])

        parts = definition_parts(card)

        assert parts["scenario"] == "S"
        assert parts["alternate_greetings"] == "a\n\nb"
        assert parts["description"] == ""


class TestSafeFilename:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("Seraphina", "Seraphina.png"),
            ("Ami 👩🏽‍🚀 漢字", "Ami 👩🏽‍🚀 漢字.png"),
            ("Zoe\u0301", "Zoé.png"),
            ("a/b\\c", "a b c.png"),
            ('x<>:"|?*y', "x y.png"),
            ("line\nbreak\ttab\x00nul", "line break tabnul.png"),
            ("../../etc/passwd", "etc passwd.png"),
            ("  ..hidden.. ", "hidden.png"),
            ("evil\u202egnp.exe", "evilgnp.exe.png"),
            ("CON", "_CON.png"),
            ("con.txt", "_con.txt.png"),
            ("", "card.png"),
            ("///", "card.png"),
        ],
    )
    def test_names(self, name: str, expected: str) -> None:
        assert safe_filename(name, "png") == expected

    def test_extension_is_normalised(self) -> None:
        assert safe_filename("Ann", ".JSON") == "Ann.json"

    def test_no_extension(self) -> None:
        assert safe_filename("Ann", "") == "Ann"

    def test_long_name_fits_in_200_bytes(self) -> None:
        name = safe_filename("森" * 300, "png")

        assert len(name.encode("utf-8")) <= 204
        assert name == "森" * 66 + ".png"
