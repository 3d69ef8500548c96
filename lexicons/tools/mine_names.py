#!/usr/bin/python3
"""Mine candidate company and body names that the lexicon does not know yet,
from a corpus of headlines, for review (nothing is written to the lexicons).

  mine_names.py [-L DIR] [--data DIR] [--min N] [--top N] [hangul|latin|all]

Candidates, each with its count and a sample headline:

- hangul: a run of Hangul (and Latin letters glued to it, 美/中/日 stripped)
  that stands before `,` or before a particle of the josa files followed by a
  non-Hangul character — the way a headline opens with its subject
  ("코어위브, …", "엔비디아가 …") — and that no entity form of DIR matches
  whole;
- latin: a token of capitals or a capitalised word (NVIDIA, OpenAI, BYD) that
  no entity form of DIR matches.

Tokens that are ordinary words stay in the list: the list is for a person to
read, and each kept name gets its row with its `x:` id by hand.  The corpus is
../shared/data/corpus/headlines.csv (the shared data is never copied into the
repository).
"""
import argparse
import collections
import csv
import os
import re
import sys
import unicodedata


import lextsv  # the tools' lexicon reader, beside this file

HERE = os.path.dirname(os.path.abspath(__file__))
LEXDIR = os.path.dirname(HERE)
REPO = os.path.dirname(LEXDIR)

HANGUL_RUN = re.compile(r"([A-Za-z0-9&]*[가-힣][가-힣A-Za-z0-9&]*)")
LATIN = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Za-z0-9&.\-]*[A-Za-z0-9]|[A-Z]{2,})(?![A-Za-z0-9])")


def norm(s):
    return unicodedata.normalize("NFKC", s).casefold()


def read_lexicon(d):
    """(entity forms normalized, josa list longest first)."""
    forms, josa = set(), []
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".tsv"):
            continue
        for header, cols in lextsv.rows(os.path.join(d, fn)):
            if header[0] == "type":
                forms.update(norm(form) for form in lextsv.entity_forms(cols))
            elif header[0] == "josa":
                josa.append(cols[0])
    josa.sort(key=len, reverse=True)
    return forms, josa


def hangul_candidates(text, josa):
    """Subject-like Hangul runs of one headline: before `,` or a particle."""
    out = []
    for m in HANGUL_RUN.finditer(text):
        run, end = m.group(1), m.end()
        nxt = text[end:end + 1]
        if nxt in (",", "·", "…"):
            out.append(run)
            continue
        for j in josa:
            if len(run) > len(j) + 1 and run.endswith(j):
                out.append(run[:-len(j)])
                break
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", nargs="?", default="all", choices=["hangul", "latin", "all"])
    ap.add_argument("-L", "--lexicons", default=LEXDIR)
    ap.add_argument("--data", default=os.environ.get(
        "KTAG_BENCH_DATA", os.path.join(os.path.dirname(REPO), "shared", "data")))
    ap.add_argument("--min", type=int, default=3, help="least count to list")
    ap.add_argument("--top", type=int, default=400)
    a = ap.parse_args()
    path = os.path.join(a.data, "corpus", "headlines.csv")
    if not os.path.isfile(path):
        sys.stderr.write("mine_names.py: %s is absent; pass --data DIR\n" % path)
        return 2
    forms, josa = read_lexicon(a.lexicons)
    with open(path, encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    counts = {"hangul": collections.Counter(), "latin": collections.Counter()}
    sample = {}
    for t in texts:
        t2 = re.sub(r"[美中日韓英獨佛]", " ", t)
        if a.kind in ("hangul", "all"):
            for c in hangul_candidates(t2, josa):
                if len(c) >= 2 and norm(c) not in forms:
                    counts["hangul"][c] += 1
                    sample.setdefault(c, t)
        if a.kind in ("latin", "all"):
            for m in LATIN.finditer(t2):
                c = m.group(1)
                if len(c) >= 2 and norm(c) not in forms:
                    counts["latin"][c] += 1
                    sample.setdefault(c, t)
    for kind in ("hangul", "latin"):
        if a.kind not in (kind, "all"):
            continue
        print("== %s candidates (count >= %d)" % (kind, a.min))
        for c, n in counts[kind].most_common(a.top):
            if n < a.min:
                break
            print("%5d  %-24s | %s" % (n, c, sample[c][:80]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
