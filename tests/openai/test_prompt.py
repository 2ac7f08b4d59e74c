"""The prompt of a character and the stop-sequence filter, without a server."""

from app.cards import Character
from app.openai.prompt import CharacterPrompt, Names, chat_messages, fill, take_lore
from app.openai.streaming import StopFilter

NAMES = Names(char="Mira", user="Bo")


class TestFill:
    def test_names_in_any_spelling(self) -> None:
        text = "{{char}} greets {{USER}}; <BOT> and <USER>; {{ char }}"

        assert fill(text, NAMES) == "Mira greets Bo; Mira and Bo; Mira"

    def test_original_is_the_default_instruction(self) -> None:
        assert fill("{{original}} Be terse.", NAMES).startswith(
            "Write Mira's next reply in a fictional chat between Mira and Bo."
        )


class TestChatMessages:
    def test_client_system_messages_stay_before_the_greeting(self) -> None:
        card = Character(name="Mira", first_mes="Hello, {{user}}.")
        history = [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Hi"},
        ]

        messages = chat_messages(CharacterPrompt(card, NAMES, [], 2000), history)

        assert [m["role"] for m in messages] == [
            "system",
            "system",
            "assistant",
            "user",
        ]
        assert messages[2]["content"] == "Hello, Bo."

    def test_examples_dropped_when_they_do_not_fit(self) -> None:
        card = Character(name="Mira", mes_example="<START>\n" + "word " * 500)

        messages = chat_messages(
            CharacterPrompt(card, NAMES, [], 200), [{"role": "user", "content": "Hi"}]
        )

        assert "Example dialogue" not in messages[0]["content"]

    def test_lore_best_first_within_room(self) -> None:
        entries = ["short one", "word " * 100, "another short"]

        assert take_lore(entries, 20) == ["short one", "another short"]


class TestStopFilter:
    def test_holds_back_a_possible_stop_then_cuts_before_it(self) -> None:
        stops = StopFilter(["\nUser:"])

        sent = [stops.feed(piece) for piece in ["Hello", " there\nUs", "er: more"]]

        assert "".join(sent) == "Hello there"
        assert stops.stopped is True

    def test_flushes_the_held_tail_at_the_end(self) -> None:
        stops = StopFilter(["###"])

        sent = stops.feed("ends with #") + stops.flush()

        assert sent == "ends with #"
