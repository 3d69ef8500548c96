#!/usr/bin/python3
"""A slow, independent Python reading of the lexicon format and the Korean
boundary rules of docs/LEXICONS.md, for curating lexicons: review what fires on
a corpus (`refmatch.py scan FILE`) or cross-check the engine.  It is not the
engine (lib/ is); when the two disagree, one of them, or the doc, is wrong.

Needs pyahocorasick (Debian python3-ahocorasick): run with /usr/bin/python3.

  refmatch.py scan [-L DIR] FILE...   one line per mention: type id text <TAB> line
  refmatch.py top  [-L DIR] FILE...   forms by number of hits (for false-positive review)
"""
import argparse
import collections
import os
import sys
import unicodedata

import ahocorasick

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXT_WINDOW = 30


def norm_char(c):
    return unicodedata.normalize("NFKC", c).casefold()


def normalize(text):
    """(normalized text, list mapping each normalized index to an original index)."""
    out, idx = [], []
    for i, c in enumerate(text):
        n = norm_char(c)
        out.append(n)
        idx.extend([i] * len(n))
    return "".join(out), idx


def is_hangul(c):
    o = ord(c)
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


def is_latin_digit(c):
    if c.isdigit() and c.isascii():
        return True
    if c.isalpha():
        try:
            return "LATIN" in unicodedata.name(c)
        except ValueError:
            return False
    return False


def read_rows(path):
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            yield lineno, line.split("\t")


class Lexicon:
    def __init__(self, d, extra_stop=None):
        self.forms = {}          # normalized form -> (type, id, flags)
        self.names = {}          # (type, id) -> canonical name
        self.josa = set()
        self.cues = []
        self.stops = []
        self.problems = []
        for fn in sorted(os.listdir(d)):
            if not fn.endswith(".tsv"):
                continue
            header = None
            for lineno, r in read_rows(os.path.join(d, fn)):
                if header is None:
                    header = r
                    continue
                kind = header[0]
                if kind == "type":
                    self._entity(fn, lineno, r)
                elif kind == "josa":
                    self.josa.add(norm_char_s(r[0]))
                elif kind == "cue":
                    self.cues.append(norm_char_s(r[0]))
                elif kind == "stop":
                    self.stops.append(norm_char_s(r[0]))
        if extra_stop:
            header = None
            for _lineno, r in read_rows(extra_stop):
                if header is None:
                    header = r
                    continue
                self.stops.append(norm_char_s(r[0]))
        self.maxjosa = max((len(j) for j in self.josa), default=0)
        self.auto = ahocorasick.Automaton()
        for f, v in self.forms.items():
            self.auto.add_word(f, (f, v))
        self.auto.make_automaton()
        self.cue_auto = ahocorasick.Automaton()
        for c in self.cues:
            self.cue_auto.add_word(c, c)
        if self.cues:
            self.cue_auto.make_automaton()
        self.stop_auto = ahocorasick.Automaton()
        for c in self.stops:
            self.stop_auto.add_word(c, c)
        if self.stops:
            self.stop_auto.make_automaton()

    def _entity(self, fn, lineno, r):
        typ, eid = r[0], r[1]
        name = r[2] if len(r) > 2 else ""
        aliases = r[3].split("|") if len(r) > 3 and r[3] else []
        flags = set(x.strip() for x in r[4].split(",") if x.strip()) if len(r) > 4 else set()
        if name and (typ, eid) not in self.names:
            self.names[(typ, eid)] = name
        for f in ([name] if name else []) + aliases:
            n = norm_char_s(f)
            if not n:
                continue
            old = self.forms.get(n)
            if old and (old[0], old[1]) != (typ, eid):
                self.problems.append("%s:%d: '%s' names %s:%s and %s:%s"
                                     % (fn, lineno, f, old[0], old[1], typ, eid))
                continue
            self.forms[n] = (typ, eid, frozenset(flags))

    def tag(self, text):
        """Mentions [(type, id, name, text, start, end)] with offsets into `text`."""
        nt, idx = normalize(text)
        cue_spans = []
        if self.cues:
            for end, c in self.cue_auto.iter(nt):
                cue_spans.append((end - len(c) + 1, end + 1))
        stop_spans = []
        if self.stops:
            for end, c in self.stop_auto.iter(nt):
                stop_spans.append((end - len(c) + 1, end + 1))
        cands = []
        for end, (f, (typ, eid, flags)) in self.auto.iter(nt):
            s, e = end - len(f) + 1, end + 1
            if any(ss <= s and e <= se for ss, se in stop_spans):
                continue
            if not self._edges_ok(nt, s, e, f, flags):
                continue
            if "ambiguous" in flags and not any(
                    cs <= e + CONTEXT_WINDOW and ce >= s - CONTEXT_WINDOW and not (cs >= s and ce <= e)
                    for cs, ce in cue_spans):
                continue
            cands.append((s, -(e - s), e, typ, eid))
        cands.sort()
        out, pos = [], 0
        for s, _, e, typ, eid in cands:
            if s < pos:
                continue
            pos = e
            os_ = idx[s]
            oe = idx[e - 1] + 1
            out.append((typ, eid, self.names.get((typ, eid), ""), text[os_:oe], os_, oe))
        return out

    def _edges_ok(self, nt, s, e, f, flags):
        first, last = f[0], f[-1]
        if s > 0:
            p = nt[s - 1]
            if is_latin_digit(first) and is_latin_digit(p):
                return False
            if is_hangul(first) and is_hangul(p):
                return False
        if e < len(nt):
            n = nt[e]
            if is_latin_digit(last) and is_latin_digit(n):
                return False
            if is_hangul(n) and "glue" not in flags:
                ok = False
                for k in range(1, self.maxjosa + 1):
                    j = nt[e:e + k]
                    if len(j) < k:
                        break
                    if j in self.josa and (e + k == len(nt) or not is_hangul(nt[e + k])):
                        ok = True
                        break
                if not ok:
                    return False
        return True


def norm_char_s(s):
    return unicodedata.normalize("NFKC", s.strip()).casefold()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["scan", "top"])
    ap.add_argument("-L", "--lexicons", default=os.path.dirname(HERE))
    ap.add_argument("--stop", help="also load this stop-phrase file (header `stop`)")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    lex = Lexicon(a.lexicons, a.stop)
    for p in lex.problems:
        sys.stderr.write(p + "\n")
    cnt = collections.Counter()
    ex = {}
    for fn in a.files:
        with open(fn, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                for typ, eid, name, txt, s, e in lex.tag(line):
                    if a.cmd == "scan":
                        print("%s\t%s\t%s\t%s" % (typ, eid, txt, line))
                    else:
                        k = (typ, eid, name, txt)
                        cnt[k] += 1
                        ex.setdefault(k, line)
    if a.cmd == "top":
        for k, n in cnt.most_common():
            print("%d\t%s\t%s\t%s\t%s\t%s" % (n, k[0], k[1], k[2], k[3], ex[k][:90]))


if __name__ == "__main__":
    main()
