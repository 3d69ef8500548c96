#!/usr/bin/python3
"""The pyahocorasick peer: the lexicon's surface forms in one Aho-Corasick
automaton, one iter() per document over the lower-cased document.

Lower-casing is part of the timed work because every other tool matches
without regard to case (ktag folds case, Vectorscan uses HS_FLAG_CASELESS);
str.lower() is what a Python user would write.  Documents are decoded to str
before timing, as they would already be in a Python program.  iter() reports
every occurrence, overlapping ones included, like Vectorscan.

Prints one JSON object on stdout (see bench/README.md).
"""
import argparse
import json
import statistics
import sys
import time

import ahocorasick


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("patterns", help="one literal per line (written by vs_bench -w)")
    ap.add_argument("corpus", help="one document per line")
    ap.add_argument("-r", "--reps", type=int, default=3)
    ap.add_argument("-n", "--docs", type=int, default=0, help="use only the first N documents")
    args = ap.parse_args()

    with open(args.patterns, encoding="utf-8") as f:
        patterns = [p for p in f.read().split("\n") if p]
    t0 = time.perf_counter()
    auto = ahocorasick.Automaton()
    for i, p in enumerate(patterns):
        auto.add_word(p, i)
    auto.make_automaton()
    build_ms = (time.perf_counter() - t0) * 1e3

    with open(args.corpus, encoding="utf-8") as f:
        docs = [d for d in f.read().split("\n") if d]
    if args.docs:
        docs = docs[:args.docs]
    nbytes = sum(len(d.encode("utf-8")) for d in docs)

    times, matches = [], 0
    for _ in range(args.reps):
        count = 0
        start = time.perf_counter()
        for d in docs:
            for _ in auto.iter(d.lower()):
                count += 1
        times.append(time.perf_counter() - start)
        matches = count
    med = statistics.median(times)
    print(json.dumps({
        "tool": "pyahocorasick", "version": getattr(ahocorasick, "__version__", "unknown"),
        "flags": "str.lower() + Automaton.iter() per document",
        "patterns": len(patterns), "build_ms": round(build_ms, 1),
        "docs": len(docs), "bytes": nbytes, "reps": args.reps,
        "median_s": med, "min_s": min(times),
        "docs_per_s": len(docs) / med, "mb_per_s": nbytes / med / 1e6, "matches": matches}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
