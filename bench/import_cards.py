"""Import throughput of `rostro import` with the embedded database.

Generates N cards (PNG cards with small avatars, V2 and V3 JSON, world info) in a
temporary folder, starts from an empty data directory, and times the command.

    .venv/bin/python bench/import_cards.py [--count 10000]
"""

import argparse
import base64
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

WORDS = (
    "ancient forest guardian whispers lantern storm harbor merchant secret blade "
    "moonlit tavern oath dragon silver river crown exile scholar shadow ember"
).split()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def v2_card(rng: random.Random, number: int) -> dict[str, object]:
    entries = [
        {"keys": [rng.choice(WORDS)], "content": text(rng, 40), "enabled": True,
         "insertion_order": i, "extensions": {}}
        for i in range(rng.randint(0, 6))
    ]  # fmt: skip
    return {
        "spec": "chara_card_v2",
        "spec_version": "2.0",
        "data": {
            "name": f"{rng.choice(WORDS).title()} {number}",
            "description": text(rng, 120),
            "personality": text(rng, 20),
            "scenario": text(rng, 30),
            "first_mes": text(rng, 60),
            "mes_example": "<START>\n{{user}}: hi\n{{char}}: " + text(rng, 30),
            "creator_notes": text(rng, 25),
            "system_prompt": "",
            "post_history_instructions": "",
            "alternate_greetings": [text(rng, 15)],
            "character_book": {"entries": entries} if entries else None,
            "tags": rng.sample(WORDS, 3),
            "creator": "bench",
            "character_version": "1",
            "extensions": {"bench": number},
        },
    }


def png_card(card: dict[str, object], rng: random.Random) -> bytes:
    image = Image.new("RGB", (64, 96), tuple(rng.randrange(256) for _ in range(3)))
    info = PngInfo()
    payload = base64.b64encode(json.dumps(card).encode()).decode()
    info.add_text("chara", payload)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def write_cards(folder: Path, count: int) -> None:
    rng = random.Random(7)
    for number in range(count):
        card = v2_card(rng, number)
        kind = number % 10
        if kind < 6:
            (folder / f"card{number}.png").write_bytes(png_card(card, rng))
        elif kind < 9:
            if kind == 8:
                card["spec"], card["spec_version"] = "chara_card_v3", "3.0"
            (folder / f"card{number}.json").write_text(json.dumps(card))
        else:
            entries = {
                str(i): {"uid": i, "key": [rng.choice(WORDS)], "content": text(rng, 50)}
                for i in range(5)
            }
            (folder / f"world{number}.json").write_text(
                json.dumps({"entries": entries})
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rostro-bench-import-"))
    cards = work / "cards"
    cards.mkdir()
    started = time.perf_counter()
    write_cards(cards, args.count)
    print(f"generated {args.count} cards in {time.perf_counter() - started:.1f} s")

    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTRO_")}
    env["ROSTRO_DATA_DIR"] = str(work / "data")
    rostro = [sys.executable, "-m", "app.cli"]
    subprocess.run([*rostro, "users", "create", "bench"], env=env, check=True,
                   capture_output=True)  # fmt: skip

    started = time.perf_counter()
    subprocess.run([*rostro, "import", str(cards), "--user", "bench"], env=env,
                   check=True, stderr=subprocess.DEVNULL)  # fmt: skip
    elapsed = time.perf_counter() - started
    print(f"imported {args.count} cards in {elapsed:.1f} s: "
          f"{args.count / elapsed:.0f} cards/s (including start-up)")  # fmt: skip


if __name__ == "__main__":
    main()
