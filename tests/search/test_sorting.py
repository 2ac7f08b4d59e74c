"""Sorts, pages, cursors and the envelopes of the search."""

import pytest
from httpx import AsyncClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.cursor import encode_cursor
from app.models import Project, User
from app.search import stats
from app.search.sorts import SortOrder
from tests.factories import create_project, create_user
from tests.search.helpers import names, search


async def catalogue(session: AsyncSession, count: int = 5) -> list[Project]:
    alice = await create_user(session)
    projects = []
    for number in range(count):
        project = await create_project(session, alice, name=f"P{number}")
        await session.execute(
            update(Project)
            .where(Project.id == project.id)
            .values(
                n_downloads=(number * 7) % count,
                n_favorites=number,
                n_tokens=100 - number,
                n_ratings=1,
                rating_sum=(number % 5) + 1,
            )
        )
        projects.append(project)
    await session.flush()
    return projects


class TestSorts:
    @pytest.mark.parametrize(
        "sort", [s.value for s in SortOrder if s.value != "random"]
    )
    async def test_every_sort_with_a_creator_filter(
        self, client: AsyncClient, session: AsyncSession, sort: str
    ) -> None:
        projects = await catalogue(session)
        other = await create_user(session)
        await create_project(session, other, name="Elsewhere")
        creator = projects[0].creator_id

        body = await search(client, creator_id=creator, sort=sort)

        assert sorted(names(body)) == ["P0", "P1", "P2", "P3", "P4"]

    async def test_download_count_descending_then_ascending(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session)

        down = await search(client, sort="download_count")
        up = await search(client, sort="download_count", asc=True)

        downloads = [n["starCount"] for n in down["results"]]
        assert downloads == sorted(downloads, reverse=True)
        assert [n["starCount"] for n in up["results"]] == sorted(downloads)

    @pytest.mark.parametrize(
        ("sort", "field"),
        [("n_favorites", "n_favorites"), ("n_tokens", "nTokens"), ("rating", "rating")],
    )
    async def test_numeric_sorts(
        self, client: AsyncClient, session: AsyncSession, sort: str, field: str
    ) -> None:
        await catalogue(session)

        body = await search(client, sort=sort)

        values = [n[field] for n in body["results"]]
        assert values == sorted(values, reverse=True)

    async def test_name_and_newest(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session)

        by_name = await search(client, sort="name", asc=True)
        newest = await search(client, sort="id")

        assert names(by_name) == ["P0", "P1", "P2", "P3", "P4"]
        assert names(newest) == ["P4", "P3", "P2", "P1", "P0"]

    async def test_random_returns_everything_once_over_pages(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session, count=7)

        first = await search(client, sort="random", first=4)
        second = await search(
            client, sort="random", first=4, cursor=first["data"]["cursor"]
        )

        assert sorted(names(first) + names(second)) == [f"P{n}" for n in range(7)]

    async def test_trending_follows_recent_downloads(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        await create_project(session, alice, name="Old hit")
        await create_project(session, alice, name="Rising")
        old = await search(client, username="alice", sort="name", asc=True)
        await session.execute(
            update(Project).where(Project.name == "Old hit").values(n_downloads=500)
        )
        for _ in range(3):
            await client.get("/api/characters/alice/rising/card.png")
        await stats.refresh(session)

        body = await search(client, username="alice", sort="trending")
        downloads = await search(client, username="alice", sort="download_count")

        assert names(old) == ["Old hit", "Rising"]
        assert names(body) == ["Rising", "Old hit"]
        assert names(downloads) == ["Old hit", "Rising"]

    async def test_account_default_sort_applies(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session)
        reader = await create_user(session)
        await client.post("/api/account/sort/name", headers=reader.headers)

        body = await search(client, reader.headers, asc=True)

        assert names(body) == ["P0", "P1", "P2", "P3", "P4"]

    async def test_unknown_sort_is_422_listing_valid_ones(
        self, client: AsyncClient
    ) -> None:
        response = await client.get("/search", params={"sort": "sideways"})

        assert response.status_code == 422
        assert "trending" in response.json()["detail"][0]["msg"]


class TestPages:
    async def test_pages_do_not_overlap(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session, count=5)

        one = await search(client, sort="id", first=2, page=1)
        two = await search(client, sort="id", first=2, page=2)
        three = await search(client, sort="id", first=2, page=3)

        assert names(one) + names(two) + names(three) == ["P4", "P3", "P2", "P1", "P0"]
        assert three["data"]["cursor"] is None
        assert one["page"] == 1
        assert two["data"]["page"] == 2

    async def test_cursor_is_stable_while_projects_are_added(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        projects = await catalogue(session, count=5)
        creator = await session.get(User, projects[0].creator_id)
        assert creator is not None

        first = await search(client, sort="id", first=2)
        await create_project(session, creator, name="Newcomer")
        second = await search(
            client, sort="id", first=2, cursor=first["data"]["cursor"]
        )
        third = await search(
            client, sort="id", first=2, cursor=second["data"]["cursor"]
        )

        assert names(first) == ["P4", "P3"]
        assert names(second) == ["P2", "P1"]
        assert names(third) == ["P0"]
        assert second["data"]["previous_cursor"] == first["data"]["cursor"]

    @pytest.mark.parametrize(
        "sort", ["download_count", "name", "last_activity_at", "rating"]
    )
    async def test_cursor_walks_every_sort_without_gaps(
        self, client: AsyncClient, session: AsyncSession, sort: str
    ) -> None:
        await catalogue(session, count=6)

        seen: list[str] = []
        cursor = None
        for _ in range(4):
            params = {"sort": sort, "first": 2} | ({"cursor": cursor} if cursor else {})
            body = await search(client, **params)
            seen += names(body)
            cursor = body["data"]["cursor"]
            if cursor is None:
                break

        assert sorted(seen) == [f"P{n}" for n in range(6)]

    async def test_text_relevance_cursor(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        for number in range(5):
            await create_project(
                session, alice, name=f"Knight {number}", description="knight " * number
            )

        first = await search(client, search="knight", first=3)
        second = await search(
            client, search="knight", first=3, cursor=first["data"]["cursor"]
        )

        assert sorted(names(first) + names(second)) == [f"Knight {n}" for n in range(5)]

    async def test_count_is_the_filtered_total(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session, count=5)

        counted = await search(client, first=2, count=True)
        uncounted = await search(client, first=2)

        assert counted["total"] == counted["data"]["count"] == 5
        assert uncounted["total"] == 2

    async def test_first_above_500_is_honoured_as_500(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session, count=2)

        body = await search(client, first=10_000)

        assert len(body["results"]) == 2

    async def test_bad_cursor_is_400(self, client: AsyncClient) -> None:
        response = await client.get("/search", params={"cursor": "not-a-cursor"})

        assert response.status_code == 400
        assert response.json()["errorCode"] == 400

    @pytest.mark.parametrize(
        ("given_by", "used_with"),
        [
            ("name", "download_count"),
            ("name", "rating"),
            ("id", "name"),
            ("download_count", "last_activity_at"),
        ],
    )
    async def test_cursor_of_another_sort_is_400(
        self, client: AsyncClient, session: AsyncSession, given_by: str, used_with: str
    ) -> None:
        await catalogue(session, count=3)
        cursor = (await search(client, sort=given_by, first=1))["cursor"]

        response = await client.get(
            "/search", params={"sort": used_with, "cursor": cursor}
        )

        assert response.status_code == 400
        assert response.json()["errorCode"] == 400

    @pytest.mark.parametrize("value", [True, float("nan"), float("inf"), 2**70])
    async def test_forged_cursor_values_are_400(
        self, client: AsyncClient, session: AsyncSession, value: object
    ) -> None:
        await catalogue(session, count=2)
        forged = encode_cursor(["key", value, 1, 0, ""])

        response = await client.get(
            "/search", params={"sort": "download_count", "cursor": forged}
        )

        assert response.status_code == 400


class TestEnvelopes:
    async def test_search_envelope(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session, count=1)

        body = await search(client, count=True, unknown_param="ignored", venus="true")

        assert set(body) >= {"data", "results", "total", "page", "cursor"}
        assert set(body["data"]) == {
            "count",
            "nodes",
            "page",
            "cursor",
            "previous_cursor",
        }
        assert body["results"] == body["data"]["nodes"]
        node = body["results"][0]
        assert {"id", "name", "fullPath", "projectSpace", "starCount", "topics"} <= set(
            node
        )

    async def test_post_takes_query_parameters_and_ignores_the_body(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        await catalogue(session, count=3)

        response = await client.post(
            "/search", params={"sort": "id", "first": 1, "min_tokens": 0}, json={}
        )

        assert [n["name"] for n in response.json()["results"]] == ["P2"]

    async def test_legacy_paths(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Char")
        await create_project(session, alice, kind="lorebooks", name="Book")

        characters = await client.get(
            "/api/characters/search", params={"min_tokens": 0}
        )
        lorebooks = await client.get("/api/lorebooks/search", params={"min_tokens": 0})

        assert [n["name"] for n in characters.json()["nodes"]] == ["Char"]
        assert characters.json()["count"] == 1
        assert [n["name"] for n in lorebooks.json()["nodes"]] == ["Book"]


class TestMinisearch:
    async def test_prefix_first_then_fuzzy(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session, username="alice")
        await create_project(session, alice, name="Seraphina")
        await create_project(session, alice, name="Serafina the Bard")
        await create_project(session, alice, name="Hidden Sera", visibility="private")

        response = await client.post("/minisearch", json={"query": "Sera"})
        typo = await client.post("/minisearch", json={"query": "serafina"})

        results = response.json()["results"]
        assert [r["name"] for r in results] == ["Seraphina", "Serafina the Bard"] or [
            r["name"] for r in results
        ] == ["Serafina the Bard", "Seraphina"]
        assert set(results[0]) == {
            "id",
            "name",
            "fullPath",
            "avatar_url",
            "projectSpace",
        }
        assert "Seraphina" in [r["name"] for r in typo.json()["results"]]

    async def test_prefixes_by_downloads_then_fuzzy_by_likeness(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        bob = await create_user(session)
        little = await create_project(session, alice, name="Marina Low")
        popular = await create_project(session, alice, name="Marina High")
        await create_project(session, alice, name="Marinda Close")
        await create_project(session, alice, name="Xmarinax Far")
        await create_project(session, bob, name="Marina Bob's", visibility="private")
        await create_project(session, alice, name="Marina% Literal")
        popular.n_downloads, little.n_downloads = 50, 5
        await session.commit()

        anonymous = await client.post("/minisearch", json={"query": "marina"})
        owner = await client.post(
            "/minisearch", json={"query": "marina"}, headers=bob.headers
        )
        literal = await client.post("/minisearch", json={"query": "marina%"})

        names = [r["name"] for r in anonymous.json()["results"]]
        assert names[:3] == ["Marina High", "Marina Low", "Marina% Literal"]
        assert names[3] == "Marinda Close"
        assert "Marina Bob's" not in names
        assert "Marina Bob's" in [r["name"] for r in owner.json()["results"]]
        assert [r["name"] for r in literal.json()["results"]][0] == "Marina% Literal"

    async def test_nsfw_and_nsfl_only_when_asked_for(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, name="Nell Plain")
        await create_project(session, alice, name="Nell Naughty", nsfw=True)
        await create_project(session, alice, name="Nell Grim", nsfl=True)

        async def found(**body: object) -> set[str]:
            response = await client.post("/minisearch", json={"query": "nell"} | body)
            return {r["name"] for r in response.json()["results"]}

        assert await found() == {"Nell Plain"}
        assert await found(nsfw=True) == {"Nell Plain", "Nell Naughty"}
        assert await found(nsfw=True, nsfl=True) == {
            "Nell Plain",
            "Nell Naughty",
            "Nell Grim",
        }

    async def test_at_most_20(self, client: AsyncClient, session: AsyncSession) -> None:
        alice = await create_user(session)
        for number in range(25):
            await create_project(session, alice, name=f"Echo {number}")

        response = await client.post("/minisearch", json={"query": "echo"})

        assert len(response.json()["results"]) == 20

    async def test_empty_query(self, client: AsyncClient) -> None:
        response = await client.post("/minisearch", json={"query": "  "})

        assert response.json() == {"results": []}


class TestTagList:
    async def test_counts_filters_and_orders(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        follower = await create_user(session)
        await create_project(session, alice, topics=["Elf", "Magic"])
        await create_project(session, alice, topics=["Elf"])
        await create_project(session, alice, topics=["Elf"], nsfw=True)
        await create_project(session, alice, topics=["Elf"], visibility="private")
        await create_project(session, alice, kind="lorebooks", topics=["Atlas"])
        await client.post("/follow/tag/elf", headers=follower.headers)
        await stats.refresh(session)

        every = (await client.post("/tags", json={})).json()
        safe = (await client.get("/tags", params={"nsfw": "false"})).json()
        books = (await client.post("/tags", json={"namespace": "lorebooks"})).json()
        by_name = (
            await client.get("/tags", params={"order_by": "name", "asc": "1"})
        ).json()
        prefix = (await client.get("/tags", params={"search": "ma"})).json()

        counts = {t["name"]: t["non_private_projects_count"] for t in every["tags"]}
        assert counts == {"Elf": 3, "Magic": 1, "Atlas": 1}
        assert every["tags"][0]["name"] == "Elf"
        assert {t["name"]: t["count"] for t in safe["tags"]}["Elf"] == 2
        assert [t["name"] for t in books["tags"]] == ["Atlas"]
        assert [t["name"] for t in by_name["tags"]] == ["Atlas", "Elf", "Magic"]
        assert [t["name"] for t in prefix["tags"]] == ["Magic"]
        elf = next(t for t in every["tags"] if t["name"] == "Elf")
        assert elf["title"] == "Elf"
        assert elf["is_nsfw"] is False
        assert elf["followers_count"] >= 0

    async def test_pages_carry_the_total(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, topics=["Elf", "Magic", "Sea"])
        await create_project(session, alice, topics=["Elf", "Magic"])
        await create_project(session, alice, topics=["Elf"])
        await stats.refresh(session)

        second = (await client.post("/tags", json={"first": 1, "page": 2})).json()
        past = (await client.post("/tags", json={"first": 1, "page": 9})).json()
        none = (await client.post("/tags", json={"search": "zz"})).json()

        assert [t["name"] for t in second["tags"]] == ["Magic"]
        assert (second["count"], second["page"]) == (3, 2)
        assert (past["tags"], past["count"]) == ([], 3)
        assert (none["tags"], none["count"]) == ([], 0)

    async def test_filters_combine_and_flags_follow_the_majority(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        await create_project(session, alice, topics=["Dark"], nsfw=True)
        await create_project(session, alice, topics=["Dark"], nsfw=True, nsfl=True)
        await create_project(session, alice, topics=["Dark"])
        await create_project(session, alice, kind="lorebooks", topics=["Dark"])
        await stats.refresh(session)

        async def dark(**params: str) -> dict[str, object]:
            listed = (await client.get("/tags", params=params)).json()["tags"]
            return next(t for t in listed if t["name"] == "Dark")

        every = await dark()
        characters = await dark(namespace="characters")
        no_nsfl = await dark(namespace="characters", nsfl="false")
        safe = await dark(nsfw="false", nsfl="false")

        assert (every["count"], every["is_nsfw"], every["is_nsfl"]) == (4, False, False)
        assert (characters["count"], characters["is_nsfw"]) == (3, True)
        assert (no_nsfl["count"], no_nsfl["is_nsfw"]) == (2, False)
        assert (safe["count"], safe["is_nsfw"]) == (2, False)

    async def test_a_refresh_follows_changes(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        hidden = await create_project(session, alice, topics=["Fleeting", "Stays"])
        await create_project(session, alice, topics=["Stays"])
        await stats.refresh(session)
        before = (await client.get("/tags")).json()

        hidden.visibility = "private"
        await create_project(session, alice, topics=["Stays"], nsfw=True)
        await session.commit()
        await stats.refresh(session)
        after = (await client.get("/tags")).json()

        assert {t["name"]: t["count"] for t in before["tags"]} == {
            "Fleeting": 1,
            "Stays": 2,
        }
        assert {t["name"]: t["count"] for t in after["tags"]} == {"Stays": 2}
        assert after["count"] == 1
        safe = (await client.get("/tags", params={"nsfw": "false"})).json()
        assert [(t["name"], t["count"]) for t in safe["tags"]] == [("Stays", 1)]

    async def test_a_tag_left_only_on_private_projects_is_hidden_at_once(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        alice = await create_user(session)
        secret = await create_project(session, alice, topics=["Codename"])
        await create_project(session, alice, topics=["Open"])
        await stats.refresh(session)

        secret.visibility = "private"
        await session.commit()
        listed = (await client.get("/tags")).json()
        searched = (await client.get("/tags", params={"search": "code"})).json()

        assert [t["name"] for t in listed["tags"]] == ["Open"]
        assert searched["tags"] == []
