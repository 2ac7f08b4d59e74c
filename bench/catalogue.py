"""A realistic catalogue written straight into PostgreSQL, for the benchmarks.

100,000 projects by default (a tenth lorebooks), names and texts of realistic
length, 2,000 tags on a Zipf curve, NSFW on a third, forks, ratings,
favorites, and downloads spread over two years.
"""

import json
import math
import random
import secrets
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

WORDS = (
    "ancient forest guardian whispers lantern storm harbor merchant secret blade "
    "moonlit tavern oath dragon silver river crown exile scholar shadow ember "
    "knight witch captain thief healer bard empire rebellion academy vampire "
    "wolf ocean desert city neon android detective princess demon angel ghost "
    "school office cafe library castle village island mountain garden temple"
).split()
FIRST = "Aria Bram Cora Dax Elara Finn Gwen Hale Iris Jace Kira Lio Mira Nox".split()
CREATORS = 2_000
TAGS = 2_000


def _vocabulary() -> tuple[list[str], list[float]]:
    """4,000 words on a Zipf curve, the themed words placed where content words
    of a real catalogue sit (each in a few percent of the texts)."""
    rng = random.Random(5)
    syllables = "ka lo mi ra ten sul vor an eth ri do mar ce bel tin or us ya".split()
    made = {
        "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        for _ in range(6000)
    }
    words = sorted(made - set(WORDS))[:4000]
    words[500 : 500 + len(WORDS)] = WORDS
    cumulative, total = [], 0.0
    for rank in range(len(words)):
        total += 1 / (rank + 10)
        cumulative.append(total)
    return words, cumulative


VOCABULARY, CUMULATIVE = _vocabulary()


def zipf_tags(rng: random.Random, weights: list[float], count: int) -> list[int]:
    return sorted(set(rng.choices(range(TAGS), weights=weights, k=count)))


def sentence(rng: random.Random, words: int) -> str:
    chosen = rng.choices(VOCABULARY, cum_weights=CUMULATIVE, k=words)
    return " ".join(chosen).capitalize() + "."


def definition(rng: random.Random, name: str, lore: bool) -> str:
    entries = [
        {"keys": [rng.choice(WORDS)], "content": sentence(rng, 30)}
        for _ in range(rng.randint(1, 5) if lore else 0)
    ]
    data = {
        "name": name,
        "description": " ".join(sentence(rng, 14) for _ in range(rng.randint(8, 40))),
        "personality": sentence(rng, 10),
        "scenario": sentence(rng, 25),
        "first_mes": " ".join(sentence(rng, 12) for _ in range(rng.randint(2, 8))),
        "mes_example": "<START>\n{{user}}: hi\n{{char}}: " + sentence(rng, 20),
        "creator_notes": sentence(rng, 20),
        "system_prompt": "",
        "post_history_instructions": "",
        "alternate_greetings": [],
        "tags": [],
        "creator": "",
        "character_version": "1",
        "extensions": {},
    }
    if lore:
        data["character_book"] = {"entries": entries}
    return json.dumps({"spec": "chara_card_v2", "spec_version": "2.0", "data": data})


async def seed(url: str, count: int, seed_value: int = 11) -> dict[str, object]:
    """Fill the database; answers facts the query mix uses (a tag, a creator)."""
    rng = random.Random(seed_value)
    connection = await asyncpg.connect(url)
    try:
        creators = await _creators(connection)
        tag_names = [f"{rng.choice(WORDS)}-{n}" for n in range(TAGS)]
        tag_names[:5] = ["Fantasy", "Romance", "Adventure", "Horror", "Sci-Fi"]
        await connection.executemany(
            "INSERT INTO tags (name, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(n, n.lower()) for n in tag_names],
        )
        tag_ids = {
            r["key"]: r["id"]
            for r in await connection.fetch("SELECT id, key FROM tags")
        }
        weights = [1 / (rank + 1) ** 1.1 for rank in range(TAGS)]
        rows, tags_of = _project_rows(rng, count, creators, tag_names, weights)
        await _copy_projects(connection, rows)
        await _links(connection, tags_of, tag_ids, rng)
    finally:
        await connection.close()
    return {"top_tags": [n.lower() for n in tag_names[:3]], "creators": len(creators)}


async def _creators(connection: asyncpg.Connection) -> list[int]:
    await connection.executemany(
        "INSERT INTO users (uuid, username, credits) VALUES ($1, $2, 0) "
        "ON CONFLICT DO NOTHING",
        [(uuid.uuid4(), f"creator{n}") for n in range(CREATORS)],
    )
    rows = await connection.fetch("SELECT id FROM users WHERE username LIKE 'creator%'")
    return [row["id"] for row in rows]


def _project_rows(
    rng: random.Random,
    count: int,
    creators: list[int],
    tag_names: list[str],
    weights: list[float],
) -> tuple[list[tuple[object, ...]], list[list[str]]]:
    now = datetime.now(UTC)
    rows, tags_of = [], []
    for number in range(count):
        lorebook = number % 10 == 0
        name = f"{rng.choice(FIRST)} the {rng.choice(WORDS).title()} {number}"
        created = now - timedelta(days=rng.random() * 730)
        tags = [
            tag_names[i].lower() for i in zipf_tags(rng, weights, rng.randint(1, 8))
        ]
        n_ratings = rng.choice([0, 0, 1, 3, 10, 40])
        downloads = int(math.exp(rng.random() * 9))
        lore = lorebook or rng.random() < 0.3
        rows.append((
            uuid.uuid4(), "lorebooks" if lorebook else "characters",
            rng.choice(creators), f"p-{number}", name, sentence(rng, 8),
            sentence(rng, 30), definition(rng, name, lore), "v2",
            secrets.token_hex(20), "public" if rng.random() < 0.97 else "private",
            rng.random() < 0.33, rng.random() < 0.02, downloads,
            int(downloads * rng.random() * 0.2), int(downloads * 0.3),
            int(downloads * 4), n_ratings, n_ratings * rng.randint(1, 5),
            rng.randint(150, 4000), lore and not lorebook, rng.random() < 0.6,
            rng.random() < 0.4, rng.random() < 0.2, rng.random() < 0.05,
            rng.random() < 0.1, _language(rng),
            created, created + timedelta(days=rng.random() * 30), tags,
        ))  # fmt: skip
        tags_of.append(tags)
    return rows, tags_of


def _language(rng: random.Random) -> str:
    return "en" if rng.random() < 0.85 else rng.choice(["fr", "ja", "es"])


COLUMNS = (
    "uuid kind creator_id slug name tagline description definition source_format "
    "version_sha visibility nsfw nsfl n_downloads n_favorites n_chats n_messages "
    "n_ratings rating_sum n_tokens has_lore_embedded has_example_dialogues "
    "has_alternate_greetings has_custom_prompt has_expressions has_gallery language "
    "created_at last_activity_at tag_keys"
).split()


async def _copy_projects(
    connection: asyncpg.Connection, rows: list[tuple[object, ...]]
) -> None:
    await connection.copy_records_to_table("projects", records=rows, columns=COLUMNS)
    await connection.execute(
        """
        UPDATE projects SET definition_tsv = setweight(to_tsvector('english'::regconfig,
            coalesce(definition::json->'data'->>'description', '') || ' ' ||
            coalesce(definition::json->'data'->>'first_mes', '')), 'D')
        WHERE definition_tsv IS NULL
        """
    )
    # A tenth of the characters are forks of others.
    await connection.execute(
        """
        UPDATE projects p SET forked_from_id = p.id - 1
        WHERE p.id % 10 = 5 AND p.kind = 'characters'
          AND EXISTS (SELECT 1 FROM projects q WHERE q.id = p.id - 1)
        """
    )


async def _links(
    connection: asyncpg.Connection,
    tags_of: list[list[str]],
    tag_ids: dict[str, int],
    rng: random.Random,
) -> None:
    ids = [
        r["id"]
        for r in await connection.fetch(
            "SELECT id FROM projects WHERE slug LIKE 'p-%' ORDER BY id"
        )
    ]
    pairs = [
        (pid, tag_ids[key])
        for pid, keys in zip(ids, tags_of, strict=True)
        for key in keys
    ]
    await connection.copy_records_to_table(
        "project_tags", records=pairs, columns=["project_id", "tag_id"]
    )
    today = datetime.now(UTC).date()
    stats = {
        (rng.choice(ids), today - timedelta(days=rng.randint(0, 730))): rng.randint(
            1, 50
        )
        for _ in range(200_000)
    }
    await connection.copy_records_to_table(
        "project_daily_stats",
        records=[(pid, day, n, n // 7) for (pid, day), n in stats.items()],
        columns=["project_id", "day", "downloads", "favorites"],
    )
    # A catalogue built over years has been vacuumed: visibility maps set
    # (index-only counts read no rows) and statistics fresh.
    await connection.execute("VACUUM ANALYZE")
