"""The text of a character's definition, for token counts and search."""

from app.cards.model import Character

# The fields a chat front end sends to the model, in the order it sends them.
DEFINITION_FIELDS = (
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "system_prompt",
    "post_history_instructions",
)


def definition_parts(card: Character) -> dict[str, str]:
    """Each definition field's text, alternate greetings joined as one part."""
    parts = {name: getattr(card, name) for name in DEFINITION_FIELDS}
    parts["alternate_greetings"] = "\n\n".join(card.alternate_greetings)
    return parts


def definition_text(card: Character) -> str:
    """The definition fields' text joined by blank lines, empty ones left out."""
    return "\n\n".join(part for part in definition_parts(card).values() if part)
