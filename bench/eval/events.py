#!/usr/bin/env python3
"""Event evaluation of ktag on the annotated development set.

  bench/eval/events.py [--ktag PATH] [--lexicons DIR] [--data DIR]
                       [--dev FILE] [--errors N] [--json FILE]

bench/eval/events_dev.jsonl holds references to headlines (a file under
../shared/data and a 1-based line number, with the first 12 hex digits of
the text's SHA-1 to catch a changed file) and their events, annotated by
bench/eval/EVENTS_GUIDELINE.md.  The texts are read from the data folder
and tagged with the ktag CLI
(`ktag -L DIR -i jsonl --text-field text --id-field i -f jsonl --explain`).

Scoring.  Gold events name entities by their surface as written; a gold
surface is resolved to the ids of the entities ktag found whose text
contains it (or is contained in it).  A surface ktag did not find as an
entity cannot be linked by any event rule, so that gold key is expected
absent, and the number of such keys is printed (entity recall, not event
linking).  A predicted event matches a gold event of the same headline when
type, company, kind (funding, earnings) and direction (price_move,
target_price, earnings) agree; matching is one to one.  Printed: P/R/F1 per
type and overall; on matched pairs the accuracy of the amount (same unit,
within 0.5%; absent on both sides counts as right) and of source,
counterparty, previous and limit; the errors by class, and up to N of them
with their headline and the rules that built the predicted events.

Exits 2 with a clear message when the data folder (or the CLI) is absent.
"""
import argparse
import collections
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile

from find_cli import find_ktag

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
TYPES = ["funding", "price_move", "target_price", "earnings", "contract"]
KEYED_KIND = {"funding", "earnings"}
KEYED_DIRECTION = {"price_move", "target_price", "earnings"}


def die(msg):
    sys.stderr.write("events.py: " + msg + "\n")
    sys.exit(2)


def read_lines(data, name, cache={}):
    """The texts of a data file by 1-based line number."""
    if name in cache:
        return cache[name]
    path = os.path.join(data, name)
    if not os.path.isfile(path):
        die("evaluation data absent: %s not found; pass --data DIR (the shared data folder, "
            "../shared/data next to the repository) or set KTAG_BENCH_DATA" % path)
    texts = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if name.endswith(".csv"):
                if number == 1:
                    continue
                row = next(csv.reader([line]))
                texts[number] = row[1]
            else:
                texts[number] = json.loads(line)["text"]
    cache[name] = texts
    return texts


def load_dev(path, data):
    docs = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            rec = json.loads(line)
            text = read_lines(data, rec["file"]).get(rec["line"])
            if text is None:
                die("%s:%d: %s has no line %d" % (path, number, rec["file"], rec["line"]))
            if hashlib.sha1(text.encode("utf-8")).hexdigest()[:12] != rec["sha1"]:
                die("%s:%d: %s line %d is not the annotated text (SHA-1 differs): the data changed"
                    % (path, number, rec["file"], rec["line"]))
            docs.append({"ref": "%s:%d" % (rec["file"], rec["line"]), "text": text, "gold": rec["events"]})
    return docs


def run_ktag(ktag, lexicons, texts):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"i": i, "text": t}, ensure_ascii=False) + "\n")
        cmd = [ktag, "-L", lexicons, "-i", "jsonl", "--text-field", "text", "--id-field", "i",
               "-f", "jsonl", "--explain", "--no-progress", path]
        proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        die("ktag failed (%d): %s" % (proc.returncode, proc.stderr.strip()[:500]))
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(out) != len(texts):
        die("ktag returned %d results for %d documents" % (len(out), len(texts)))
    if any("events" not in r for r in out if r.get("ok")):
        die("this ktag writes no \"events\" key: build the events branch")
    return out, " ".join(cmd[:-1]) + " FILE"


def resolve(surface, entities):
    """The ids of the found entities whose text contains the gold surface or
    is contained in it; empty when ktag did not find it."""
    if surface is None:
        return None
    ids = set()
    s = surface.casefold()
    for e in entities:
        t = e["text"].lstrip("-").casefold()
        if t and (s in t or t in s):
            ids.add(e["id"])
    return ids


def key_matches(gold, pred, ent):
    if gold["type"] != pred["type"]:
        return False
    if gold["type"] in KEYED_KIND and gold.get("kind") != pred.get("kind"):
        return False
    if gold["type"] in KEYED_DIRECTION and gold.get("direction") != pred.get("direction"):
        return False
    return slot_matches(gold, pred, "company", ent)


def slot_matches(gold, pred, slot, ent):
    ids = ent.get(gold.get(slot)) if gold.get(slot) else None
    if not ids:
        return pred.get(slot) is None
    return pred.get(slot) in ids


def amount_right(gold, pred):
    if "amount" not in gold:
        return "amount" not in pred
    if "amount" not in pred or gold["unit"] != pred.get("unit"):
        return False
    g, p = gold["amount"], pred["amount"]
    return abs(g - p) <= 0.005 * abs(g) + 1e-9


def classify(miss, others, ent, gold_side):
    """Why a gold event found no partner (gold_side) or a predicted one none."""
    same_type = [o for o in others if o["type"] == miss["type"]]
    if not same_type:
        return "missed" if gold_side else "spurious"
    for o in same_type:
        g, p = (miss, o) if gold_side else (o, miss)
        if not slot_matches(g, p, "company", ent):
            continue
        if g["type"] in KEYED_KIND and g.get("kind") != p.get("kind"):
            return "wrong kind"
        if g["type"] in KEYED_DIRECTION and g.get("direction") != p.get("direction"):
            return "wrong direction"
    return "wrong company"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ktag")
    ap.add_argument("--lexicons", default=os.path.join(REPO, "lexicons"))
    ap.add_argument("--data", default=os.environ.get("KTAG_BENCH_DATA",
                                                     os.path.join(os.path.dirname(REPO), "shared", "data")))
    ap.add_argument("--dev", default=os.path.join(HERE, "events_dev.jsonl"))
    ap.add_argument("--errors", type=int, default=40, help="errors listed with their headline")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        die("evaluation data absent (%s); pass --data DIR (the shared data folder next to the "
            "repository) or set KTAG_BENCH_DATA" % args.data)
    ktag = find_ktag(args.ktag, die)
    docs = load_dev(args.dev, args.data)
    results, command = run_ktag(ktag, args.lexicons, [d["text"] for d in docs])

    tp = collections.Counter()
    fp = collections.Counter()
    fn = collections.Counter()
    attr_right = collections.Counter()
    attr_total = collections.Counter()
    classes = collections.Counter()
    unreachable = 0
    errors = []
    for doc, res in zip(docs, results):
        gold = doc["gold"]
        pred = res.get("events", []) if res.get("ok") else []
        entities = res.get("entities", [])
        ent = {}
        for g in gold:
            for slot in ("company", "counterparty", "source"):
                if g.get(slot) and g[slot] not in ent:
                    ent[g[slot]] = resolve(g[slot], entities)
                    if not ent[g[slot]]:
                        unreachable += 1
        used = [False] * len(pred)
        unmatched_gold = []
        for g in gold:
            for i, p in enumerate(pred):
                if not used[i] and key_matches(g, p, ent):
                    used[i] = True
                    tp[g["type"]] += 1
                    attr_total["amount"] += 1
                    attr_right["amount"] += amount_right(g, p)
                    if "amount" in g:
                        attr_total["amount (gold has one)"] += 1
                        attr_right["amount (gold has one)"] += amount_right(g, p)
                    for slot in ("source", "counterparty"):
                        if g["type"] in ("target_price", "contract") and (g.get(slot) or p.get(slot)):
                            attr_total[slot] += 1
                            attr_right[slot] += slot_matches(g, p, slot, ent)
                    if g["type"] == "price_move":
                        attr_total["limit"] += 1
                        attr_right["limit"] += bool(g.get("limit")) == bool(p.get("limit"))
                    if not amount_right(g, p):
                        errors.append((doc, res, "wrong amount", g, p))
                        classes["wrong amount (%s)" % g["type"]] += 1
                    break
            else:
                unmatched_gold.append(g)
        for g in unmatched_gold:
            fn[g["type"]] += 1
            cls = classify(g, [p for i, p in enumerate(pred) if not used[i]], ent, True)
            classes["%s (%s)" % (cls, g["type"])] += 1
            errors.append((doc, res, cls, g, None))
        for i, p in enumerate(pred):
            if not used[i]:
                fp[p["type"]] += 1
                cls = classify(p, unmatched_gold, ent, False)
                if cls != "spurious":
                    continue   # the gold side counted this error
                classes["spurious (%s)" % p["type"]] += 1
                errors.append((doc, res, "spurious", None, p))

    figures = {"command": command, "headlines": len(docs), "unreachable_surfaces": unreachable, "types": {}}
    print("Events on %d annotated headlines (%s)" % (len(docs), os.path.relpath(args.dev)))
    print("  %s" % command)
    print()
    print("%-14s %5s %5s %5s %7s %7s %7s" % ("type", "gold", "pred", "tp", "P", "R", "F1"))

    def prf(t, p_, n_):
        p = t / p_ if p_ else 0.0
        r = t / n_ if n_ else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f
    for name in TYPES + ["all"]:
        if name == "all":
            t, f_, n_ = sum(tp.values()), sum(fp.values()), sum(fn.values())
        else:
            t, f_, n_ = tp[name], fp[name], fn[name]
        p, r, f = prf(t, t + f_, t + n_)
        print("%-14s %5d %5d %5d %7.3f %7.3f %7.3f" % (name, t + n_, t + f_, t, p, r, f))
        figures["types"][name] = {"gold": t + n_, "predicted": t + f_, "tp": t, "precision": p, "recall": r, "f1": f}
    print()
    print("On matched events:")
    figures["attributes"] = {}
    for name in ("amount", "amount (gold has one)", "source", "counterparty", "limit"):
        if attr_total[name]:
            acc = attr_right[name] / attr_total[name]
            figures["attributes"][name] = {"right": attr_right[name], "total": attr_total[name], "accuracy": acc}
            print("  %-22s %4d / %4d = %.3f" % (name, attr_right[name], attr_total[name], acc))
    print("  gold entity surfaces ktag did not find (expected absent): %d" % unreachable)
    print()
    print("Errors by class:")
    for cls, n in classes.most_common():
        print("  %4d  %s" % (n, cls))
    figures["errors"] = dict(classes)
    if args.errors:
        print()
        print("First %d errors:" % min(args.errors, len(errors)))
        for doc, res, cls, g, p in errors[:args.errors]:
            print("  [%s] %s  %s" % (cls, doc["ref"], doc["text"]))
            rules = [line for line in res.get("explain", []) if line.startswith("event ")]
            if rules:
                print("      rules: %s" % "; ".join(rules))
            if g:
                print("      gold %s" % json.dumps(g, ensure_ascii=False))
            if p:
                keep = {k: v for k, v in p.items() if k not in ("start", "end", "field", "sentiment")}
                print("      pred %s" % json.dumps(keep, ensure_ascii=False))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
