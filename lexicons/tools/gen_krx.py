#!/usr/bin/env python3
"""Generate lexicons/companies_krx.tsv from the KRX data in ../shared/data/krx.

Inputs (read-only, never copied into the repo):
  krx_listing_2026-03-22.csv    code, ISIN, name, market  (one row per listed issue)
  krx_desc_2026-03-22.csv       industry of each code
  english_names_2024-05-13.csv  English short and long names
  stock_master_2018-09-30.csv   the 2018 name of each code: a different 2018 name
                                is an earlier name of the same company
  krx_delisting_2026-03-22.csv  delisted companies (-> companies_delisted.tsv), and
                                the rights/warrant records, which carry the
                                issuer's name of their day (names since 2018)

Curated inputs next to this script:
  krx_flags.tsv     (code, form) -> flags: `ambiguous` for a current name (form empty)
                    or an earlier name that is also an ordinary word; `skip` for an
                    earlier or delisted name that is far more often the word (신한,
                    수성 "holding a level"): it is not emitted at all
  krx_skip_en.tsv   English forms never to emit (common English words)

Forms that a hand-curated lexicon file (companies_krx_aliases.tsv, companies_*.tsv,
orgs.tsv, ...) already assigns are not emitted here, so a curated decision (e.g.
"현대중공업 now means 329180, not the 2018 holder 009540") always wins and the set
never holds one surface for two ids.

Broker forms are derived by rule for every listed 증권 company (…證, …투자證,
…투자, report-source forms "-X"): see broker_forms().

Usage: gen_krx.py [--data DIR] [--out FILE]
  DIR defaults to ../shared/data next to the repository (…/work/shared/data).
  FILE defaults to lexicons/companies_krx.tsv; companies_delisted.tsv is written
  next to it, and the curated files are read from the same directory.
Exits 2 with a clear message when the data directory is absent.
"""
import argparse
import csv
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
LEXDIR = os.path.dirname(HERE)
REPO = os.path.dirname(LEXDIR)

LISTING = "krx_listing_2026-03-22.csv"
DELISTING = "krx_delisting_2026-03-22.csv"
GENERATED = ("companies_krx.tsv", "companies_delisted.tsv", "companies_krx_short.tsv")
DELISTED_SINCE = "2010-01-01"
DESC = "krx_desc_2026-03-22.csv"
ENGLISH = "english_names_2024-05-13.csv"
MASTER = "stock_master_2018-09-30.csv"

# Corporate suffixes stripped from English long names ("Samsung Electronics
# Co., Ltd." -> "Samsung Electronics").
EN_SUFFIX = re.compile(
    r"[\s,.]*(co\.?\s*,?\s*ltd\.?|co\.?,?\s*ltd|company\s+limited|company|corporation|corp\.?|"
    r"inc\.?|incorporated|limited|ltd\.?|co\.?|plc|s\.a\.|n\.v\.|ag)\s*$",
    re.I)


def norm(s):
    """The engine's matching view: NFKC + case folding (ICU and Python agree on
    everything that occurs in these files)."""
    return unicodedata.normalize("NFKC", s).casefold()


def die(msg):
    sys.stderr.write("gen_krx.py: " + msg + "\n")
    sys.exit(2)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def read_tsv_rows(path):
    """Rows of a lexicon-format TSV as lists, header included, comments dropped."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rows.append(line.split("\t"))
    return rows


def curated_forms(out_path):
    """Every normalized surface that another entity file of the output's
    lexicon directory assigns, mapped to its (type, id)."""
    taken = {}
    lexdir = os.path.dirname(os.path.abspath(out_path))
    for fn in sorted(os.listdir(lexdir)):
        path = os.path.join(lexdir, fn)
        if not fn.endswith(".tsv") or fn in GENERATED \
                or os.path.abspath(path) == os.path.abspath(out_path):
            continue
        rows = read_tsv_rows(path)
        if not rows or rows[0][0] != "type":
            continue
        for r in rows[1:]:
            if len(r) < 4:
                continue
            forms = [r[2]] + [a for a in r[3].split("|")]
            for f in forms:
                if f.strip():
                    taken.setdefault(norm(f), (r[0], r[1]))
    return taken


def clean_english(long_name):
    s = long_name.strip().strip('"')
    prev = None
    while prev != s:
        prev = s
        s = EN_SUFFIX.sub("", s).strip(" ,.")
    return re.sub(r"\s+", " ", s)


def is_preferred(code, name):
    """Preferred and other non-common issues: the last digit of a common share
    code is 0 (letters occur in newer codes, e.g. 00680K)."""
    return not code.endswith("0")


def broker_forms(name):
    """Forms finance news uses for a listed broker: 키움증권 -> 키움證, -키움;
    한화투자증권 -> 한화투자證, 한화證, 한화투자, -한화투자; DB증권 -> DB證, -DB."""
    if not name.endswith("증권") or "스팩" in name or len(name) <= 2:
        return []
    base = name[:-2]               # 한화투자 / 키움 / NH투자
    stem = base[:-2] if base.endswith("투자") and len(base) > 2 else base
    forms = [base + "證"] + dashed(base)
    if stem != base:
        forms += [stem + "證", stem + "증권", base] + dashed(stem)
    return forms


def spacing_variants(name):
    """A Hangul name with a Latin tail (셀바스AI, 현대차IR) is written with a space
    too; a Latin-Latin name with one space (CJ ENM) without it."""
    out = []
    m = re.fullmatch(r"([가-힣]{2,})([A-Za-z]{2,})", name)
    if m:
        out.append(m.group(1) + " " + m.group(2))
    if " " in name.strip():
        out.append(name.replace(" ", ""))
    m = re.fullmatch(r"([A-Z&]{2,4})([가-힣]{2,}.*)", name)
    if m:
        out.append(m.group(1) + " " + m.group(2))     # SK머티리얼즈 / SK 머티리얼즈
    return out


LETTER_NAMES = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                        "에이 비 씨 디 이 에프 지 에이치 아이 제이 케이 엘 엠 엔 오 피 큐 알 에스 티 유 브이 "
                        "더블유 엑스 와이 제트".split()))


def name_variants(name):
    """Other spellings of one name that news uses: the Latin acronym spelled in
    Hangul (KCC글라스 -> 케이씨씨글라스, LG -> 엘지), 엔터 <-> 엔터테인먼트."""
    out = spacing_variants(name)
    m = re.fullmatch(r"([A-Z]{3,4})([가-힣].*)?", name)
    if m:                        # two letters spell words too often (EG 이지, DB 디비)
        out.append("".join(LETTER_NAMES[c] for c in m.group(1)) + (m.group(2) or ""))
    if "중공업" in name:
        out.append(name.replace("중공업", "重"))          # 두산중공업 -> 두산重, 현대重지주
    if name.endswith("엔터테인먼트") and len(name) > 6:
        out.append(name[:-4])
    elif name.endswith("엔터") and len(name) > 2:
        out.append(name + "테인먼트")
    return out


def dashed(form):
    """Report-source forms: headlines end with "…목표가↑-키움" or "… –KB證".  The
    dash is part of the form so that the bare word ("현대차", "SK", "하나") keeps
    meaning what it means elsewhere."""
    return ["-" + form, "\u2013" + form]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(REPO), "shared", "data"),
                    help="the shared data directory (holds krx/)")
    ap.add_argument("--out", default=os.path.join(LEXDIR, "companies_krx.tsv"))
    args = ap.parse_args()

    krx = os.path.join(args.data, "krx")
    for fn in (LISTING, DESC, ENGLISH, MASTER, DELISTING):
        if not os.path.isfile(os.path.join(krx, fn)):
            die("missing %s: the KRX data (../shared/data/krx) is not here; "
                "pass --data DIR. Nothing was written." % os.path.join(krx, fn))

    listing = read_csv(os.path.join(krx, LISTING))
    desc = {r["Code"]: r for r in read_csv(os.path.join(krx, DESC))}
    english = {r["code"]: r for r in read_csv(os.path.join(krx, ENGLISH))}
    master = {r["Symbol"]: r for r in read_csv(os.path.join(krx, MASTER))}

    flags = {}                     # (code, normalized form or "") -> flags
    for r in read_tsv_rows(os.path.join(HERE, "krx_flags.tsv"))[1:]:
        flags[(r[0], norm(r[1]))] = r[2]
    skip_en = {norm(r[0]) for r in read_tsv_rows(os.path.join(HERE, "krx_skip_en.tsv"))[1:]}

    taken = curated_forms(args.out)
    listing.sort(key=lambda r: r["Code"])
    used = {}                      # normalized form -> code, across this file
    emitted = set()                # (form, code) already written

    def old_flags(code, old):
        """An earlier name of two syllables is as likely an ordinary word
        (일야, 국동): ambiguous unless krx_flags.tsv says otherwise."""
        f = flags.get((code, norm(old)))
        if f is not None:
            return f
        return "ambiguous" if re.fullmatch(r"[가-힣]{1,2}", old) else ""

    def claim(form, code):
        """True if `form` may be emitted for `code` (not curated elsewhere,
        not already used for another code here)."""
        n = norm(form)
        # A curated row owns its forms, flags included, even for the same id.
        if not n.strip() or n in taken or (n, code) in emitted:
            return False
        emitted.add((n, code))
        if used.get(n, code) != code:
            return False
        used[n] = code
        return True

    # Names between 2018 and today: KRX delists every rights certificate and
    # warrant (신주인수권증서/증권) under the issuer's name of that day ("맥스트
    # 5R", symbol 3770301C: the first six characters are the issuer's code).
    delisting = read_csv(os.path.join(krx, DELISTING))
    interim = {}                   # code -> [name, ...] newest first
    for r in sorted(delisting, key=lambda r: r["DelistingDate"], reverse=True):
        if "신주인수권" not in r["SecuGroup"]:
            continue
        nm = re.sub(r"\s*\d+\s*[A-Z]*$", "", r["Name"].strip()).strip()
        if nm and nm not in interim.setdefault(r["Symbol"][:6], []):
            interim[r["Symbol"][:6]].append(nm)

    # Current names first: they own their surface before any earlier or
    # English name of another company can.
    for r in listing:
        used.setdefault(norm(r["Name"]), r["Code"])
    current = {norm(r["Name"]) for r in listing}

    # English forms that several companies share are no one's.
    en_count = {}
    en_forms = {}
    for r in listing:
        code = r["Code"]
        e = english.get(code)
        if not e or is_preferred(code, r["Name"]):
            continue
        forms = []
        long_clean = clean_english(e["en_long_name"])
        if len(long_clean) >= 3:
            forms.append(long_clean)
        short = e["en_short_name"].strip()
        if short and "(" not in short and " " in short and len(short) >= 6 \
                and all(len(t) >= 2 for t in short.split()) and not short.endswith("&") \
                and not re.match(r"(the|in|a)\s", short, re.I):
            forms.append(short)
        elif short and re.fullmatch(r"[A-Za-z][A-Za-z&.\-]{3,}", short):
            forms.append(short)   # VATECH, COWAY: one word, as English headlines write it
        # A single English word of fewer than 4 letters (KCI, TSE, Ray) is an
        # acronym or a word far more often than this company.
        forms = [f for f in forms if " " in f or len(f) >= 4]
        seen = []
        for f in forms:
            if norm(f) not in [norm(x) for x in seen] and norm(f) != norm(r["Name"]):
                seen.append(f)
        en_forms[code] = seen
        for f in seen:
            en_count[norm(f)] = en_count.get(norm(f), 0) + 1

    out = []
    out.append("# GENERATED by lexicons/tools/gen_krx.py from ../shared/data/krx "
               "(KRX listing 2026-03-22, English names 2024-05-13, 2018 stock master).")
    out.append("# Do not edit by hand: curate companies_krx_aliases.tsv or tools/krx_flags.tsv, then rerun.")
    out.append("type\tid\tname\taliases\tflags\tmarket\tisin\tsector\tname_en")
    n_old = n_en = n_broker = 0
    for r in listing:
        code, name = r["Code"], r["Name"].strip()
        d = desc.get(code, {})
        e = english.get(code, {})
        name_en = clean_english(e["en_long_name"]) if e.get("en_long_name") else ""
        sector = (d.get("Industry") or "").replace("\t", " ")
        row_flags = flags.get((code, ""), "")
        out.append("\t".join(["company", code, name, "", row_flags, r["Market"], r["ISU_CD"],
                              sector, name_en]))
        # "셀바스AI" is also written "셀바스 AI", "CJ ENM" also "CJENM".
        sv = [f for f in name_variants(name) if claim(f, code)]
        if sv:
            # `case` binds the name as written (NEW, not "new"); its variants are spelt otherwise.
            sv_flags = ",".join(f for f in row_flags.split(",") if f and f != "case")
            out.append("\t".join(["company", code, "", "|".join(sv), sv_flags]))
        # Broker forms (derived by rule for every listed 증권 company).
        if not is_preferred(code, name):
            bf = [f for f in broker_forms(name) if claim(f, code)]
            if bf:
                n_broker += len(bf)
                out.append("\t".join(["company", code, "", "|".join(bf), ""]))
        # Earlier names of the same code: the 2018 master, then the names on
        # rights records since.
        olds = []
        m = master.get(code)
        if m and m["Name"].strip():
            olds.append(m["Name"].strip())
        olds += interim.get(code, [])
        for old in olds if not is_preferred(code, name) else []:
            if norm(old) == norm(name) or norm(old) in current:
                continue
            # A dashed report-source form of a gone broker name is only kept
            # when the stem is no ordinary word: -이베스트, -KTB, not -대우.
            forms = [old] + name_variants(old) + [
                f for f in broker_forms(old)
                if not re.fullmatch(r"[-\u2013][가-힣]{1,2}", f)]
            if old.endswith("금융투자"):
                forms.append(old[:-4] + "금투")
            if "skip" in old_flags(code, old):
                continue
            forms = [f for f in forms if claim(f, code)]
            if forms:
                n_old += 1
                out.append("\t".join(["company", code, "", "|".join(forms),
                                      old_flags(code, old)]))
        # English names.
        ef = [f for f in en_forms.get(code, [])
              if en_count.get(norm(f), 0) == 1 and norm(f) not in skip_en and claim(f, code)]
        if ef:
            n_en += len(ef)
            out.append("\t".join(["company", code, "", "|".join(ef), ""]))

    write(args.out, out)
    sys.stderr.write("gen_krx.py: %d companies, %d earlier names, %d English forms, "
                     "%d broker forms -> %s\n" % (len(listing), n_old, n_en, n_broker, args.out))

    # Delisted companies: `delisted:<code>` (the gold guideline's id), common
    # shares delisted since DELISTED_SINCE.  A name now carried by a listed
    # company, or claimed by a curated file, stays with that owner; a
    # two-syllable name is too likely an ordinary word to be worth it.
    latest = {}
    for r in delisting:
        if r["SecuGroup"] != "주권" or r["Kind"] != "보통주" or r["DelistingDate"] < DELISTED_SINCE:
            continue
        name = r["Name"].strip()
        if not name or "스팩" in name or "기업인수목적" in name:
            continue
        if re.fullmatch(r"[가-힣]{1}", name) or re.fullmatch(r"[A-Za-z0-9&]{1,3}", name):
            continue
        if "skip" in flags.get((r["Symbol"], norm(name)), ""):
            continue
        n = norm(name)
        if n not in latest or latest[n]["DelistingDate"] < r["DelistingDate"]:
            latest[n] = r
    dout = ["# GENERATED by lexicons/tools/gen_krx.py from ../shared/data/krx/" + DELISTING + ".",
            "# Companies delisted from KRX since %s; id `delisted:<code>`. Do not edit by hand." % DELISTED_SINCE,
            "type\tid\tname\taliases\tflags\tmarket\tdelisted\tsuccessor"]
    nd = 0
    for n, r in sorted(latest.items(), key=lambda kv: kv[1]["Symbol"]):
        eid = "delisted:" + r["Symbol"]
        name = r["Name"].strip()
        if taken.get(norm(name)) == ("company", eid):
            taken.pop(norm(name))     # the generated row carries the name; the curated one adds forms
        if not claim(name, eid):
            continue
        nd += 1
        two = "ambiguous" if re.fullmatch(r"[가-힣]{2}", name) else ""
        dout.append("\t".join(["company", eid, name, "", two, r["Market"], r["DelistingDate"],
                               r["ToName"].strip()]))
        m = master.get(r["Symbol"])
        olds = ([m["Name"].strip()] if m else []) + interim.get(r["Symbol"], [])
        for old in olds:
            if norm(old) != norm(name) and not re.fullmatch(r"[가-힣]{1,2}", old) \
                    and claim(old, eid):
                dout.append("\t".join(["company", eid, "", old, ""]))
        bf = [f for f in name_variants(name) + broker_forms(name) if claim(f, eid)]
        if bf:
            dout.append("\t".join(["company", eid, "", "|".join(bf), ""]))
    dpath = os.path.join(os.path.dirname(args.out), "companies_delisted.tsv")
    write(dpath, dout)
    sys.stderr.write("gen_krx.py: %d delisted companies -> %s\n" % (nd, dpath))


def write(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


if __name__ == "__main__":
    main()
