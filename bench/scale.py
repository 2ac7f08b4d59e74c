"""Scale-out on one machine: the mixed workload of bench/load.py against
`rostro serve --api-workers N` for N = 1, 2 and 4 (one PostgreSQL, one Redis,
one job worker), with the same clients each time.

The Python clients of bench/load.py take a core of their own; `--wrk` drives
a read-only mix (searches, character fetches, card downloads) with wrk, a C
client that leaves the cores to the server (`apt install wrk`).

    .venv/bin/python bench/scale.py [--projects 20000] [--clients 32]
        [--seconds 30] [--workers 1 2 4] [--wrk]
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import running_server
from bench.load import WORDS, World, prepare, print_tally, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--wrk", action="store_true", help="read-only mix by wrk")
    args = parser.parse_args()

    print(f"{os.cpu_count()} CPUs; the clients run on the same machine.")
    rates = {}
    for workers in args.workers:
        with running_server("--api-workers", str(workers)) as server:
            world = prepare(server, args.projects)
            print(f"\n{workers} API process(es), {args.clients} clients:")
            if args.wrk:
                rates[workers] = wrk(server.base_url, world, args.clients, args.seconds)
                continue
            asyncio.run(run(server, world, 8, 10))  # warm every process
            tally = asyncio.run(run(server, world, args.clients, args.seconds))
            print_tally(tally, args.seconds)
            rates[workers] = sum(len(v) for v in tally.seconds.values()) / args.seconds
    first = rates[args.workers[0]]
    print("\nscaling: " + ", ".join(f"{n}: {r / first:.2f}x" for n, r in rates.items()))


def read_only_paths(world: World) -> list[str]:
    """Half searches, a third character fetches, the rest card downloads."""
    searches = [f"/search?{urlencode({'search': word})}" for word in WORDS]
    searches += [f"/search?{urlencode({'tags': tag})}" for tag in world.tags]
    searches += [f"/search?sort={sort}" for sort in ("trending", "created_at")]
    cards = world.cards[:20]
    fetches = [f"/api/characters/{card['fullPath']}?full=true" for card in cards]
    downloads = [urlsplit(card["max_res_url"]).path for card in cards[:12]]
    return searches * 3 + fetches + downloads


LUA = """
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def wrk(base_url: str, world: World, clients: int, seconds: float) -> float:
    paths = ", ".join(f'"{path}"' for path in read_only_paths(world))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(LUA % paths)
        script.flush()
        command = ["wrk", "-t2", f"-c{clients}", "--timeout", "30s", "--latency"]
        command += ["-s", script.name]
        # Five seconds first: every API process warm before the measure.
        subprocess.run([*command, "-d5s", base_url], check=True, capture_output=True)
        done = subprocess.run(
            [*command, f"-d{seconds:.0f}s", base_url],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    print(done.stdout)
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None or "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError("wrk failed or saw errors:\n" + done.stdout)
    return float(found.group(1))


if __name__ == "__main__":
    main()
