"""The MCP tools: thin adapters over the services the REST API uses.

Read tools work anonymously on public data, as the Read-Only REST endpoints
do; a key adds the caller's own private projects. Tools that spend the
server's CPU or the caller's credits (emotion, image generation) need a key.
"""

from typing import Annotated, Literal

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from app.emotion import service as emotion
from app.emotion.dependencies import get_emotion_batcher
from app.imagine import service as imagine
from app.imagine.dependencies import get_backend_info, job_queue
from app.imagine.errors import QueueUnavailable
from app.imagine.schemas import GenerationRequest
from app.kit.fetch import get_fetcher
from app.kit.redis import answers
from app.lore import service as lore
from app.lore.embedder import get_embedder
from app.lore.schemas import LoreMode, LoreQuery
from app.mcp.context import Hub, ToolContext, hub
from app.mcp.projects import find_project, summaries, summary
from app.mcp.schemas import (
    EmotionResult,
    EmotionScore,
    ImageJob,
    LoreHit,
    LoreHits,
    ProjectDetail,
    SearchResults,
    TagItem,
    TagList,
)
from app.models import ImagineJob
from app.models.imagine import ACTIVE_STATUSES, JobStatus
from app.projects.access import CHARACTERS, LOREBOOKS
from app.search import service as search
from app.search.schemas import SearchQuery, TagsQuery
from app.search.sorts import SortOrder
from app.search.tags import list_tags

Path = Annotated[
    str,
    Field(
        max_length=300,
        description="creator/slug (lorebooks/creator/slug works too) or the id.",
    ),
]
TagNames = Annotated[list[str], Field(max_length=50, description="Tag names.")]


async def search_projects(
    ctx: ToolContext,
    search_text: Annotated[str, Field(max_length=300)] = "",
    namespace: Literal["characters", "lorebooks", "*"] = "characters",
    tags: TagNames | None = None,
    exclude_tags: TagNames | None = None,
    sort: SortOrder = SortOrder.default,
    nsfw: bool = False,
    min_tokens: Annotated[int, Field(ge=0)] = 0,
    max_tokens: Annotated[int, Field(ge=0)] | None = None,
    creator: Annotated[str, Field(max_length=64)] | None = None,
    require_lore: bool = False,
    require_example_dialogues: bool = False,
    first: Annotated[int, Field(ge=1, le=100)] = 20,
    cursor: Annotated[str, Field(max_length=500)] | None = None,
    count: bool = False,
) -> SearchResults:
    """Search characters and lorebooks with the hub's main search filters."""
    query = SearchQuery(
        search=search_text,
        namespace=namespace,
        tags=",".join(tags or []),
        exclude_tags=",".join(exclude_tags or []),
        sort=sort,
        nsfw=nsfw,
        min_tokens=min_tokens,
        max_tokens=max_tokens,
        username=creator,
        require_lore=require_lore,
        require_example_dialogues=require_example_dialogues,
        first=first,
        cursor=cursor,
        count=count,
        mine_first=True,
    )
    async with hub(ctx) as h:
        page = await search.search(h.session, query, h.caller)
        found = await summaries(h, await search.load_projects(h.session, page.ids))
    total = page.total if page.total is not None else len(found)
    return SearchResults(count=total, cursor=page.cursor, projects=found)


async def get_character(ctx: ToolContext, path: Path) -> ProjectDetail:
    """A character with its whole definition (the card)."""
    async with hub(ctx) as h:
        project = await find_project(h, path, CHARACTERS)
        return ProjectDetail(
            **(await summary(h, project)).model_dump(), definition=project.definition
        )


async def get_lorebook(ctx: ToolContext, path: Path) -> ProjectDetail:
    """A lorebook with its whole definition (its entries)."""
    async with hub(ctx) as h:
        project = await find_project(h, path, LOREBOOKS)
        return ProjectDetail(
            **(await summary(h, project)).model_dump(), definition=project.definition
        )


async def query_lore(
    ctx: ToolContext,
    query: Annotated[str, Field(min_length=1, max_length=20_000)],
    paths: Annotated[list[str], Field(min_length=1, max_length=20)],
    first: Annotated[int, Field(ge=1, le=50)] = 5,
    mode: LoreMode = LoreMode.hybrid,
) -> LoreHits:
    """The lore entries of characters' and lorebooks' lore that matter for a
    text, best first (what POST /lore answers)."""
    async with hub(ctx) as h:
        owners = [(await find_project(h, path, None)).id for path in paths]
        embedder = await get_embedder(h.request())
        lore_query = LoreQuery(query=query, owner_ids=owners, first=first, mode=mode)
        found = await lore.search(h.session, h.settings, embedder, h.caller, lore_query)
    return LoreHits(
        results=[
            LoreHit(
                owner_id=c.item.owner_id,
                name=c.item.name,
                content=c.content,
                score=round(c.score, 6),
                reason=c.reason,
            )
            for c in found
        ]
    )


async def infer_emotion(
    ctx: ToolContext, text: Annotated[str, Field(min_length=1, max_length=20_000)]
) -> EmotionResult:
    """The emotion of a message, as one of the 28 GoEmotions labels (needs a key)."""
    async with hub(ctx) as h:
        h.user()
        batcher = await get_emotion_batcher(h.request())
        scores = (await emotion.classify(batcher, [text]))[0]
    label, score = scores[0]
    return EmotionResult(
        emotion=label,
        score=score,
        scores=[EmotionScore(label=name, score=value) for name, value in scores],
    )


async def list_tag_names(
    ctx: ToolContext,
    search_text: Annotated[str, Field(max_length=64)] = "",
    namespace: Literal["characters", "lorebooks", "*"] = "*",
    first: Annotated[int, Field(ge=1, le=500)] = 100,
) -> TagList:
    """Tags with their counts of public projects, most used first."""
    query = TagsQuery(search=search_text, namespace=namespace, first=first)
    async with hub(ctx) as h:
        rows, total = await list_tags(h.session, query)
    tags = [
        TagItem(name=r.name, count=r.count, is_nsfw=r.nsfw_share > 0.5) for r in rows
    ]
    return TagList(total=total, tags=tags)


async def start_image_generation(
    ctx: ToolContext,
    prompt: Annotated[str, Field(min_length=1, max_length=4000)],
    negative_prompt: Annotated[str, Field(max_length=4000)] = "",
    aspect_ratio: Annotated[str, Field(pattern=r"^w[1-9]\d?h[1-9]\d?$")] = "w1h1",
    seed: Annotated[int, Field(ge=-1, le=2**32 - 1)] = -1,
    num_images: Annotated[int, Field(ge=1, le=10)] = 1,
) -> ImageJob:
    """Start generating images from a prompt (needs a key; costs credits).
    Poll get_image_generation with the uuid for the result."""
    request = GenerationRequest(
        prompt=prompt,
        negative_prompt=negative_prompt,
        aspect_ratio=aspect_ratio,
        seed=seed,
        num_images=num_images,
    )
    async with hub(ctx) as h:
        if not await answers(h.app.state.redis):
            # Refused before anything is written or charged, as over HTTP.
            raise ToolError("The image queue is unavailable; try again later.")
        backend = get_backend_info(h.request())
        storage = h.app.state.storage
        # No input images here, so the fetcher is never used.
        fetcher = get_fetcher(h.settings)
        job = await imagine.create_job(
            h.session, storage, h.user(), request, h.settings, backend, fetcher
        )
        # The worker can only see the job once it is committed.
        await h.session.commit()
        await _enqueue(h, job)
        return _image_job(h, job)


async def get_image_generation(
    ctx: ToolContext, uuid: Annotated[str, Field(max_length=64)]
) -> ImageJob:
    """An image generation of yours and, once done, its images' URLs."""
    async with hub(ctx) as h:
        job = await imagine.get_item(h.session, h.user(), uuid)
        if job is None:
            raise ToolError("No such image generation of yours (404).")
        return _image_job(h, job)


async def _enqueue(h: Hub, job: ImagineJob) -> None:
    try:
        await job_queue(h.app).enqueue(job.id)
    except QueueUnavailable as error:
        await imagine.fail_unqueued(h.session, job.id)
        await h.session.commit()
        raise ToolError("The image queue is unavailable; try again later.") from error


def _image_job(h: Hub, job: ImagineJob) -> ImageJob:
    return ImageJob(
        uuid=str(job.uuid),
        status=job.status.value,
        is_done=job.status not in ACTIVE_STATUSES,
        is_failed=job.status == JobStatus.FAILED,
        error=job.error,
        cost=job.cost,
        prompt=job.prompt,
        image_urls=[f"{h.base_url}/media/{key}" for key in job.media_keys],
    )


TOOLS = (
    search_projects,
    get_character,
    get_lorebook,
    query_lore,
    infer_emotion,
    list_tag_names,
    start_image_generation,
    get_image_generation,
)
