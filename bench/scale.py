"""Scale-out on one machine: the mixed workload of bench/load.py against
`rostro serve --api-workers N` for N = 1, 2 and 4 (one PostgreSQL, one Redis,
one job worker), with the same clients each time.

    .venv/bin/python bench/scale.py [--projects 20000] [--clients 32]
        [--seconds 30] [--workers 1 2 4]
"""

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import running_server
from bench.load import prepare, print_tally, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    print(f"{os.cpu_count()} CPUs; the clients run on the same machine.")
    rates = {}
    for workers in args.workers:
        with running_server("--api-workers", str(workers)) as server:
            world = prepare(server, args.projects)
            asyncio.run(run(server, world, 8, 10))  # warm every process
            tally = asyncio.run(run(server, world, args.clients, args.seconds))
            print(f"\n{workers} API process(es), {args.clients} clients:")
            print_tally(tally, args.seconds)
            rates[workers] = sum(len(v) for v in tally.seconds.values()) / args.seconds
    first = rates[args.workers[0]]
    print("\nscaling: " + ", ".join(f"{n}: {r / first:.2f}x" for n, r in rates.items()))


if __name__ == "__main__":
    main()
