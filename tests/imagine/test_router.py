"""The /imagine endpoints, with jobs run inline on the test's session."""

import base64
import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.imagine.backends.base import BackendRefused
from app.media.storage import LocalStorage
from app.models import ImagineJob, User
from tests.factories import Caller, create_user
from tests.imagine.conftest import FakeBackend, InlineQueue
from tests.imagine.fakes import png

PNG64 = base64.b64encode(png(32, 32)).decode()


async def _caller(session: AsyncSession, credits: int = 100) -> Caller:
    return await create_user(session, credits=credits)


async def _credits(session: AsyncSession, caller: Caller) -> int:
    # The identity, not `user.id`: a refused request's rollback expires the user.
    user_id = inspect(caller.user).identity[0]
    stmt = select(User.credits).where(User.id == user_id)
    return int((await session.execute(stmt)).scalar_one())


async def _imagine(
    client: AsyncClient, caller: Caller, immediate: bool = False, **body: Any
) -> Any:
    body.setdefault("prompt", "a quiet harbour at dawn")
    params = {"return_immediate": "true"} if immediate else {}
    return await client.post(
        "/imagine", json=body, params=params, headers=caller.headers
    )


class TestGenerate:
    async def test_waits_for_the_job_and_serves_its_image(
        self, imagine_client: AsyncClient, session: AsyncSession, backend: FakeBackend
    ) -> None:
        caller = await _caller(session)

        response = await _imagine(
            imagine_client, caller, aspect_ratio="w16h9", seed=5, num_inference_steps=9
        )

        item = response.json()
        media = await imagine_client.get(
            item["primary_media_url"].removeprefix("http://test")
        )
        account = await imagine_client.get("/api/account", headers=caller.headers)
        assert response.status_code == 200
        assert item["is_done"] is True
        assert item["is_failed"] is False
        assert item["cost"] == 10
        assert item["description"] == "a quiet harbour at dawn"
        assert item["secondary_media_urls"] == []
        assert media.status_code == 200
        assert media.headers["content-type"] == "image/png"
        assert account.json()["tokens"] == 90
        assert (backend.specs[0].width, backend.specs[0].height) == (704, 384)
        assert (backend.specs[0].seed, backend.specs[0].steps) == (5, 9)

    async def test_return_immediate_answers_before_the_job_runs(
        self, imagine_client: AsyncClient, session: AsyncSession, queue: InlineQueue
    ) -> None:
        caller = await _caller(session)
        queue.run = False

        response = await _imagine(imagine_client, caller, immediate=True)

        item = response.json()
        assert item["is_done"] is False
        assert item["status"] == "queued"
        assert item["primary_media_url"] is None
        assert queue.queued

    async def test_a_wait_that_runs_out_answers_not_done(
        self, imagine_client: AsyncClient, session: AsyncSession, queue: InlineQueue
    ) -> None:
        caller = await _caller(session)
        queue.run = False

        response = await _imagine(imagine_client, caller)

        assert response.status_code == 200
        assert response.json()["is_done"] is False
        assert "poll" in response.json()["note"]

    async def test_several_images_give_secondary_urls(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session)

        item = (await _imagine(imagine_client, caller, num_images=3)).json()

        assert item["cost"] == 30
        assert len(item["secondary_media_urls"]) == 2

    async def test_image_to_image_sends_the_init_image(
        self, imagine_client: AsyncClient, session: AsyncSession, backend: FakeBackend
    ) -> None:
        caller = await _caller(session)

        item = (
            await _imagine(
                imagine_client,
                caller,
                generation_type="image_to_image",
                init_images=["data:image/png;base64," + PNG64],
                strength=0.4,
            )
        ).json()

        assert item["generation_type"] == "image_to_image"
        assert item["cost"] == 15
        assert backend.specs[0].init_image == png(32, 32)
        assert backend.specs[0].strength == 0.4

    async def test_a_mask_makes_it_inpainting(
        self, imagine_client: AsyncClient, session: AsyncSession, backend: FakeBackend
    ) -> None:
        caller = await _caller(session)

        item = (
            await _imagine(
                imagine_client,
                caller,
                generation_type="image_to_image",
                init_image=PNG64,
                mask_image=PNG64,
            )
        ).json()

        assert item["generation_type"] == "inpainting"
        assert backend.specs[0].mask_image == png(32, 32)

    async def test_a_failed_job_gives_the_credits_back(
        self, imagine_client: AsyncClient, session: AsyncSession, backend: FakeBackend
    ) -> None:
        caller = await _caller(session)
        backend.error = BackendRefused("The image server refused the request.")

        item = (await _imagine(imagine_client, caller)).json()

        assert item["is_done"] is True
        assert item["is_failed"] is True
        assert item["error"] == "The image server refused the request."
        assert await _credits(session, caller) == 100

    async def test_unknown_fields_are_ignored_and_bad_ratios_are_422(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session)

        extra = await _imagine(imagine_client, caller, venus=True)
        bad = await _imagine(imagine_client, caller, aspect_ratio="w9h1")

        assert extra.status_code == 200
        assert bad.status_code == 422


class TestRefusals:
    def _assert_rejection(self, response: Any, reason: str, location: str) -> None:
        body = response.json()
        assert response.status_code == 400
        assert body["reason"] == reason
        assert body["location"] == location
        assert body["detail"] == body["error"]
        assert body["code"] == body["errorCode"] == 400

    async def test_unsupported_type_names_it(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session)

        response = await _imagine(
            imagine_client, caller, generation_type="text_to_video"
        )

        self._assert_rejection(response, "unknown", "generation_type")
        assert (
            "'text_to_video' is not supported by this server"
            in response.json()["detail"]
        )
        assert await _credits(session, caller) == 100

    @pytest.mark.parametrize(
        "prompt", ["so much GORE here", "a Blood  Bath".replace("  ", " "), "gore"]
    )
    async def test_blocked_terms_are_explicit_text(
        self, imagine_client: AsyncClient, session: AsyncSession, prompt: str
    ) -> None:
        caller = await _caller(session)

        response = await _imagine(imagine_client, caller, prompt=prompt)

        self._assert_rejection(response, "explicit_text", "prompt")
        assert await _credits(session, caller) == 100

    async def test_blocked_terms_match_whole_words_only(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session)

        response = await _imagine(imagine_client, caller, prompt="Gorey's mansion")

        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("fields", "location"),
        [
            ({"init_image": "bm90IGFuIGltYWdl"}, "init_image"),
            ({"init_images": ["%%%"]}, "init_image"),
            ({}, "init_image"),
            ({"init_image": PNG64, "mask_image": "AAAA"}, "mask_image"),
        ],
    )
    async def test_unreadable_images_are_malformed(
        self,
        imagine_client: AsyncClient,
        session: AsyncSession,
        fields: dict[str, Any],
        location: str,
    ) -> None:
        caller = await _caller(session)

        response = await _imagine(
            imagine_client, caller, generation_type="image_to_image", **fields
        )

        self._assert_rejection(response, "malformed_image", location)

    async def test_out_of_credits(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session, credits=9)

        response = await _imagine(imagine_client, caller)

        self._assert_rejection(response, "out_of_credits", "account")
        assert await _credits(session, caller) == 9

    async def test_no_back_end_is_a_503_saying_how_to_configure(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session)

        response = await _imagine(client, caller)

        assert response.status_code == 503
        assert "ROSTRO_IMAGINE_BACKEND" in response.json()["detail"]
        assert response.json()["code"] == 503

    async def test_anonymous_callers_get_401(self, imagine_client: AsyncClient) -> None:
        response = await imagine_client.post("/imagine", json={"prompt": "x"})

        assert response.status_code == 401


class TestQueueDown:
    @pytest.mark.parametrize("immediate", [True, False])
    async def test_503_refunds_and_reads_keep_working(
        self,
        imagine_client: AsyncClient,
        session: AsyncSession,
        queue: InlineQueue,
        immediate: bool,
    ) -> None:
        caller = await _caller(session)
        queue.down = True

        response = await _imagine(imagine_client, caller, immediate=immediate)
        history = await imagine_client.post(
            "/imagine/history", json={}, headers=caller.headers
        )

        assert response.status_code == 503
        assert "queue is unavailable" in response.json()["detail"]
        assert await _credits(session, caller) == 100
        assert history.status_code == 200
        assert history.json()["items"][0]["is_failed"] is True


async def _jobs(client: AsyncClient, caller: Caller, count: int) -> list[Any]:
    return [
        (await _imagine(client, caller, immediate=True, prompt=f"scene {i}")).json()
        for i in range(count)
    ]


class TestHistory:
    async def test_pages_follow_the_cursor_without_gaps_or_repeats(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session, credits=1000)
        made = await _jobs(imagine_client, caller, 5)

        seen, cursor, pages = [], None, []
        while True:
            body = {"first": 2, "cursor": cursor}
            page = (
                await imagine_client.post(
                    "/imagine/history", json=body, headers=caller.headers
                )
            ).json()
            pages.append(page)
            seen += [item["uuid"] for item in page["items"]]
            cursor = page["cursor"]
            if cursor is None:
                break

        assert seen == [item["uuid"] for item in reversed(made)]
        assert [len(p["items"]) for p in pages] == [2, 2, 1]
        assert pages[0]["previous_cursor"] is None
        assert pages[1]["previous_cursor"] == pages[0]["cursor"]

    async def test_only_the_callers_own_jobs(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await _caller(session), await _caller(session)
        await _jobs(imagine_client, alice, 2)

        page = await imagine_client.post(
            "/imagine/history", json={}, headers=bob.headers
        )
        empty_body = await imagine_client.post(
            "/imagine/history", headers=alice.headers
        )

        assert page.json() == {"items": [], "cursor": None, "previous_cursor": None}
        assert len(empty_body.json()["items"]) == 2

    async def test_filters(
        self,
        imagine_client: AsyncClient,
        session: AsyncSession,
        queue: InlineQueue,
        backend: FakeBackend,
    ) -> None:
        caller = await _caller(session, credits=1000)
        done = (await _imagine(imagine_client, caller)).json()
        queue.run = False
        waiting = (await _imagine(imagine_client, caller, immediate=True)).json()
        queue.run = True
        pricey = (await _imagine(imagine_client, caller, num_images=2)).json()

        async def uuids(**query: Any) -> list[str]:
            response = await imagine_client.post(
                "/imagine/history", json=query, headers=caller.headers
            )
            assert response.status_code == 200
            return [item["uuid"] for item in response.json()["items"]]

        assert await uuids(generation_uuids=[waiting["generation_uuid"], "junk"]) == [
            waiting["uuid"]
        ]
        assert await uuids(uuids=[done["uuid"]]) == [done["uuid"]]
        assert await uuids(generated_only=True) == [pricey["uuid"], done["uuid"]]
        assert await uuids(media_types=["video"]) == []
        assert len(await uuids(media_types=["image"])) == 3
        assert (await uuids(order_by="cost", asc=True))[-1] == pricey["uuid"]
        assert await uuids(asc=True) == [done["uuid"], waiting["uuid"], pricey["uuid"]]

    async def test_return_raw_adds_the_media_as_base64(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session)
        await _imagine(imagine_client, caller)

        item = (
            await imagine_client.post(
                "/imagine/history", json={"return_raw": True}, headers=caller.headers
            )
        ).json()["items"][0]

        assert base64.b64decode(item["raw_media"][0]).startswith(b"\x89PNG")

    async def test_a_bad_cursor_is_400(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        caller = await _caller(session, credits=1000)
        await _jobs(imagine_client, caller, 2)
        first = await imagine_client.post(
            "/imagine/history", json={"first": 1}, headers=caller.headers
        )

        garbage = await imagine_client.post(
            "/imagine/history", json={"cursor": "nonsense"}, headers=caller.headers
        )
        other_order = await imagine_client.post(
            "/imagine/history",
            json={"cursor": first.json()["cursor"], "order_by": "cost"},
            headers=caller.headers,
        )

        assert garbage.status_code == 400
        assert other_order.status_code == 400


async def _job_count(session: AsyncSession, item_uuid: str) -> int:
    stmt = select(func.count()).where(ImagineJob.uuid == uuid.UUID(item_uuid))
    return int((await session.execute(stmt)).scalar_one())


class TestDelete:
    async def test_own_items_go_with_their_media_others_are_failures(
        self,
        imagine_client: AsyncClient,
        session: AsyncSession,
        storage: LocalStorage,
    ) -> None:
        alice, bob = await _caller(session), await _caller(session)
        mine = (await _imagine(imagine_client, alice)).json()
        theirs = (await _imagine(imagine_client, bob)).json()
        key = mine["primary_media_url"].split("/media/", 1)[1]
        refs = [mine["uuid"], theirs["uuid"], "not-a-uuid", str(uuid.uuid4())]

        response = await imagine_client.post(
            "/imagine/history/delete", json={"uuids": refs}, headers=alice.headers
        )

        assert response.json() == {"successes": [mine["uuid"]], "failures": refs[1:]}
        assert await storage.get(key) is None
        assert (await imagine_client.get(f"/media/{key}")).status_code == 404
        assert await _job_count(session, mine["uuid"]) == 0

    async def test_deleting_an_unfinished_job_refunds_it(
        self, imagine_client: AsyncClient, session: AsyncSession, queue: InlineQueue
    ) -> None:
        caller = await _caller(session)
        queue.run = False
        item = (await _imagine(imagine_client, caller, immediate=True)).json()

        response = await imagine_client.post(
            "/imagine/history/delete",
            json={"uuids": [item["generation_uuid"]]},
            headers=caller.headers,
        )

        assert response.json()["successes"] == [item["generation_uuid"]]
        assert await _credits(session, caller) == 100


class TestProject:
    async def test_by_uuid_or_generation_uuid_and_only_ones_own(
        self, imagine_client: AsyncClient, session: AsyncSession
    ) -> None:
        alice, bob = await _caller(session), await _caller(session)
        item = (await _imagine(imagine_client, alice)).json()

        by_uuid = await imagine_client.get(
            f"/imagine/project/{item['uuid']}", headers=alice.headers
        )
        by_generation = await imagine_client.get(
            f"/imagine/project/{item['generation_uuid']}", headers=alice.headers
        )
        other = await imagine_client.get(
            f"/imagine/project/{item['uuid']}", headers=bob.headers
        )
        junk = await imagine_client.get("/imagine/project/junk", headers=alice.headers)

        assert by_uuid.json() == item
        assert by_generation.json()["uuid"] == item["uuid"]
        assert other.status_code == 404
        assert junk.status_code == 404


class TestCosts:
    async def test_lists_what_this_server_can_do(
        self, imagine_client: AsyncClient, client: AsyncClient
    ) -> None:
        configured = (await imagine_client.get("/images/costs")).json()
        unconfigured = (await client.get("/images/costs")).json()

        assert configured == {
            "costs": {"image_to_image": 15, "inpainting": 15, "text_to_image": 10},
            "backend": "automatic1111",
            "supported_generation_types": [
                "image_to_image",
                "inpainting",
                "text_to_image",
            ],
        }
        assert unconfigured["backend"] is None
