"""Every filter of /search, alone and with others."""

from datetime import UTC, datetime, timedelta

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.cards import Lorebook, LorebookEntry
from app.models import Project
from tests.factories import create_project, create_user
from tests.search.helpers import names, search

LONG = " ".join(["word"] * 400)


async def set_columns(
    session: AsyncSession, project: Project, **values: object
) -> None:
    await session.execute(
        update(Project).where(Project.id == project.id).values(**values)
    )
    await session.flush()


class TestText:
    async def test_search_ranks_name_over_definition(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(
            session, alice, name="Plain", description="a lighthouse keeper"
        )
        await create_project(session, alice, name="Lighthouse")
        await create_project(session, alice, name="Unrelated", description="a baker")

        body = await search(client, search="lighthouse")

        assert names(body) == ["Lighthouse", "Plain"]

    async def test_tagline_outranks_description(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="A", description="ocean")
        await create_project(session, alice, name="B", tagline="ocean")

        body = await search(client, search="ocean")

        assert names(body) == ["B", "A"]

    async def test_exact_search_needs_the_phrase(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(
            session, alice, name="A", description="the red dragon sleeps"
        )
        await create_project(
            session, alice, name="B", description="a dragon, red with age"
        )

        body = await search(client, exact_search="red dragon")

        assert names(body) == ["A"]

    async def test_name_like_is_fuzzy(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Seraphina")
        await create_project(session, alice, name="Bob")

        typo = await search(client, name_like="Serafina")
        part = await search(client, name_like="raph")

        assert names(typo) == ["Seraphina"]
        assert names(part) == ["Seraphina"]

    @pytest.mark.parametrize(
        ("param", "length"),
        [("search", 301), ("exact_search", 301), ("name_like", 201)],
    )
    async def test_length_limits_are_422(
        self, client: AsyncClient, param: str, length: int
    ) -> None:
        response = await client.get("/search", params={param: "x" * length})

        assert response.status_code == 422


class TestTags:
    async def test_all_tags_by_default_any_with_inclusive_or(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Both", topics=["Elf", "Magic"])
        await create_project(session, alice, name="Elf only", topics=["elf"])
        await create_project(session, alice, name="None")

        every = await search(client, tags="ELF,magic")
        any_ = await search(
            client, topics="elf, Magic", inclusive_or=True, sort="name", asc=True
        )

        assert names(every) == ["Both"]
        assert names(any_) == ["Both", "Elf only"]

    async def test_exclude_tags_and_synonym(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Keep", topics=["Elf"])
        await create_project(session, alice, name="Drop", topics=["Elf", "Horror"])

        first = await search(client, tags="elf", exclude_tags="HORROR")
        second = await search(client, tags="elf", excludetopics="horror")

        assert names(first) == names(second) == ["Keep"]

    async def test_min_tags(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Three", topics=["a", "b", "c"])
        await create_project(session, alice, name="One", topics=["a"])

        body = await search(client, min_tags=2)

        assert names(body) == ["Three"]


class TestContentFlags:
    async def test_nsfw_excluded_by_default_included_and_only(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Safe")
        await create_project(session, alice, name="Spicy", nsfw=True)

        default = await search(client, sort="name", asc=True)
        included = await search(client, nsfw=True, sort="name", asc=True)
        only = await search(client, nsfw_only=True)
        yes = await search(client, nsfw="YES", sort="name", asc=True)

        assert names(default) == ["Safe"]
        assert names(included) == ["Safe", "Spicy"]
        assert names(only) == ["Spicy"]
        assert names(yes) == ["Safe", "Spicy"]

    async def test_nsfl(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Dark", nsfl=True)

        default = await search(client)
        included = await search(client, nsfl=True)

        assert names(default) == []
        assert names(included) == ["Dark"]

    async def test_nsfw_tag_means_the_flag(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Safe")
        await create_project(session, alice, name="Spicy", nsfw=True)

        tagged = await search(client, tags="NSFW", nsfw=True)
        excluded = await search(client, exclude_tags="nsfw", nsfw=True)

        assert names(tagged) == ["Spicy"]
        assert names(excluded) == ["Safe"]

    async def test_blocked_users_and_tags_are_hidden(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        spammer = await create_user(session, username="spammer")
        await create_project(session, alice, name="Fine")
        await create_project(session, alice, name="Gory", topics=["Gore"])
        await create_project(session, spammer, name="Spam")
        await client.post("/api/account/block/user/spammer", headers=alice.headers)
        await client.post("/api/account/block/tag/gore", headers=alice.headers)

        mine = await search(client, alice.headers)
        anonymous = await search(client, sort="name", asc=True)

        assert names(mine) == ["Fine"]
        assert names(anonymous) == ["Fine", "Gory", "Spam"]


class TestRanges:
    async def test_min_tokens_defaults_to_200(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Short")
        await create_project(session, alice, name="Long", description=LONG)

        response = await client.get("/search")
        explicit = await search(client, min_tokens=0, max_tokens=100)

        assert [n["name"] for n in response.json()["results"]] == ["Long"]
        assert names(explicit) == ["Short"]

    async def test_users_chatted_and_messages(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        busy = await create_project(session, alice, name="Busy")
        quiet = await create_project(session, alice, name="Quiet")
        await set_columns(session, busy, n_chats=50, n_messages=5000)
        await set_columns(session, quiet, n_chats=1, n_messages=10)

        chatted = await search(client, min_users_chatted=10)
        few = await search(client, max_messages=100)

        assert names(chatted) == ["Busy"]
        assert names(few) == ["Quiet"]

    async def test_max_days_ago(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        old = await create_project(session, alice, name="Old")
        await create_project(session, alice, name="Recent")
        await set_columns(
            session, old, last_activity_at=datetime.now(UTC) - timedelta(days=40)
        )

        body = await search(client, max_days_ago=30)

        assert names(body) == ["Recent"]

    async def test_min_ai_rating_drops_unrated_above_zero(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        good = await create_project(session, alice, name="Good")
        meh = await create_project(session, alice, name="Meh")
        await create_project(session, alice, name="Unrated")
        await set_columns(session, good, n_ratings=2, rating_sum=9)
        await set_columns(session, meh, n_ratings=1, rating_sum=2)

        four = await search(client, min_ai_rating=4)
        zero = await search(client, min_ai_rating=0)

        assert names(four) == ["Good"]
        assert len(names(zero)) == 3


class TestRequirements:
    @pytest.mark.parametrize(
        ("param", "fields", "columns"),
        [
            ("require_example_dialogues", {"mes_example": "<START> hi"}, {}),
            ("require_alternate_greetings", {"alternate_greetings": ["Hey"]}, {}),
            ("require_custom_prompt", {"system_prompt": "Be terse."}, {}),
            ("require_custom_prompt", {"post_history_instructions": "Stay."}, {}),
            ("require_expressions", {"extensions": {"expressions": {"joy": "x"}}}, {}),
            ("require_images", {}, {"has_gallery": True}),
        ],
    )
    async def test_requirement(
        self,
        client: AsyncClient,
        session: AsyncSession,
        param: str,
        fields: dict[str, object],
        columns: dict[str, object],
    ) -> None:
        alice = await create_user(session)
        has = await create_project(session, alice, name="Has", **fields)
        await create_project(session, alice, name="Lacks")
        if columns:
            await set_columns(session, has, **columns)

        body = await search(client, **{param: True})

        assert names(body) == ["Has"]

    async def test_embedded_and_linked_lore(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        book = Lorebook(entries=[LorebookEntry(keys=["x"], content="y")])
        await create_project(session, alice, name="Embedded", character_book=book)
        await create_project(session, alice, name="Linked")
        world = await create_project(session, alice, kind="lorebooks", name="World")
        await client.post(
            f"/api/core/characters/link/alice/linked/lorebook/{world.id}",
            headers=alice.headers,
        )

        embedded = await search(client, require_lore_embedded=True)
        linked = await search(client, require_lore_linked=True)
        either = await search(client, require_lore=True, sort="name", asc=True)

        assert names(embedded) == ["Embedded"]
        assert names(linked) == ["Linked"]
        assert names(either) == ["Embedded", "Linked"]

    async def test_a_private_linked_lorebook_counts_for_its_owner_only(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session)
        await create_project(session, alice, name="Linked")
        world = await create_project(
            session, alice, kind="lorebooks", name="World", visibility="private"
        )
        await client.post(
            f"/api/core/characters/link/alice/linked/lorebook/{world.id}",
            headers=alice.headers,
        )

        anonymous = await search(client, require_lore_linked=True)
        stranger = await search(client, require_lore=True, headers=bob.headers)
        owner = await search(client, require_lore_linked=True, headers=alice.headers)

        assert names(anonymous) == []
        assert names(stranger) == []
        assert names(owner) == ["Linked"]

    async def test_recommended_verified_and_language(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        star = await create_project(
            session, alice, name="Star", description="Un chevalier qui garde le pont."
        )
        await create_project(
            session, alice, name="Plain", description="A knight of old."
        )
        await set_columns(session, star, recommended=True, verified=True)

        picked = await search(client, recommended_verified=True)
        french = await search(client, language="fr")

        assert names(picked) == ["Star"]
        assert names(french) == ["Star"]


class TestPeople:
    async def test_creator_id_and_username(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        bob = await create_user(session)
        await create_project(session, alice, name="Hers")
        await create_project(session, bob, name="His")

        by_id = await search(client, creator_id=alice.user.id)
        by_name = await search(client, username="ALICE")

        assert names(by_id) == names(by_name) == ["Hers"]

    async def test_private_and_unlisted_only_for_their_owner(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        await create_project(session, alice, name="Public")
        await create_project(session, alice, name="Private", visibility="private")
        await create_project(session, alice, name="Unlisted", visibility="unlisted")

        anonymous = await search(client)
        own = await search(
            client, alice.headers, only_mine="all", sort="name", asc=True
        )
        private = await search(client, alice.headers, only_mine="private")
        first = await search(
            client, alice.headers, mine_first=True, sort="name", asc=True
        )
        excluded = await search(
            client, alice.headers, mine_first=True, exclude_mine=True
        )
        other = await search(client, bob.headers, mine_first=True)

        assert names(anonymous) == ["Public"]
        assert names(own) == ["Private", "Public", "Unlisted"]
        assert names(private) == ["Private"]
        assert names(first) == ["Private", "Public", "Unlisted"]
        assert names(excluded) == ["Public"]
        assert names(other) == ["Public"]

    async def test_mine_first_puts_mine_and_favorites_first(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        await create_project(session, alice, name="A mine")
        liked = await create_project(session, bob, name="B liked")
        await create_project(session, bob, name="C other")
        top = await create_project(session, bob, name="D popular")
        await set_columns(session, top, n_downloads=1000)
        await client.post(f"/api/favorites/{liked.id}", headers=alice.headers)

        body = await search(client, alice.headers, mine_first=True)

        assert names(body)[:2] == ["B liked", "A mine"] or names(body)[:2] == [
            "A mine",
            "B liked",
        ]
        assert names(body)[2] == "D popular"

    async def test_my_favorites(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        liked = await create_project(session, alice, name="Liked")
        await create_project(session, alice, name="Other")
        await client.post(f"/api/favorites/{liked.id}", headers=alice.headers)

        body = await search(client, alice.headers, my_favorites=True)

        assert names(body) == ["Liked"]

    async def test_forks_only_when_asked(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        root = await create_project(session, alice, name="Root")
        fork = await create_project(session, alice, name="Fork")
        await set_columns(session, fork, forked_from_id=root.id)

        roots = await search(client)
        every = await search(client, include_forks=True, sort="name", asc=True)

        assert names(roots) == ["Root"]
        assert names(every) == ["Fork", "Root"]

    async def test_namespace(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Char")
        await create_project(session, alice, kind="lorebooks", name="Book")

        default = await search(client)
        books = await search(client, namespace="lorebooks")
        both = await search(client, namespace="*", sort="name", asc=True)
        bad = await client.get("/search", params={"namespace": "planets"})

        assert names(default) == ["Char"]
        assert names(books) == ["Book"]
        assert names(both) == ["Book", "Char"]
        assert bad.status_code == 422

    async def test_newcomer_mode(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        old = await create_project(session, alice, name="Old")
        await create_project(session, alice, name="New")
        await set_columns(
            session, old, created_at=datetime.now(UTC) - timedelta(days=90)
        )

        body = await search(client, special_mode="newcomer")

        assert names(body) == ["New"]
