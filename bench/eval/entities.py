#!/usr/bin/env python3
"""Entity evaluation of ktag on the gold headlines, and its false-alarm rate on
general news.

  bench/eval/entities.py [--ktag PATH] [--lexicons DIR] [--data DIR]
                         [--misses N] [--review-headlines N] [--json FILE]

1. Tags ../shared/data/gold/entities_dev.jsonl with the ktag CLI
   (`ktag -L DIR -i jsonl --text-field text --id-field i -f jsonl
   --no-sentiment`) and scores one entity per distinct (type, id) per headline,
   as the gold does.  Precision, recall and F1 per group: company ids that are
   KRX codes, company `x:` ids, company `delisted:` ids, org, chip, funding; then
   every miss and every false alarm with its headline.
2. Tags ../shared/data/corpus/korean-english-park.*.ko (general news, one
   sentence a line, which should hold almost no finance entities) and reports
   tags per 1,000 sentences with the forms that fire most.
3. With --review-headlines N, tags the 15k unlabelled headlines of
   corpus/headlines.csv and lists the N most frequent (id, text) pairs, the list
   to read when hunting ambiguous names and bad aliases.

The CLI is the one given by --ktag, else the first of $KTAG, build*/clients/cli/ktag
under the repository or next to it, and `ktag` on PATH.  --ref uses the Python
reading of the lexicon rules in lexicons/tools/refmatch.py instead (a cross-check
of the engine; needs /usr/bin/python3 for pyahocorasick).

Exits 2 with a clear message when ../shared/data (or the CLI) is absent.
"""
import argparse
import collections
import csv
import glob
import json
import os
import subprocess
import sys
import tempfile
import unicodedata

from find_cli import find_ktag

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "lexicons", "tools"))
import lextsv  # noqa: E402
GROUPS = ["company:krx", "company:x", "company:delisted", "org", "chip", "funding"]


def die(msg):
    sys.stderr.write("entities.py: " + msg + "\n")
    sys.exit(2)


def group_of(typ, eid):
    if typ == "company":
        if eid.startswith("x:"):
            return "company:x"
        if eid.startswith("delisted:"):
            return "company:delisted"
        return "company:krx"
    return typ


class CliTagger:
    """Runs the CLI once over a JSONL file of {"i": n, "text": ...}."""

    def __init__(self, ktag, lexicons):
        self.ktag, self.lexicons = ktag, lexicons

    def tag_texts(self, texts):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False,
                                         encoding="utf-8") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"i": i, "text": t}, ensure_ascii=False) + "\n")
            path = f.name
        try:
            cmd = [self.ktag, "-L", self.lexicons, "-i", "jsonl", "--text-field", "text",
                   "--id-field", "i", "-f", "jsonl", "--no-sentiment", "--no-progress", path]
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if p.returncode not in (0, 1):
                die("%s failed (exit %d): %s" % (" ".join(cmd), p.returncode,
                                                 p.stderr.decode("utf-8", "replace")[:2000]))
            out = [None] * len(texts)
            for line in p.stdout.decode("utf-8").splitlines():
                if not line.strip():
                    continue
                r = json.loads(line)
                if not r.get("ok"):
                    sys.stderr.write("entities.py: document %s failed: %s\n"
                                     % (r.get("id"), r.get("error")))
                    out[r["id"]] = []
                    continue
                out[r["id"]] = [(e["type"], e["id"], e.get("name", ""), e["text"])
                                for e in r["entities"]]
            missing = [i for i, x in enumerate(out) if x is None]
            if missing:
                die("the CLI returned no result for %d documents (first: %d)"
                    % (len(missing), missing[0]))
            return out
        finally:
            os.unlink(path)


class RefTagger:
    def __init__(self, lexicons):
        import refmatch
        self.lex = refmatch.Lexicon(lexicons)
        for p in self.lex.problems:
            sys.stderr.write("refmatch: " + p + "\n")

    def tag_texts(self, texts):
        return [[(t, i, n, x) for t, i, n, x, _s, _e in self.lex.tag(text)] for text in texts]


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def error_class(kind, typ, eid, surface, known):
    """The class of one error, for the count table: its group, miss or false
    alarm, and for misses whether the lexicon knows the surface at all (a
    lexicon gap) or knows it and the rules did not tag it (a boundary,
    ambiguity or overlap question); a funding error also names its id."""
    grp = group_of(typ, eid)
    if grp == "funding":
        return "%s %s %s" % (grp, kind, eid)
    if kind == "miss":
        return "%s miss %s" % (grp, "form known" if norm(surface) in known else "form unknown")
    return "%s false alarm" % grp


def norm(s):
    return unicodedata.normalize("NFKC", s).casefold()


def known_forms(lexicons):
    """Every normalized entity surface form of the lexicon set (names and aliases)."""
    forms = set()
    for path in glob.glob(os.path.join(lexicons, "*.tsv")):
        for header, cols in lextsv.rows(path):
            if header[0] != "type":
                break
            forms.update(norm(form) for form in lextsv.entity_forms(cols))
    return forms


def print_error_classes(items, known):
    """Errors by class, largest first: where the next round starts."""
    cnt = collections.Counter(error_class(kind, typ, eid, text, known)
                              for kind, (i, typ, eid, text, line) in items)
    print("\nErrors by class (%d):" % sum(cnt.values()))
    for cls, c in cnt.most_common():
        print("  %4d  %s" % (c, cls))
    return dict(cnt)


def evaluate_gold(tagger, gold_path, n_show):
    gold = [json.loads(l) for l in open(gold_path, encoding="utf-8") if l.strip()]
    preds = tagger.tag_texts([g["text"] for g in gold])
    counts = {g: [0, 0, 0] for g in GROUPS}      # tp, fp, fn
    misses, alarms = [], []
    for g, pred in zip(gold, preds):
        gset = {(e["type"], e["id"]): e["surface"] for e in g["entities"]}
        pset = {}
        for typ, eid, name, text in pred:
            pset.setdefault((typ, eid), text)
        for k in set(gset) | set(pset):
            grp = group_of(*k)
            if grp not in counts:
                counts[grp] = [0, 0, 0]
            if k in gset and k in pset:
                counts[grp][0] += 1
            elif k in pset:
                counts[grp][1] += 1
                alarms.append((g["i"], k[0], k[1], pset[k], g["text"]))
            else:
                counts[grp][2] += 1
                misses.append((g["i"], k[0], k[1], gset[k], g["text"]))
    rows = []
    for grp in GROUPS + [g for g in counts if g not in GROUPS]:
        tp, fp, fn = counts[grp]
        p, r, f = prf(tp, fp, fn)
        rows.append({"group": grp, "tp": tp, "fp": fp, "fn": fn, "gold": tp + fn,
                     "precision": p, "recall": r, "f1": f})
    comp = [sum(counts[g][j] for g in ("company:krx", "company:x", "company:delisted"))
            for j in range(3)]
    allc = [sum(c[j] for c in counts.values()) for j in range(3)]
    for name, c in (("company (all ids)", comp), ("all types", allc)):
        p, r, f = prf(*c)
        rows.append({"group": name, "tp": c[0], "fp": c[1], "fn": c[2], "gold": c[0] + c[2],
                     "precision": p, "recall": r, "f1": f})
    print("Gold headlines: %s (%d lines)" % (gold_path, len(gold)))
    print("%-20s %6s %6s %6s %5s %5s %5s  %s" % ("group", "P", "R", "F1", "TP", "FP", "FN",
                                                 "errors by class"))
    by_group = collections.defaultdict(collections.Counter)
    for kind, items in (("miss", misses), ("false alarm", alarms)):
        for i, typ, eid, text, line in items:
            by_group[group_of(typ, eid)][kind] += 1
    for r in rows:
        errs = by_group.get(r["group"], {})
        print("%-20s %6.3f %6.3f %6.3f %5d %5d %5d  %s" % (
            r["group"], r["precision"], r["recall"], r["f1"], r["tp"], r["fp"], r["fn"],
            ", ".join("%s %d" % kv for kv in sorted(errs.items()))))
    for title, items in (("Misses (in gold, not tagged)", misses),
                         ("False alarms (tagged, not in gold)", alarms)):
        print("\n%s: %d" % (title, len(items)))
        items.sort(key=lambda x: (group_of(x[1], x[2]), x[0]))
        for i, typ, eid, text, line in items[:n_show]:
            print("  [%3d] %-8s %-32s %-16s | %s" % (i, typ, eid, text, line.strip()))
        if len(items) > n_show:
            print("  ... %d more (raise --misses)" % (len(items) - n_show))
    return rows, misses, alarms


def read_review(path):
    """{(file, line, id): (verdict, note)} from general_news_review.tsv."""
    out = {}
    if not os.path.isfile(path):
        return out
    with open(path, encoding="utf-8") as f:
        rows = [l.rstrip("\n").split("\t") for l in f if l.strip() and not l.startswith("#")]
    for r in rows[1:]:
        out[(r[0], int(r[1]), r[2])] = (r[3], r[4] if len(r) > 4 else "")
    return out


def evaluate_general(tagger, files, n_top, review):
    """Tags per 1,000 general-news sentences, and false alarms per 1,000: the
    tags reviewed `false` in general_news_review.tsv plus every tag not
    reviewed yet (counted as false until someone reads it)."""
    lines, where = [], []
    for fn in files:
        with open(fn, encoding="utf-8") as f:
            for no, l in enumerate(f, 1):
                if l.strip():
                    lines.append(l.rstrip("\n"))
                    where.append((os.path.basename(fn), no))
    preds = tagger.tag_texts(lines)
    cnt = collections.Counter()
    ex = {}
    by_type = collections.Counter()
    verdicts = collections.Counter()
    unreviewed = []
    n = 0
    for line, at, pred in zip(lines, where, preds):
        for typ, eid, name, text in pred:
            n += 1
            by_type[typ] += 1
            k = (typ, eid, name, text)
            cnt[k] += 1
            ex.setdefault(k, line)
            v = review.get((at[0], at[1], eid))
            verdicts[v[0] if v else "unreviewed"] += 1
            if not v:
                unreviewed.append((at, eid, text, line))
    rate = 1000.0 * n / len(lines) if lines else 0.0
    false = verdicts["false"] + verdicts["unreviewed"]
    fa_rate = 1000.0 * false / len(lines) if lines else 0.0
    print("\nGeneral news (false-alarm rate): %s" % ", ".join(os.path.basename(f) for f in files))
    print("  %d sentences, %d tags: %.1f tags per 1,000 sentences (%s)"
          % (len(lines), n, rate, ", ".join("%s %d" % kv for kv in sorted(by_type.items()))))
    print("  false alarms: %d reviewed false + %d not reviewed = %.1f per 1,000 sentences "
          "(%d tags reviewed as true mentions; bench/eval/general_news_review.tsv)"
          % (verdicts["false"], verdicts["unreviewed"], fa_rate, verdicts["true"]))
    for at, eid, text, line in unreviewed:
        print("    not reviewed: %s:%d %s %s | %s" % (at[0], at[1], eid, text, line[:70]))
    print("  top forms:")
    for k, c in cnt.most_common(n_top):
        print("  %4d  %-8s %-20s %-14s %-10s | %s" % (c, k[0], k[1], k[2], k[3], ex[k][:70]))
    return {"sentences": len(lines), "tags": n, "per_1000": rate,
            "false_alarms": false, "false_alarms_per_1000": fa_rate,
            "reviewed_true": verdicts["true"], "reviewed_false": verdicts["false"],
            "unreviewed": verdicts["unreviewed"],
            "top": [[c] + list(k) for k, c in cnt.most_common(n_top)]}


def review_headlines(tagger, path, n_top):
    with open(path, encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f)]
    preds = tagger.tag_texts(texts)
    cnt = collections.Counter()
    ex = {}
    for t, pred in zip(texts, preds):
        for typ, eid, name, text in pred:
            k = (typ, eid, name, text)
            cnt[k] += 1
            ex.setdefault(k, t)
    tagged = sum(1 for p in preds if p)
    print("\nHeadlines corpus review: %d headlines, %d with at least one tag; top %d (id, text):"
          % (len(texts), tagged, n_top))
    for k, c in cnt.most_common(n_top):
        print("  %5d  %-8s %-22s %-16s %-14s | %s" % (c, k[0], k[1], k[2], k[3], ex[k][:70]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ktag", help="the ktag CLI binary")
    ap.add_argument("--ref", action="store_true",
                    help="use lexicons/tools/refmatch.py instead of the CLI")
    ap.add_argument("--lexicons", default=os.path.join(REPO, "lexicons"))
    ap.add_argument("--data", default=os.environ.get("KTAG_BENCH_DATA",
                                                     os.path.join(os.path.dirname(REPO), "shared", "data")))
    ap.add_argument("--misses", type=int, default=200, help="misses/false alarms to list")
    ap.add_argument("--top", type=int, default=25, help="general-news offenders to list")
    ap.add_argument("--review-headlines", type=int, default=0, metavar="N")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    a = ap.parse_args()

    gold = os.path.join(a.data, "gold", "entities_dev.jsonl")
    general = sorted(glob.glob(os.path.join(a.data, "corpus", "korean-english-park.*.ko")))
    if not os.path.isfile(gold):
        die("%s is absent: the evaluation data (../shared/data) is not here; pass --data DIR"
            % gold)
    if not general:
        die("no corpus/korean-english-park.*.ko under %s" % a.data)
    tagger = RefTagger(a.lexicons) if a.ref else CliTagger(find_ktag(a.ktag, die), a.lexicons)
    if not a.ref:
        print("ktag: %s   lexicons: %s" % (tagger.ktag, a.lexicons))
    rows, misses, alarms = evaluate_gold(tagger, gold, a.misses)
    classes = print_error_classes([("miss", m) for m in misses] +
                                  [("false alarm", x) for x in alarms], known_forms(a.lexicons))
    fp = evaluate_general(tagger, general, a.top,
                          read_review(os.path.join(HERE, "general_news_review.tsv")))
    if a.review_headlines:
        review_headlines(tagger, os.path.join(a.data, "corpus", "headlines.csv"),
                         a.review_headlines)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"gold": rows, "misses": misses, "false_alarms": alarms,
                       "error_classes": classes,
                       "general": fp}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
