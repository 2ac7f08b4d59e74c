"""The rules of /v1: which model answers, and the prompt of a character."""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.lore import service as lore
from app.lore.embedder import Embedder
from app.lore.schemas import MAX_QUERY_CHARS, LoreQuery
from app.lore.schemas import ChatMessage as LoreMessage
from app.models import Project, User
from app.openai.backend import Backend, Call
from app.openai.errors import ModelNotFound
from app.openai.local import LocalBackend
from app.openai.prompt import CharacterPrompt, Names, chat_messages, text_prompt
from app.openai.schemas import (
    ChatCompletionRequest,
    CompletionRequest,
    ModelList,
    ModelRead,
)
from app.projects.access import CHARACTERS, get_readable_by_path
from app.projects.definitions import load_character
from app.projects.errors import ProjectNotFound
from app.search import service as search
from app.search.schemas import SearchQuery

CHARACTER_PREFIX = "character/"
EmbedderSource = Callable[[], Awaitable[Embedder]]


async def find_character(
    session: AsyncSession, caller: User | None, model: str
) -> Project | None:
    """The character a `character/<creator>/<slug>` model names, None for any
    other model; 404 (as an unknown model) when the caller may not see it."""
    if not model.startswith(CHARACTER_PREFIX):
        return None
    creator, _, slug = model.removeprefix(CHARACTER_PREFIX).partition("/")
    if not creator or not slug or "/" in slug:
        raise ModelNotFound(model)
    try:
        return await get_readable_by_path(session, creator, slug, caller, CHARACTERS)
    except ProjectNotFound as error:
        raise ModelNotFound(model) from error


def backend_model(backend: Backend, settings: Settings, requested: str) -> str:
    """The name the backend knows for a model a client asked for."""
    mapped = settings.llm_model_map.get(requested, requested)
    if isinstance(backend, LocalBackend) and mapped != backend.name:
        raise ModelNotFound(requested)
    return mapped


async def chat_call(
    session: AsyncSession,
    settings: Settings,
    caller: User | None,
    backend: Backend,
    body: ChatCompletionRequest,
    embedder: EmbedderSource,
) -> Call:
    forwarded = body.model_dump(exclude_unset=True)
    character = await find_character(session, caller, body.model)
    if character is None:
        forwarded["model"] = backend_model(backend, settings, body.model)
        messages = [{"role": m.role, "content": m.text()} for m in body.messages]
        return Call("chat/completions", forwarded, body, body.model, messages)

    history = [{"role": m.role, "content": m.text()} for m in body.messages]
    spec = await _character_prompt(
        session, settings, caller, character, body, history, embedder
    )
    messages = chat_messages(spec, history)
    forwarded.update(model=await backend.default_model(), messages=messages)
    return Call("chat/completions", forwarded, body, body.model, messages)


async def text_call(
    session: AsyncSession,
    settings: Settings,
    caller: User | None,
    backend: Backend,
    body: CompletionRequest,
    embedder: EmbedderSource,
) -> Call:
    forwarded = body.model_dump(exclude_unset=True)
    character = await find_character(session, caller, body.model)
    if character is None:
        forwarded["model"] = backend_model(backend, settings, body.model)
        return Call(
            "completions", forwarded, body, body.model, prompt=body.prompt_text()
        )

    history = [{"role": "user", "content": body.prompt_text()}]
    spec = await _character_prompt(
        session, settings, caller, character, body, history, embedder
    )
    prompt = text_prompt(spec, body.prompt_text())
    forwarded.update(model=await backend.default_model(), prompt=prompt)
    return Call("completions", forwarded, body, body.model, prompt=prompt)


async def _character_prompt(
    session: AsyncSession,
    settings: Settings,
    caller: User | None,
    character: Project,
    body: ChatCompletionRequest | CompletionRequest,
    history: list[dict[str, Any]],
    embedder: EmbedderSource,
) -> CharacterPrompt:
    card = load_character(character.definition)
    names = Names(card.name or character.name, _user_name(body, caller))
    entries = await character_lore(
        session, settings, caller, character, history, embedder
    )
    reply = body.reply_budget() or settings.llm_max_tokens
    budget = max(settings.llm_context_tokens - reply, 0)
    return CharacterPrompt(card, names, entries, budget)


def _user_name(
    body: ChatCompletionRequest | CompletionRequest, caller: User | None
) -> str:
    if isinstance(body, ChatCompletionRequest):
        for message in reversed(body.messages):
            if message.role == "user" and message.name:
                return message.name
    if caller is not None:
        return caller.name or caller.username
    return "User"


async def character_lore(
    session: AsyncSession,
    settings: Settings,
    caller: User | None,
    character: Project,
    history: list[dict[str, Any]],
    embedder: EmbedderSource,
) -> list[str]:
    """The texts of the lore entries /lore selects for the latest messages."""
    if not settings.llm_lore_entries:
        return []
    if not (character.has_lore_embedded or character.has_lore_linked):
        return []
    recent = [
        LoreMessage(role=m["role"], content=m["content"][-MAX_QUERY_CHARS:])
        for m in history[-settings.llm_lore_scan_messages :]
        if m["content"].strip()
    ]
    if not recent:
        return []
    query = LoreQuery(
        owner_ids=[character.id], messages=recent, first=settings.llm_lore_entries
    )
    found = await lore.search(session, settings, await embedder(), caller, query)
    return [candidate.content for candidate in found]


async def list_models(
    session: AsyncSession,
    caller: User | None,
    backend: Backend,
    limit: int,
    after: str | None,
) -> ModelList:
    """The backend's models on the first page, then characters the caller may
    chat with: their own (any visibility) and public ones, most used first."""
    base: list[ModelRead] = []
    if after is None:
        base = [
            ModelRead(id=n, created=0, owned_by="rostro")
            for n in await backend.models()
        ]
    query = SearchQuery(
        first=limit,
        cursor=after,
        mine_first=caller is not None,
        nsfw=True,
        nsfl=True,
        min_tokens=0,
    )
    page = await search.search(session, query, caller)
    projects = await search.load_projects(session, page.ids)
    creators = await _usernames(session, {p.creator_id for p in projects})
    characters = [_character_model(p, creators[p.creator_id]) for p in projects]
    return ModelList(
        data=base + characters,
        has_more=page.cursor is not None,
        next_cursor=page.cursor,
    )


async def get_model(
    session: AsyncSession, caller: User | None, backend: Backend, model: str
) -> ModelRead:
    character = await find_character(session, caller, model)
    if character is not None:
        creators = await _usernames(session, {character.creator_id})
        return _character_model(character, creators[character.creator_id])
    if model in await backend.models():
        return ModelRead(id=model, created=0, owned_by="rostro")
    raise ModelNotFound(model)


def _character_model(project: Project, creator: str) -> ModelRead:
    return ModelRead(
        id=f"{CHARACTER_PREFIX}{creator}/{project.slug}",
        created=int(project.created_at.timestamp()),
        owned_by=creator,
        name=project.name,
        description=project.tagline or None,
    )


async def _usernames(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {row[0]: row[1] for row in rows}
