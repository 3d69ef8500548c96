#!/usr/bin/python3
"""Build the benchmark inputs from ../shared/data (never copied into the repo).

Writes, under OUT (default bench/out/data):
  headlines.txt   one real headline or short news sentence per line
  articles.txt    one ~3 KB "article" per line: sentences joined with spaces
  headlines.jsonl / articles.jsonl   the same documents as {"id":N,"text":...}
  meta.json       document counts and byte sizes

Each corpus is replicated until it holds at least --mb MiB of text.  Every
replica is a fresh seeded shuffle, so neighbouring documents differ and the
peers cannot win on a warm last-document cache; the output is deterministic.
"""
import argparse
import csv
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data"))


def clean(s):
    # One document per line: newlines, CRs and tabs inside a document become spaces.
    return " ".join(s.replace("\r", " ").replace("\n", " ").replace("\t", " ").split())


def read_csv_column(path, column):
    with open(path, encoding="utf-8", newline="") as f:
        return [clean(row[column]) for row in csv.DictReader(f) if clean(row[column])]


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [clean(line) for line in f if clean(line)]


def load(data):
    corpus = os.path.join(data, "corpus")
    headlines = read_csv_column(os.path.join(corpus, "headlines.csv"), "text")
    news = []
    for name in ("korean-english-park.dev.ko", "korean-english-park.test.ko"):
        news += read_lines(os.path.join(corpus, name))
    fpb = read_csv_column(os.path.join(data, "sentiment", "fpb_ko_dev.csv"), "text")
    return headlines, news, fpb


def replicate(pool, target_bytes, rng):
    """Yield documents from `pool`, reshuffled on every pass, until target_bytes."""
    total = 0
    while total < target_bytes:
        order = pool[:]
        rng.shuffle(order)
        for doc in order:
            yield doc
            total += len(doc.encode("utf-8")) + 1
            if total >= target_bytes:
                return


def articles(sentences, target_bytes, article_bytes, rng):
    """Join shuffled sentences into documents of about article_bytes each."""
    doc, size = [], 0
    for s in replicate(sentences, target_bytes, rng):
        doc.append(s)
        size += len(s.encode("utf-8")) + 1
        if size >= article_bytes:
            yield " ".join(doc)
            doc, size = [], 0
    if doc:
        yield " ".join(doc)


def write(out, name, docs):
    n = nbytes = 0
    with open(os.path.join(out, name + ".txt"), "w", encoding="utf-8") as txt, \
         open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as jl:
        for i, d in enumerate(docs):
            txt.write(d + "\n")
            jl.write(json.dumps({"id": i, "text": d}, ensure_ascii=False) + "\n")
            n += 1
            nbytes += len(d.encode("utf-8"))
    return {"docs": n, "text_bytes": nbytes,
            "file_bytes": os.path.getsize(os.path.join(out, name + ".txt")),
            "jsonl_bytes": os.path.getsize(os.path.join(out, name + ".jsonl"))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("KTAG_BENCH_DATA", DEFAULT_DATA))
    ap.add_argument("--out", default=os.path.join(HERE, "out", "data"))
    ap.add_argument("--mb", type=float, default=50.0, help="MiB of text per corpus (default 50)")
    ap.add_argument("--article-bytes", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=20261129)
    args = ap.parse_args()

    if not os.path.isdir(os.path.join(args.data, "corpus")):
        print(f"bench: benchmark data not found at {args.data} (expected ../shared/data "
              "next to the repository, or set KTAG_BENCH_DATA)", file=sys.stderr)
        return 3
    os.makedirs(args.out, exist_ok=True)
    headlines, news, fpb = load(args.data)
    target = int(args.mb * 1024 * 1024)
    meta = {"source": os.path.abspath(args.data), "mib": args.mb, "seed": args.seed,
            "article_bytes": args.article_bytes,
            "pools": {"headlines": len(headlines), "news_sentences": len(news),
                      "fpb_sentences": len(fpb)}}
    rng = random.Random(args.seed)
    meta["headlines"] = write(args.out, "headlines", replicate(headlines + news, target, rng))
    meta["articles"] = write(args.out, "articles",
                             articles(news + fpb + headlines, target, args.article_bytes, rng))
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
