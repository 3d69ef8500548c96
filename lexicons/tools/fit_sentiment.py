#!/usr/bin/python3
"""Fit a weight per sentiment term to the labelled development sets, and
measure the fit by k-fold cross-validation.

  fit_sentiment.py [--ktag PATH] [--data DIR] [--folds K] [--passes N] [--write] [--record FILE]

The model is ktag's own rules (docs/SENTIMENT.md); only the weights of terms
change.  Coordinate descent: for each term of the classes positive, negative,
up, down, better, worse, measure_good, measure_bad, state_good, state_bad,
negation and damper that occurs in at least MIN_DOCS training texts (most
frequent first), try the hand weight times 0, 0.5 and 1.5 (dampers: the
factors 0.3, 0.6 and 1) and keep the one that raises the objective by more than
MIN_GAIN: the mean of the headline macro-F1, the PhraseBank macro-F1 and the
per-entity accuracy on the gold headlines, measured by tagging with the ktag
CLI.  Only the texts holding the term are tagged again, so a trial is quick.

- With --folds K (default 5), texts are split in K folds (by a hash of the
  text); for each fold the weights are fitted on the other K-1 and the fold is
  scored: the cross-validated figures, the honest estimate of what the fit
  does on text it has not seen.
- Then the weights are fitted on all the texts (the training figures).
- --write stores those weights in the `fitted` column of the sentiment files
  of the lexicon set (an empty cell keeps the hand weight); the engine uses
  them unless KTAG_SENTIMENT_WEIGHTS=plain.  --record FILE writes every
  figure as JSON (bench/eval/sentiment.py prints it beside its own).

The data (../shared/data/sentiment, gold/entities_dev.jsonl) is read, never
copied into the repository.
"""
import argparse
import collections
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
LEXDIR = os.path.dirname(HERE)
REPO = os.path.dirname(LEXDIR)
LABELS = ["positive", "negative", "neutral"]
FITTED = {"positive", "negative", "up", "down", "better", "worse", "measure_good", "measure_bad",
          "state_good", "state_bad", "negation", "damper"}
FACTORS = [0.0, 0.5, 1.5]
DAMPERS = [0.3, 0.6, 1.0]
MIN_DOCS = 5
MIN_GAIN = 0.0002


def norm(s):
    return unicodedata.normalize("NFKC", s).casefold()


def label_of(score):
    return "positive" if score > 0.2 else "negative" if score < -0.2 else "neutral"


def macro_f1(gold, pred):
    f = []
    for l in LABELS:
        tp = sum(1 for g, p in zip(gold, pred) if g == l and p == l)
        fp = sum(1 for g, p in zip(gold, pred) if g != l and p == l)
        fn = sum(1 for g, p in zip(gold, pred) if g == l and p != l)
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return sum(f) / 3


class Sentiment:
    """The sentiment files of a lexicon set: rows kept as read, weights editable."""

    def __init__(self, lexdir):
        self.lexdir = lexdir
        self.files = {}      # name -> list of lines (str) or row dicts
        self.terms = {}      # term -> {"class", "weight"} (the hand weight)
        for fn in sorted(os.listdir(lexdir)):
            if not (fn.startswith("sentiment") and fn.endswith(".tsv")):
                continue
            header, rows = None, []
            with open(os.path.join(lexdir, fn), encoding="utf-8") as f:
                for line in f:
                    line = line.rstrip("\r\n")
                    if not line.strip() or line.lstrip().startswith("#"):
                        rows.append(line)
                        continue
                    cols = line.split("\t")
                    if header is None:
                        header = cols
                        rows.append({"header": cols})
                        continue
                    row = dict(zip(header, cols))
                    rows.append({"cols": cols, "row": row})
                    self.terms.setdefault(row["term"], {"class": row["class"],
                                                        "weight": float(row["weight"])})
            self.files[fn] = rows

    def write(self, outdir, weights, fitted_column):
        """Write the sentiment files to outdir: with fitted_column, the hand
        weights stay and `fitted` holds every weight that differs; else the
        weights themselves are replaced (a trial lexicon)."""
        for fn, rows in self.files.items():
            header = next(r["header"] for r in rows if isinstance(r, dict) and "header" in r)
            if fitted_column and "fitted" not in header:
                header = header + ["fitted"]
            out = []
            for r in rows:
                if isinstance(r, str):
                    out.append(r)
                elif "header" in r:
                    out.append("\t".join(header))
                else:
                    cols = list(r["cols"])
                    term = r["row"]["term"]
                    w = weights.get(term)
                    hand = self.terms[term]["weight"]
                    if fitted_column:
                        cols += [""] * (len(header) - len(cols))
                        i = header.index("fitted")
                        cols[i] = fmt(w) if w is not None and abs(w - hand) > 1e-9 else ""
                        while cols and cols[-1] == "" and len(cols) > 3:
                            cols.pop()
                    else:
                        if "fitted" in header and len(cols) > header.index("fitted"):
                            cols[header.index("fitted")] = ""
                        cols[header.index("weight")] = fmt(w if w is not None else hand)
                    out.append("\t".join(cols))
            with open(os.path.join(outdir, fn), "w", encoding="utf-8") as f:
                f.write("\n".join(out) + "\n")


def fmt(w):
    return ("%.3f" % w).rstrip("0").rstrip(".") if w != int(w) else "%d" % w


class Data:
    """Every labelled text: (set, gold, text, entities or None)."""

    def __init__(self, data):
        self.docs = []
        for name, fn in (("headlines", "headlines_dev.csv"), ("phrasebank", "fpb_ko_dev.csv")):
            with open(os.path.join(data, "sentiment", fn), encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    self.docs.append({"set": name, "gold": r["label"], "text": r["text"]})
        with open(os.path.join(data, "gold", "entities_dev.jsonl"), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    g = json.loads(line)
                    self.docs.append({"set": "entities", "gold": None, "text": g["text"],
                                      "entities": g["entities"]})
        for d in self.docs:
            d["norm"] = norm(d["text"])
            d["fold"] = zlib.crc32(d["text"].encode("utf-8"))


class Scorer:
    """Tags texts with a trial lexicon through the CLI and keeps each text's
    predictions, so that a trial re-tags only the texts holding its term."""

    def __init__(self, ktag, lexdir, sent, docs):
        self.ktag, self.sent, self.docs = ktag, sent, docs
        self.tmp = tempfile.mkdtemp(prefix="ktag-fit-")
        for fn in os.listdir(lexdir):
            if fn.endswith(".tsv") and fn not in sent.files or fn == "VERSION":
                os.symlink(os.path.join(lexdir, fn), os.path.join(self.tmp, fn))
        self.pred = [None] * len(docs)

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tag(self, weights, idx):
        self.sent.write(self.tmp, weights, fitted_column=False)
        inp = "".join(json.dumps({"id": i, "text": self.docs[i]["text"]}, ensure_ascii=False) + "\n"
                      for i in idx)
        env = dict(os.environ, KTAG_SENTIMENT_WEIGHTS="plain")
        p = subprocess.run([self.ktag, "-L", self.tmp, "-i", "jsonl", "-f", "jsonl", "--no-progress", "-"],
                           input=inp.encode("utf-8"), stdout=subprocess.PIPE, env=env, check=False)
        out = {}
        for line in p.stdout.decode("utf-8").splitlines():
            r = json.loads(line)
            out[r["id"]] = r
        return {i: self.reading(self.docs[i], out.get(i)) for i in idx}

    @staticmethod
    def reading(doc, r):
        if r is None or not r.get("ok"):
            return ("neutral", [])
        label = r["sentiment"]["label"]
        ents = []
        if doc["set"] == "entities":
            found = collections.defaultdict(list)
            for e in r["entities"]:
                found[(e["type"], e["id"])].append(e)
            for g in doc["entities"]:
                m = found.get((g["type"], g["id"]))
                if m:
                    e = next((x for x in m if x["text"] == g["surface"]), m[0])
                    ents.append((g["sentiment"], label_of(e.get("sentiment", 0.0))))
        return (label, ents)


def objective(docs, preds, idx):
    """(mean, headline macro-F1, PhraseBank macro-F1, per-entity accuracy) over idx."""
    g = {"headlines": ([], []), "phrasebank": ([], [])}
    eg = ep = 0
    for i in idx:
        d, (label, ents) = docs[i], preds[i]
        if d["set"] in g:
            g[d["set"]][0].append(d["gold"])
            g[d["set"]][1].append(label)
        else:
            eg += len(ents)
            ep += sum(1 for a, b in ents if a == b)
    h = macro_f1(*g["headlines"]) if g["headlines"][0] else 0.0
    p = macro_f1(*g["phrasebank"]) if g["phrasebank"][0] else 0.0
    e = ep / eg if eg else 0.0
    return ((h + p + e) / 3, h, p, e)


def fit(scorer, sent, docs, train, passes, log):
    """Coordinate descent on the terms of `train`; returns the weights."""
    weights = {t: v["weight"] for t, v in sent.terms.items()}
    preds = dict(scorer.tag(weights, train))
    holders = collections.defaultdict(list)
    tn = {t: norm(t) for t in weights if sent.terms[t]["class"] in FITTED}
    for i in train:
        for t, nt in tn.items():
            if nt in docs[i]["norm"]:
                holders[t].append(i)
    order = sorted((t for t in holders if len(holders[t]) >= MIN_DOCS), key=lambda t: -len(holders[t]))
    full = [None] * len(docs)
    for i in train:
        full[i] = preds[i]
    best = objective(docs, full, train)[0]
    for p in range(passes):
        changed = 0
        for t in order:
            cls, hand = sent.terms[t]["class"], sent.terms[t]["weight"]
            cands = DAMPERS if cls == "damper" else [min(10.0, hand * f) for f in FACTORS]
            cur = weights[t]
            for w in cands:
                if abs(w - cur) < 1e-9:
                    continue
                weights[t] = w
                trial = scorer.tag(weights, holders[t])
                old = {i: full[i] for i in holders[t]}
                for i, v in trial.items():
                    full[i] = v
                score = objective(docs, full, train)[0]
                if score > best + MIN_GAIN:
                    best, cur = score, w
                    changed += 1
                else:
                    for i, v in old.items():
                        full[i] = v
            weights[t] = cur
        log("  pass %d: %d terms changed, objective %.4f" % (p + 1, changed, best))
        if not changed:
            break
    return weights


def sentiment_hash(lexdir):
    """As bench/eval/sentiment.py computes it: tells a record from a stale one."""
    h = hashlib.sha256()
    for fn in sorted(os.listdir(lexdir)):
        if fn.startswith("sentiment") and fn.endswith(".tsv"):
            with open(os.path.join(lexdir, fn), "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ktag")
    ap.add_argument("-L", "--lexicons", default=LEXDIR)
    ap.add_argument("--data", default=os.environ.get(
        "KTAG_BENCH_DATA", os.path.join(os.path.dirname(REPO), "shared", "data")))
    ap.add_argument("--folds", type=int, default=5, help="k of the k-fold cross-validation (0: none)")
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="store the fitted weights in the lexicon set")
    ap.add_argument("--record", help="write the figures to this JSON file")
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(REPO, "bench", "eval"))
    from find_cli import find_ktag

    def die(msg):
        sys.stderr.write("fit_sentiment.py: " + msg + "\n")
        sys.exit(2)

    if not os.path.isfile(os.path.join(a.data, "gold", "entities_dev.jsonl")):
        die("the evaluation data is absent under %s; pass --data DIR" % a.data)
    ktag = find_ktag(a.ktag, die)
    sent = Sentiment(a.lexicons)
    data = Data(a.data)
    docs = data.docs
    log = lambda m: sys.stderr.write(m + "\n")
    record = {"date": time.strftime("%Y-%m-%d"), "folds": a.folds, "passes": a.passes,
              "factors": FACTORS, "min_docs": MIN_DOCS, "min_gain": MIN_GAIN}
    everyone = list(range(len(docs)))
    scorer = Scorer(ktag, a.lexicons, sent, docs)
    try:
        plain = scorer.tag({t: v["weight"] for t, v in sent.terms.items()}, everyone)
        full = [plain[i] for i in everyone]
        record["plain"] = dict(zip(("mean", "headlines", "phrasebank", "entities"),
                                   objective(docs, full, everyone)))
        if a.folds > 1:
            cv = [None] * len(docs)
            for k in range(a.folds):
                train = [i for i in everyone if docs[i]["fold"] % a.folds != k]
                test = [i for i in everyone if docs[i]["fold"] % a.folds == k]
                log("fold %d/%d: fit on %d texts, score %d" % (k + 1, a.folds, len(train), len(test)))
                w = fit(scorer, sent, docs, train, a.passes, log)
                for i, v in scorer.tag(w, test).items():
                    cv[i] = v
            record["cross_validated"] = dict(zip(("mean", "headlines", "phrasebank", "entities"),
                                                 objective(docs, cv, everyone)))
        log("fit on all %d texts" % len(docs))
        w = fit(scorer, sent, docs, everyone, a.passes, log)
        tr = scorer.tag(w, everyone)
        record["training"] = dict(zip(("mean", "headlines", "phrasebank", "entities"),
                                      objective(docs, [tr[i] for i in everyone], everyone)))
        record["changed_terms"] = sum(1 for t, v in w.items() if abs(v - sent.terms[t]["weight"]) > 1e-9)
    finally:
        scorer.close()
    for k in ("plain", "training", "cross_validated"):
        if k in record:
            r = record[k]
            print("%-16s headlines %.3f  PhraseBank %.3f  per-entity %.3f" % (
                k, r["headlines"], r["phrasebank"], r["entities"]))
    print("terms with a fitted weight: %d" % record["changed_terms"])
    if a.write:
        sent.write(a.lexicons, w, fitted_column=True)
        print("fitted weights written to the sentiment files of %s" % a.lexicons)
    record["sentiment_hash"] = sentiment_hash(a.lexicons)
    if a.record:
        with open(a.record, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
