#!/usr/bin/env python3
"""Sentiment evaluation of ktag: sentences, headlines and per-entity.

  bench/eval/sentiment.py [--ktag PATH] [--lexicons DIR] [--data DIR]
                          [--misses N] [--json FILE] [--half odd|even]

1. Tags ../shared/data/sentiment/headlines_dev.csv and fpb_ko_dev.csv (one
   labelled sentence or headline a row) with the ktag CLI
   (`ktag -L DIR -i jsonl --text-field text --id-field i -f jsonl`) and
   compares the document label with the gold label: accuracy, macro-F1, F1
   per class, the confusion matrix and the worst misses (wrong label, largest
   |score|).
2. Tags ../shared/data/gold/entities_dev.jsonl and scores the sentiment
   toward each gold entity (one per distinct (type, id) per headline) that
   ktag found: accuracy, coverage (gold entities found / all), confusion
   matrix, worst misses; and the headline label against doc_sentiment.
3. Beside every ktag figure, two baselines:
   - majority: always the most frequent gold label of that set;
   - word count: the number of positive minus negative words, where the words
     are the polar terms of ktag's own sentiment lexicon (classes positive,
     up, better, state_good against negative, down, worse, state_bad) found as
     substrings, with no rule at all; an entity gets its headline's label.

The CLI is the one given by --ktag, else the first of $KTAG,
build*/clients/cli/ktag under the repository or next to it, and `ktag` on
PATH.  Exits 2 with a clear message when ../shared/data (or the CLI) is absent.

--half odd (the 1st, 3rd, ... row of each set) or --half even measures one
half of every set: tune rules on the odd half's errors, then check that the
even half, which was not read, moved the same way.
"""
import argparse
import collections
import contextlib
import csv
import glob
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile

from find_cli import find_ktag

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "lexicons", "tools"))
import lextsv  # noqa: E402
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
LABELS = ["positive", "negative", "neutral"]
HALF = None              # None, "odd" or "even": --half
ENV = dict(os.environ)   # the CLI's environment (KTAG_SENTIMENT_WEIGHTS=plain for the plain rules)
FIT_RECORD = os.path.join(HERE, "sentiment_fit.json")
POLAR = {"positive": 1, "up": 1, "better": 1, "state_good": 1,
         "negative": -1, "down": -1, "worse": -1, "state_bad": -1}


def die(msg):
    sys.stderr.write("sentiment.py: " + msg + "\n")
    sys.exit(2)


def run_ktag(ktag, lexicons, texts):
    """Tag each text as one document; returns the result objects in order."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "in.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for i, t in enumerate(texts):
                f.write(json.dumps({"i": i, "text": t}, ensure_ascii=False) + "\n")
        cmd = [ktag, "-L", lexicons, "-i", "jsonl", "--text-field", "text", "--id-field", "i",
               "-f", "jsonl", "--no-progress", path]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    if proc.returncode not in (0, 1):
        die("ktag failed (%d): %s" % (proc.returncode, proc.stderr.strip()[:500]))
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(out) != len(texts):
        die("ktag returned %d results for %d documents" % (len(out), len(texts)))
    return out, " ".join(cmd[:-1]) + " FILE"


def norm(s):
    return unicodedata.normalize("NFKC", s).casefold()


def load_polar_words(lexicons):
    words = {}
    for path in sorted(glob.glob(os.path.join(lexicons, "sentiment*.tsv"))):
        for header, cols in lextsv.rows(path):
            if len(cols) >= 2 and cols[1] in POLAR:
                words[norm(cols[0])] = POLAR[cols[1]]
    if not words:
        die("no sentiment terms in %s" % lexicons)
    return words


def word_count_label(words, text):
    t = norm(text)
    s = sum(sign * t.count(w) for w, sign in words.items())
    return "positive" if s > 0 else "negative" if s < 0 else "neutral"


def label_of(score, threshold=0.2):
    return "positive" if score > threshold else "negative" if score < -threshold else "neutral"


def metrics(gold, pred):
    conf = collections.Counter(zip(gold, pred))
    n = len(gold)
    acc = sum(conf[(l, l)] for l in LABELS) / n if n else 0.0
    f1 = {}
    for l in LABELS:
        tp = conf[(l, l)]
        fp = sum(conf[(o, l)] for o in LABELS if o != l)
        fn = sum(conf[(l, o)] for o in LABELS if o != l)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1[l] = 2 * p * r / (p + r) if p + r else 0.0
    return {"n": n, "accuracy": acc, "macro_f1": sum(f1.values()) / 3, "f1": f1,
            "confusion": {g: {p: conf[(g, p)] for p in LABELS} for g in LABELS}}


# Topic classes of a text, the first that matches wins: what kind of text an
# error falls on, so the next round starts from the largest class.  Patterns
# are substrings of the NFKC-casefolded text.
TOPICS = [
    ("question/explainer", ("?", "까", "할까", "될까", "이유는", "왜 ", "[스톡why]", "뭐길래", "어떻게")),
    ("crypto", ("비트코인", "코인", "가상자산", "암호화폐", "가상화폐", "이더리움", "블록체인", "nft",
                "bitcoin", "crypto")),
    ("fx/program/data report", ("환율", "원/달러", "원·달러", "프로그램", "마감", "개장", "순매수",
                                "순매도", "매도 우위", "매수 우위", "ppi", "cpi", "gdp", "물가")),
    ("market-wide", ("코스피", "코스닥", "증시", "뉴욕", "나스닥", "다우", "s&p", "국제 유가", "유가",
                     "금리", "연준", "fed")),
    ("mixed (contrast)", ("지만", "에도", "하지만", "그러나", "반면", "다만", "불구", " vs")),
    ("target price/rating", ("목표가", "목표주가", "투자의견")),
    ("earnings", ("영업이익", "순이익", "매출", "손실", "실적", "이익", "eps")),
    ("two clauses (…)", ("…", "..")),
]


def topic_of(text):
    t = norm(text)
    for name, pats in TOPICS:
        if any(p in t for p in pats):
            return name
    return "other"


def print_error_classes(rows):
    """rows: (gold, pred, text) of the errors.  Counts by (gold -> ktag) and by
    topic class, largest first."""
    pairs = collections.Counter("%s->%s" % (g[:3], p[:3]) for g, p, _t in rows)
    cls = collections.Counter("%-24s %s->%s" % (topic_of(t), g[:3], p[:3]) for g, p, t in rows)
    print("  errors by class (%d): %s" % (len(rows), ", ".join("%s %d" % kv for kv in pairs.most_common())))
    for c, k in cls.most_common():
        print("    %4d  %s" % (k, c))
    return {"pairs": dict(pairs), "classes": dict(cls)}


def print_block(title, m, baselines):
    print("\n== %s (%d)" % (title, m["n"]))
    print("  %-12s %8s %8s   %s" % ("", "accuracy", "macro-F1", "F1 pos / neg / neu"))
    for name, x in [("ktag", m)] + baselines:
        print("  %-12s %8.3f %8.3f   %.3f / %.3f / %.3f" % (name, x["accuracy"], x["macro_f1"],
              x["f1"]["positive"], x["f1"]["negative"], x["f1"]["neutral"]))
    print("  confusion (rows gold, columns ktag):   pos   neg   neu")
    for g in LABELS:
        c = m["confusion"][g]
        print("    %-34s %5d %5d %5d" % (g, c["positive"], c["negative"], c["neutral"]))


def print_misses(misses, count):
    misses.sort(key=lambda x: -abs(x[2]))
    if misses and count:
        print("  worst misses (gold -> ktag, score):")
    for gold, pred, score, text in misses[:count]:
        print("    %s -> %s %+.3f  %s" % (gold[:3], pred[:3], score, text[:110]))


def majority(gold):
    top = collections.Counter(gold).most_common(1)[0][0]
    return metrics(gold, [top] * len(gold))


def half(rows):
    """The rows of --half: odd keeps rows 1, 3, 5, ... (counted from 1), even
    rows 2, 4, 6, ...; no --half keeps all."""
    if HALF is None:
        return rows
    return rows[0 if HALF == "odd" else 1::2]


def eval_sentences(ktag, lexicons, words, path, title, misses):
    with open(path, encoding="utf-8") as f:
        rows = half(list(csv.DictReader(f)))
    texts = [r["text"] for r in rows]
    gold = [r["label"] for r in rows]
    results, cmd = run_ktag(ktag, lexicons, texts)
    scores = [r["sentiment"]["score"] if r.get("ok") else 0.0 for r in results]
    pred = [r["sentiment"]["label"] if r.get("ok") else "neutral" for r in results]
    m = metrics(gold, pred)
    base = [("majority", majority(gold)), ("word count", metrics(gold, [word_count_label(words, t) for t in texts]))]
    print_block(title, m, base)
    classes = print_error_classes([(g, p, t) for g, p, t in zip(gold, pred, texts) if g != p])
    print_misses([(g, p, s, t) for g, p, s, t in zip(gold, pred, scores, texts) if g != p], misses)
    return {"ktag": m, "majority": base[0][1], "word_count": base[1][1], "command": cmd,
            "error_classes": classes}


def eval_entities(ktag, lexicons, words, path, misses):
    with open(path, encoding="utf-8") as f:
        docs = half([json.loads(line) for line in f if line.strip()])
    results, cmd = run_ktag(ktag, lexicons, [d["text"] for d in docs])
    gold, pred, base_pred, wrong, werr = [], [], [], [], []
    total = 0
    dgold, dpred = [], []
    for d, r in zip(docs, results):
        dgold.append(d["doc_sentiment"])
        dpred.append(r["sentiment"]["label"] if r.get("ok") else "neutral")
        found = {}
        for e in r.get("entities", []):
            found.setdefault((e["type"], e["id"]), []).append(e)
        headline_wc = word_count_label(words, d["text"])
        for g in d["entities"]:
            total += 1
            mentions = found.get((g["type"], g["id"]))
            if not mentions:
                continue
            # The mention at the gold surface if there is one, else the first.
            e = next((x for x in mentions if x["text"] == g["surface"]), mentions[0])
            p = label_of(e.get("sentiment", 0.0))
            gold.append(g["sentiment"])
            pred.append(p)
            base_pred.append(headline_wc)
            if p != g["sentiment"]:
                wrong.append((g["sentiment"], p, e.get("sentiment", 0.0), "%s | %s" % (g["surface"], d["text"])))
                werr.append((g["sentiment"], p, g["type"], d["text"]))
    m = metrics(gold, pred)
    base = [("majority", majority(gold)), ("word count", metrics(gold, base_pred))]
    print_block("per-entity sentiment, gold headlines: entities found %d of %d (coverage %.3f)"
                % (len(gold), total, len(gold) / total if total else 0), m, base)
    classes = print_error_classes([(g, p, t) for g, p, _typ, t in werr])
    etypes = collections.Counter("%s %s->%s" % (typ, g[:3], p[:3]) for g, p, typ, _t in werr)
    print("  errors by entity type: %s" % ", ".join("%s %d" % kv for kv in etypes.most_common()))
    print_misses(wrong, misses)
    dm = metrics(dgold, dpred)
    dbase = [("majority", majority(dgold)),
             ("word count", metrics(dgold, [word_count_label(words, d["text"]) for d in docs]))]
    print_block("headline sentiment (doc_sentiment), gold headlines", dm, dbase)
    return {"ktag": m, "majority": base[0][1], "word_count": base[1][1], "found": len(gold),
            "total": total, "error_classes": classes, "doc": {"ktag": dm, "majority": dbase[0][1], "word_count": dbase[1][1]},
            "command": cmd}


def sentiment_hash(lexicons):
    """A hash of the sentiment files' bytes: tells whether a fit record
    describes the weights in use."""
    h = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(lexicons, "sentiment*.tsv"))):
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def count_fitted(lexicons):
    """How many sentiment rows carry a fitted weight."""
    n = 0
    for path in sorted(glob.glob(os.path.join(lexicons, "sentiment*.tsv"))):
        for header, cols in lextsv.rows(path):
            if "fitted" in header and len(cols) > header.index("fitted") and cols[header.index("fitted")]:
                n += 1
    return n


def read_fit_record(lexicons):
    """The figures lexicons/tools/fit_sentiment.py recorded when it fitted the
    bundled weights, or None."""
    if not os.path.isfile(FIT_RECORD):
        return None
    with open(FIT_RECORD, encoding="utf-8") as f:
        rec = json.load(f)
    rec["current"] = rec.get("sentiment_hash") == sentiment_hash(lexicons)
    return rec


def run_cv(ktag, lexicons, data, folds):
    """k-fold cross-validation of the weight fit, run now (minutes)."""
    with tempfile.TemporaryDirectory() as tmp:
        rec = os.path.join(tmp, "fit.json")
        cmd = [sys.executable, os.path.join(REPO, "lexicons", "tools", "fit_sentiment.py"),
               "--ktag", ktag, "-L", lexicons, "--data", data, "--folds", str(folds),
               "--record", rec]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            die("cross-validation failed: %s" % p.stderr.strip()[-500:])
        with open(rec, encoding="utf-8") as f:
            return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ktag")
    ap.add_argument("--lexicons", default=os.path.join(REPO, "lexicons"))
    ap.add_argument("--data", default=os.environ.get("KTAG_BENCH_DATA",
                                                     os.path.join(os.path.dirname(REPO), "shared", "data")))
    ap.add_argument("--misses", type=int, default=15, help="worst misses shown per set")
    ap.add_argument("--json", help="also write every figure to this file")
    ap.add_argument("--cv", type=int, metavar="K", default=0,
                    help="run the K-fold cross-validation of the weight fit now (minutes) instead of "
                         "printing the recorded one")
    ap.add_argument("--half", choices=("odd", "even"),
                    help="measure only the odd (1st, 3rd, ...) or even rows of each set")
    args = ap.parse_args()
    global HALF
    HALF = args.half

    need = [os.path.join(args.data, p) for p in
            ("sentiment/headlines_dev.csv", "sentiment/fpb_ko_dev.csv", "gold/entities_dev.jsonl")]
    absent = [p for p in need if not os.path.isfile(p)]
    if absent:
        die("evaluation data absent (%s); pass --data DIR (the shared data folder next to the "
            "repository); nothing measured" % ", ".join(absent))
    ktag = find_ktag(args.ktag, die)
    words = load_polar_words(args.lexicons)
    print("ktag: %s   lexicons: %s   data: %s%s" % (ktag, args.lexicons, args.data,
                                                  "   half: " + HALF if HALF else ""))
    out = {
        "headlines": eval_sentences(ktag, args.lexicons, words, need[0], "headlines_dev.csv", args.misses),
        "phrasebank": eval_sentences(ktag, args.lexicons, words, need[1], "fpb_ko_dev.csv", args.misses),
        "entities": eval_entities(ktag, args.lexicons, words, need[2], args.misses),
    }
    # The plain rules (hand weights, no fitted weight), measured the same way.
    ENV["KTAG_SENTIMENT_WEIGHTS"] = "plain"
    with contextlib.redirect_stdout(io.StringIO()):
        plain = {"headlines": eval_sentences(ktag, args.lexicons, words, need[0], "", 0),
                 "phrasebank": eval_sentences(ktag, args.lexicons, words, need[1], "", 0),
                 "entities": eval_entities(ktag, args.lexicons, words, need[2], 0)}
    del ENV["KTAG_SENTIMENT_WEIGHTS"]
    out["plain"] = {k: v["ktag"] for k, v in plain.items()}
    cv = read_fit_record(args.lexicons)
    if args.cv:
        cv = run_cv(ktag, args.lexicons, args.data, args.cv)
    out["cross_validated"] = cv
    h, p, e = out["headlines"], out["phrasebank"], out["entities"]
    cvf = (cv or {}).get("cross_validated") or {}
    cvs = lambda k: "%9.3f" % cvf[k] if k in cvf else "%9s" % "-"
    print("\n== summary                       ktag  plain rules  cross-val.  majority  word count   target")
    print("  headlines macro-F1           %7.3f  %11.3f  %s  %8.3f  %10.3f   >= 0.85" % (
        h["ktag"]["macro_f1"], plain["headlines"]["ktag"]["macro_f1"], cvs("headlines"),
        h["majority"]["macro_f1"], h["word_count"]["macro_f1"]))
    print("  PhraseBank macro-F1          %7.3f  %11.3f  %s  %8.3f  %10.3f   >= 0.80" % (
        p["ktag"]["macro_f1"], plain["phrasebank"]["ktag"]["macro_f1"], cvs("phrasebank"),
        p["majority"]["macro_f1"], p["word_count"]["macro_f1"]))
    print("  per-entity accuracy          %7.3f  %11.3f  %s  %8.3f  %10.3f   >= 0.92   (coverage %.3f)" % (
        e["ktag"]["accuracy"], plain["entities"]["ktag"]["accuracy"], cvs("entities"),
        e["majority"]["accuracy"], e["word_count"]["accuracy"],
        e["found"] / e["total"] if e["total"] else 0))
    fitted = count_fitted(args.lexicons)
    print("  ktag: the bundled lexicon (%d terms with a fitted weight); plain rules: "
          "KTAG_SENTIMENT_WEIGHTS=plain" % fitted)
    if cv:
        print("  cross-val.: %d-fold cross-validation of lexicons/tools/fit_sentiment.py's weight fit "
              "(%s%s);\n  its training figures: %s" % (
                  cv.get("folds", 0), "measured now" if args.cv else "recorded " + cv.get("date", "?"),
                  "" if args.cv or cv.get("current") else ", STALE: the sentiment files changed since; "
                  "rerun with --cv 5",
                  ", ".join("%s %.3f" % (k, cv["training"][k]) for k in ("headlines", "phrasebank", "entities"))
                  if "training" in cv else "-"))
        if cv.get("note"):
            print("  " + cv["note"])
    else:
        print("  no cross-validation record (bench/eval/sentiment_fit.json); run with --cv 5")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
