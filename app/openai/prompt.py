"""The prompt of a character: its card, lore and the chat, within a token budget.

Pure functions over the card and the messages. Token counts are cl100k_base
counts (the hub's own measure); a model with another tokenizer counts
somewhat differently, so the budget keeps a margin.

What always goes in: the card's system prompt, description, personality and
scenario, the post-history instructions and the newest message. Then, while
they fit: the lore entries, older messages (newest first), the example
dialogues.
"""

import re
from dataclasses import dataclass
from typing import Any

from app.cards import Character
from app.projects.tokens import count_tokens

ChatMessage = dict[str, Any]

# The instruction front ends use when a card brings no system prompt of its own.
DEFAULT_MAIN_PROMPT = (
    "Write {{char}}'s next reply in a fictional chat between {{char}} and {{user}}."
)
# Role markers and separators a chat template adds around each message.
MESSAGE_OVERHEAD = 4
# The share of the budget lore may take, so that it never crowds out the chat.
LORE_SHARE = 0.25

_MACRO = re.compile(r"\{\{\s*(char|user|original)\s*\}\}|<(BOT|USER)>", re.IGNORECASE)
_START = re.compile(r"^\s*<START>\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Names:
    char: str
    user: str


@dataclass(frozen=True)
class CharacterPrompt:
    card: Character
    names: Names
    lore: list[str]
    budget: int


def fill(text: str, names: Names) -> str:
    """Replace `{{char}}`, `{{user}}` (and old cards' `<BOT>`, `<USER>`)."""

    def name(match: re.Match[str]) -> str:
        macro = (match.group(1) or match.group(2)).lower()
        if macro == "original":
            return fill(DEFAULT_MAIN_PROMPT, names)
        return names.char if macro in ("char", "bot") else names.user

    return _MACRO.sub(name, text)


def cost(text: str) -> int:
    return count_tokens(text) + MESSAGE_OVERHEAD


def core_text(card: Character, names: Names) -> str:
    """The part of the system message that always goes in."""
    parts = [
        card.system_prompt.strip() or DEFAULT_MAIN_PROMPT,
        card.description.strip(),
    ]
    if card.personality.strip():
        parts.append(f"{{{{char}}}}'s personality: {card.personality.strip()}")
    if card.scenario.strip():
        parts.append(f"Scenario: {card.scenario.strip()}")
    return fill("\n\n".join(p for p in parts if p), names)


def examples_text(card: Character, names: Names) -> str:
    blocks = [b.strip() for b in _START.split(card.mes_example) if b.strip()]
    if not blocks:
        return ""
    return fill("Example dialogue:\n\n" + "\n\n".join(blocks), names)


def take_lore(entries: list[str], room: int) -> list[str]:
    """The entries, best first, that fit in ``room`` tokens."""
    kept: list[str] = []
    for entry in entries:
        size = count_tokens(entry) + 1
        if size <= room:
            kept.append(entry)
            room -= size
    return kept


def system_message(core: str, lore: list[str], examples: str) -> str:
    parts = [core]
    if lore:
        parts.append("Relevant lore:\n" + "\n".join(f"- {e.strip()}" for e in lore))
    if examples:
        parts.append(examples)
    return "\n\n".join(parts)


def chat_messages(
    spec: CharacterPrompt, history: list[ChatMessage]
) -> list[ChatMessage]:
    """The messages to send for a chat with the character."""
    names, card = spec.names, spec.card
    core = core_text(card, names)
    after = fill(card.post_history_instructions.strip(), names)
    greeting = _greeting(card, names, history)
    used = cost(core) + (cost(after) if after else 0) + sum(map(_cost_of, greeting))

    newest = history[-1:]
    used += sum(map(_cost_of, newest))
    lore_room = min(int(spec.budget * LORE_SHARE), spec.budget - used)
    lore = take_lore(spec.lore, lore_room)
    used += sum(count_tokens(e) + 1 for e in lore)
    older, used = _fit_history(history[:-1], spec.budget - used, used)
    examples = examples_text(card, names)
    if examples and used + count_tokens(examples) > spec.budget:
        examples = ""

    system = {"role": "system", "content": system_message(core, lore, examples)}
    chat = _with_greeting(older + newest, greeting)
    tail = [{"role": "system", "content": after}] if after else []
    return [system, *chat, *tail]


def text_prompt(spec: CharacterPrompt, prompt: str) -> str:
    """A plain-text prompt for /v1/completions: the character's context, then
    the caller's text."""
    core = core_text(spec.card, spec.names)
    used = cost(core) + cost(prompt)
    lore = take_lore(spec.lore, min(int(spec.budget * LORE_SHARE), spec.budget - used))
    return system_message(core, lore, "") + "\n\n" + prompt


def _cost_of(message: ChatMessage) -> int:
    content = message.get("content")
    return cost(content if isinstance(content, str) else str(content or ""))


def _fit_history(
    older: list[ChatMessage], room: int, used: int
) -> tuple[list[ChatMessage], int]:
    kept: list[ChatMessage] = []
    for message in reversed(older):
        size = _cost_of(message)
        if size > room:
            break
        kept.insert(0, message)
        room -= size
        used += size
    return kept, used


def _greeting(
    card: Character, names: Names, history: list[ChatMessage]
) -> list[ChatMessage]:
    # The card's first message opens a chat; once the character has spoken,
    # the client's history holds whatever it said.
    if not card.first_mes.strip() or any(m["role"] == "assistant" for m in history):
        return []
    return [{"role": "assistant", "content": fill(card.first_mes, names)}]


def _with_greeting(
    chat: list[ChatMessage], greeting: list[ChatMessage]
) -> list[ChatMessage]:
    # After the client's own leading system messages, before the first turn.
    lead = 0
    while lead < len(chat) and chat[lead]["role"] in ("system", "developer"):
        lead += 1
    return [*chat[:lead], *greeting, *chat[lead:]]
