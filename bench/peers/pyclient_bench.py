#!/usr/bin/python3
"""The Python client's pipelined path: Client.tag_many(window=64) over a
corpus, against ktagd or the echo worker, so the table shows what a Python
program gets next to what the C driver gets.  --batch N sends N documents
a request (tag_many's default is 64; the echo worker answers only batch 1).  The client package is imported
from the source tree (clients/python), not from an installed copy.

Prints one JSON object on stdout (see bench/README.md).
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))

from ktag import Client  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("endpoint")
    ap.add_argument("corpus", help="one document per line")
    ap.add_argument("-n", "--requests", type=int, default=50000)
    ap.add_argument("-w", "--window", type=int, default=64)
    ap.add_argument("-W", "--warmup", type=int, default=1000)
    ap.add_argument("-b", "--batch", type=int, default=1)
    args = ap.parse_args()

    docs = []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                docs.append(line)
            if len(docs) >= args.warmup + args.requests:
                break
    warm, timed = docs[:args.warmup], docs[args.warmup:]
    nbytes = sum(len(d.encode("utf-8")) for d in timed)
    with Client(args.endpoint, timeout=10.0) as c:
        for _ in c.tag_many(warm, window=args.window, batch=args.batch):
            pass
        n = 0
        start = time.perf_counter()
        for r in c.tag_many(timed, window=args.window, batch=args.batch):
            n += 1
        wall = time.perf_counter() - start
    if n != len(timed):
        print(f"pyclient_bench: {n} results for {len(timed)} documents", file=sys.stderr)
        return 1
    print(json.dumps({"tool": "python client", "mode": "tag_many", "window": args.window,
                      "batch": args.batch,
                      "requests": n, "bytes": nbytes, "wall_s": wall,
                      "docs_per_s": n / wall, "mb_per_s": nbytes / wall / 1e6}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
