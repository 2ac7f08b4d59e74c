import pytest

from app.lore.keywords import Rules, evaluate


def fires(text: str, **rules: object) -> bool:
    return evaluate(Rules(**rules), text) is not None  # type: ignore[arg-type]


class TestPrimaryKeys:
    def test_any_primary_key_fires(self) -> None:
        assert fires("The wolves howl.", keys=("dragon", "wolves"))

    def test_no_primary_key_does_not_fire(self) -> None:
        assert not fires("The wolves howl.", keys=("dragon",))

    def test_no_keys_never_fires(self) -> None:
        assert not fires("anything", keys=())

    def test_blank_keys_are_ignored(self) -> None:
        assert not fires("anything at all", keys=("", "  "))

    def test_matched_keys_are_reported(self) -> None:
        match = evaluate(Rules(keys=("wolf", "moon", "sun")), "A wolf under the moon")

        assert match is not None
        assert match.keys == ["wolf", "moon"]


class TestCase:
    def test_insensitive_by_default(self) -> None:
        assert fires("ELDORIA falls", keys=("eldoria",))

    def test_sensitive_when_asked(self) -> None:
        assert not fires("ELDORIA falls", keys=("Eldoria",), case_sensitive=True)

    def test_sensitive_exact_case(self) -> None:
        assert fires("Eldoria falls", keys=("Eldoria",), case_sensitive=True)

    def test_insensitive_beyond_ascii(self) -> None:
        assert fires("ЛЕС шумит", keys=("лес",))


class TestWholeWords:
    def test_whole_words_by_default(self) -> None:
        assert not fires("He hid himself.", keys=("elf",))

    def test_word_at_edges_and_punctuation(self) -> None:
        assert fires("Elf, come here", keys=("elf",))

    def test_multi_word_key(self) -> None:
        assert fires("The magical forest glows.", keys=("magical forest",))

    def test_parts_of_words_when_turned_off(self) -> None:
        assert fires("He hid himself.", keys=("elf",), match_whole_words=False)

    def test_unspaced_scripts_match_inside_text(self) -> None:
        assert fires("深い森の中で", keys=("森",))


class TestRegex:
    def test_use_regex_keys(self) -> None:
        assert fires("a drakon!", keys=(r"dra[gk]on",), use_regex=True)

    def test_use_regex_follows_case_setting(self) -> None:
        rules = {"keys": ("Dragon",), "use_regex": True, "case_sensitive": True}

        assert not fires("dragon", **rules)

    def test_slashed_key_is_a_regex_without_use_regex(self) -> None:
        assert fires("a DRAKON", keys=("/dra(g|k)on/i",))

    def test_slashed_key_without_flag_is_case_sensitive(self) -> None:
        assert not fires("a DRAKON", keys=("/dra(g|k)on/",))

    def test_plain_key_is_literal(self) -> None:
        assert not fires("dragon", keys=("dra.on",), match_whole_words=False)

    def test_broken_regex_does_not_fire(self) -> None:
        assert not fires("dragon", keys=("dra(gon",), use_regex=True)


class TestSelectiveLogic:
    KEYS = ("forest",)
    SECONDARY = ("night", "wolf")

    @pytest.mark.parametrize(
        ("logic", "text", "expected"),
        [
            ("and_any", "forest at night", True),
            ("and_any", "forest at night, a wolf", True),
            ("and_any", "forest by day", False),
            ("and_all", "forest at night, a wolf", True),
            ("and_all", "forest at night", False),
            ("and_all", "forest by day", False),
            ("not_any", "forest by day", True),
            ("not_any", "forest at night", False),
            ("not_any", "forest at night, a wolf", False),
            ("not_all", "forest by day", True),
            ("not_all", "forest at night", True),
            ("not_all", "forest at night, a wolf", False),
        ],
    )
    def test_logic(self, logic: str, text: str, expected: bool) -> None:
        rules = Rules(
            keys=self.KEYS,
            secondary_keys=self.SECONDARY,
            selective=True,
            selective_logic=logic,
        )

        assert (evaluate(rules, text) is not None) is expected

    def test_secondary_keys_ignored_unless_selective(self) -> None:
        assert fires("forest by day", keys=self.KEYS, secondary_keys=self.SECONDARY)

    def test_selective_without_secondary_keys_is_primary_only(self) -> None:
        assert fires("forest", keys=self.KEYS, selective=True)

    def test_secondary_alone_does_not_fire(self) -> None:
        assert not fires(
            "night wolf", keys=self.KEYS, secondary_keys=self.SECONDARY, selective=True
        )

    def test_matched_secondary_keys_are_reported(self) -> None:
        rules = Rules(keys=self.KEYS, secondary_keys=self.SECONDARY, selective=True)

        match = evaluate(rules, "forest wolf")

        assert match is not None
        assert match.matched_keys == ["forest", "wolf"]


class TestConstantAndDisabled:
    def test_constant_always_fires(self) -> None:
        match = evaluate(Rules(keys=("dragon",), constant=True), "nothing here")

        assert match is not None
        assert match.constant

    def test_constant_reports_keys_that_matched(self) -> None:
        match = evaluate(Rules(keys=("dragon",), constant=True), "a dragon")

        assert match is not None
        assert match.keys == ["dragon"]

    def test_disabled_never_fires(self) -> None:
        assert not fires("a dragon", keys=("dragon",), enabled=False)

    def test_disabled_constant_never_fires(self) -> None:
        assert not fires("x", keys=("dragon",), constant=True, enabled=False)
