#!/usr/bin/python3
"""Load generator for ktagd: N client processes, each a pipelining DEALER,
sending a deterministic mix of good and bad requests, and checking every
reply.

Per client it counts what was sent, what came back, what was lost (no reply
within the timeout), mismatched ids (a reply whose id was never sent, or was
already answered), and wrong replies (ok/error code not what the request
deserves, or entities that differ from the lexicon's answer).  A good
document must always find its required entities: a daemon serving an empty
or half-loaded lexicon fails that check.  Every reply for the same document
and lexicon version must carry the same mentions, so a reply crossed with
another request's is caught even when ids match.

Used by test_load.py (bounded) and on its own for the full run:
    /usr/bin/python3 tests/soak/loadgen.py --ktagd build/daemon/ktagd \
        --clients 8 --requests 20000 [--reload-every 1.0] [--json out.json]
"""
import argparse
import json
import multiprocessing
import os
import random
import signal
import sys
import threading
import time

import msgpack
import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# Documents and the entities the bundled lexicons must find in them.  The
# required set is a floor (a lexicon may find more), compared as sets of
# (type, id); [] means "must find nothing".
DOCS = [
    ("SK하이닉스 주가가 9% 하락했다", {("company", "000660")}),
    ("삼성전자, HBM3E 엔비디아 공급 임박… 주가 급등",
     {("company", "005930"), ("chip", "hbm3e"), ("company", "x:nvidia")}),
    ("딥시크가 H800으로 학습했다는 주장에 엔비디아는 약세",
     {("chip", "h800"), ("company", "x:deepseek"), ("company", "x:nvidia")}),
    ("에코프로비엠 유상증자 결정, 주가 급락", {("company", "247540"), ("funding", "rights_offering")}),
    ("셀트리온, 자사주 매입 후 소각… 주주환원 강화", {("company", "068270"), ("funding", "buyback")}),
    ("금융감독원, 공매도 전수조사 착수", {("org", "x:fss")}),
    ("카카오 블록딜 여파로 52주 신저가", {("company", "035720"), ("funding", "block_deal")}),
    ("LG에너지솔루션 IPO 공모주 청약 첫날 흥행", {("company", "373220"), ("funding", "ipo")}),
    ("현대차 전환사채 발행 검토", {("company", "005380"), ("funding", "cb")}),
    ("CBS 라디오에서 들은 오늘의 날씨", set()),
    # Long enough to exercise buffers growing: the headlines as one article.
    (" ".join(d for d in [
        "SK하이닉스 주가가 9% 하락했다.", "삼성전자, HBM3E 엔비디아 공급 임박… 주가 급등.",
        "금융감독원, 공매도 전수조사 착수."] * 40),
     {("company", "000660"), ("company", "005930"), ("org", "x:fss")}),
]

# Request kinds: (name, weight).  Good ones dominate, as in production; every
# kind of refusal the protocol defines is in the mix.
KINDS = [
    ("good", 60), ("good_title", 8), ("good_options", 8), ("ping", 3),
    ("not_msgpack", 3), ("not_map", 3), ("missing_text", 3), ("bad_utf8", 3),
    ("bad_option", 3), ("unknown_op", 2), ("empty_text", 2), ("too_large", 2),
]
# What each bad kind must get back: the error code, and whether the id is
# readable (so echoed).
EXPECT = {
    "not_msgpack": ("bad_request", False), "not_map": ("bad_request", False),
    "missing_text": ("bad_request", True), "bad_utf8": ("bad_utf8", True),
    "bad_option": ("bad_request", True), "unknown_op": ("unsupported", True),
    "empty_text": ("bad_request", True), "too_large": ("too_large", True),
}


def _kind_table():
    table = []
    for name, weight in KINDS:
        table += [name] * weight
    return table


def build_request(kind, rid, doc, max_message_size):
    """The bytes of one request of `kind` with id `rid` about DOCS[doc]."""
    text = DOCS[doc][0]
    if kind == "good":
        return msgpack.packb({"id": rid, "text": text}, use_bin_type=True)
    if kind == "good_title":
        return msgpack.packb({"id": rid, "title": "속보", "text": text}, use_bin_type=True)
    if kind == "good_options":
        return msgpack.packb({"id": rid, "text": text, "unknown_key": [1, 2],
                              "options": {"offsets": "utf16", "explain": True}},
                             use_bin_type=True)
    if kind == "ping":
        return msgpack.packb({"id": rid, "op": "ping"}, use_bin_type=True)
    if kind == "not_msgpack":
        return b"\xc1 this is not msgpack"
    if kind == "not_map":
        return msgpack.packb([rid, text], use_bin_type=True)
    if kind == "missing_text":
        return msgpack.packb({"id": rid, "title": text}, use_bin_type=True)
    if kind == "bad_utf8":
        body = text.encode() + b"\xed\xa0\x80\xff"
        # msgpack-python refuses to pack invalid UTF-8 as str: build it.
        return (b"\x82" + msgpack.packb("id") + msgpack.packb(rid) + msgpack.packb("text")
                + b"\xdb" + len(body).to_bytes(4, "big") + body)
    if kind == "bad_option":
        return msgpack.packb({"id": rid, "text": text, "options": {"sentiment": "yes"}},
                             use_bin_type=True)
    if kind == "unknown_op":
        return msgpack.packb({"id": rid, "op": "explode"}, use_bin_type=True)
    if kind == "empty_text":
        return msgpack.packb({"id": rid, "text": ""}, use_bin_type=True)
    if kind == "too_large":
        big = "가" * (max_message_size // 3 + 1024)    # 3 bytes each: over the limit
        return msgpack.packb({"id": rid, "text": big}, use_bin_type=True)
    raise ValueError(kind)


def _entities(reply):
    return tuple((e["type"], e["id"], e["start"], e["end"], e["field"])
                 for e in reply.get("entities", ()))


def client_main(index, endpoint, requests, window, seed, max_message_size, timeout_s, out):
    """One client process: send `requests` requests, keep `window` in flight,
    check every reply; put a stats dict on `out`."""
    rnd = random.Random(seed * 1000 + index)
    table = _kind_table()
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVHWM, 0)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.connect(endpoint)
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)

    st = {"client": index, "sent": 0, "replies": 0, "lost": 0, "mismatched": 0, "wrong": 0,
          "good": 0, "bad": 0, "overloaded": 0, "anon_sent": 0, "anon_replies": 0,
          "max_latency_ms": 0.0, "problems": []}
    outstanding = {}          # id -> (kind, doc, t_sent)
    anon = []                 # t_sent of requests whose id is unreadable
    reference = {}            # (doc, lexicon version) -> entities
    versions = set()

    def problem(msg):
        if len(st["problems"]) < 10:
            st["problems"].append(msg)

    def check(reply):
        rid = reply.get("id")
        if rid is None:
            if not anon:
                st["mismatched"] += 1
                problem("reply without id, none expected: %r" % (reply,))
                return
            st["max_latency_ms"] = max(st["max_latency_ms"], (time.monotonic() - anon.pop(0)) * 1e3)
            st["anon_replies"] += 1
            err = reply.get("error") or {}
            if reply.get("ok") is not False or err.get("code") != "bad_request":
                st["wrong"] += 1
                problem("anonymous bad request got %r" % (reply,))
            return
        if rid not in outstanding:
            st["mismatched"] += 1
            problem("reply id %r was not outstanding" % (rid,))
            return
        kind, doc, t0 = outstanding.pop(rid)
        st["max_latency_ms"] = max(st["max_latency_ms"], (time.monotonic() - t0) * 1e3)
        err = reply.get("error") or {}
        if reply.get("ok") is False and err.get("code") == "overloaded":
            st["overloaded"] += 1
            return
        if kind == "ping":
            if reply.get("ok") is not True:
                st["wrong"] += 1
                problem("ping got %r" % (reply,))
            return
        if kind in EXPECT:
            st["bad"] += 1
            code, _ = EXPECT[kind]
            if reply.get("ok") is not False or err.get("code") != code:
                st["wrong"] += 1
                problem("%s request got %r, expected %s" % (kind, reply, code))
            return
        st["good"] += 1
        if reply.get("ok") is not True:
            st["wrong"] += 1
            problem("%s request for doc %d got %r" % (kind, doc, reply))
            return
        found = {(e["type"], e["id"]) for e in reply["entities"]}
        required = DOCS[doc][1]
        if not required <= found or (not required and found):
            st["wrong"] += 1
            problem("doc %d: found %s, required %s (lexicon %s)"
                    % (doc, sorted(found), sorted(required), reply.get("lexicon")))
            return
        if kind == "good":   # the other kinds use other offsets or fields
            version = reply.get("lexicon")
            versions.add(version)
            ents = _entities(reply)
            ref = reference.setdefault((doc, version), ents)
            if ref != ents:
                st["wrong"] += 1
                problem("doc %d: mentions differ between replies: %r vs %r" % (doc, ref, ents))

    seq = 0
    deadline_idle = timeout_s
    while st["sent"] < requests or outstanding or anon:
        while st["sent"] < requests and len(outstanding) + len(anon) < window:
            kind = rnd.choice(table)
            doc = rnd.randrange(len(DOCS))
            # Ids alternate between strings and integers, as clients send both.
            rid = ("c%d-%d" % (index, seq)) if seq % 2 else index * 10_000_000 + seq
            seq += 1
            data = build_request(kind, rid, doc, max_message_size)
            now = time.monotonic()
            if kind in EXPECT and not EXPECT[kind][1]:
                anon.append(now)
                st["anon_sent"] += 1
            else:
                outstanding[rid] = (kind, doc, now)
            sock.send_multipart([b"", data])
            st["sent"] += 1
        if not poller.poll(deadline_idle * 1000):
            break      # nothing for timeout_s seconds: the rest is lost
        while True:
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            st["replies"] += 1
            if len(frames) != 2 or frames[0] != b"":
                st["mismatched"] += 1
                problem("reply frames %r" % ([len(f) for f in frames],))
                continue
            try:
                reply = msgpack.unpackb(frames[1], raw=False, strict_map_key=False)
            except Exception as e:  # a reply that is not msgpack is wrong, not fatal
                st["wrong"] += 1
                problem("undecodable reply: %s" % e)
                continue
            check(reply)
    st["lost"] = len(outstanding) + len(anon)
    st["versions"] = sorted(v for v in versions if v)
    sock.close(0)
    ctx.term()
    out.put(st)


class Reloader(threading.Thread):
    """Every `every` seconds: flip the VERSION file of `lexdir` between two
    names, and ask the daemon to reload over its control socket; count the
    reloads that answered ok (the version changed) and those that did not."""

    def __init__(self, control, lexdir, every):
        super().__init__(daemon=True)
        self.control, self.lexdir, self.every = control, lexdir, every
        self.stop = threading.Event()
        self.ok = self.failed = 0
        self.errors = []

    def reload_once(self):
        """Flip VERSION and reload now; count the outcome."""
        path = os.path.join(self.lexdir, "VERSION")
        try:
            with open(path) as f:
                current = f.read().strip()
        except FileNotFoundError:
            current = ""
        with open(path, "w") as f:
            f.write("soak-%s\n" % ("B" if current == "soak-A" else "A"))
        ctx = zmq.Context()
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 20000)
        s.connect(self.control)
        try:
            s.send(msgpack.packb({"id": "reload", "op": "reload"}))
            reply = msgpack.unpackb(s.recv(), raw=False)
            if reply.get("ok"):
                self.ok += 1
            else:
                self.failed += 1
                self.errors.append(reply)
        except zmq.Again:
            self.failed += 1
            self.errors.append("reload timed out")
        finally:
            s.close(0)
            ctx.term()

    def run(self):
        while not self.stop.wait(self.every):
            self.reload_once()


def run_load(endpoint, clients, requests, window=32, seed=1, max_message_size=65536,
             timeout_s=20.0, pid=None, control=None, lexdir=None, reload_every=None):
    """Run `clients` processes of `requests` each against `endpoint`; return
    the totals, the per-client stats, and ktagd's memory (VmRSS, KiB) before
    and after when `pid` is given.  With `reload_every`, a Reloader flips the
    lexicon version through `control` that often."""
    mp = multiprocessing.get_context("spawn")
    out = mp.Queue()
    rss = {}
    if pid:
        rss["before"] = harness.rss_kib(pid)
    reloader = None
    if reload_every:
        reloader = Reloader(control, lexdir, reload_every)
        reloader.start()
    t0 = time.monotonic()
    procs = [mp.Process(target=client_main,
                        args=(i, endpoint, requests, window, seed, max_message_size, timeout_s, out))
             for i in range(clients)]
    for p in procs:
        p.start()
    stats = []
    peak = rss.get("before", 0)
    while len(stats) < clients:
        try:
            stats.append(out.get(timeout=0.5))
        except Exception:
            if all(not p.is_alive() for p in procs) and out.empty():
                break
        if pid:
            try:
                peak = max(peak, harness.rss_kib(pid))
            except (OSError, RuntimeError):
                pass
    for p in procs:
        p.join(10)
    elapsed = time.monotonic() - t0
    if reloader:
        reloader.stop.set()
        reloader.join(30)
    total = {k: sum(s[k] for s in stats) for k in
             ("sent", "replies", "lost", "mismatched", "wrong", "good", "bad", "overloaded",
              "anon_sent", "anon_replies")}
    total["clients"] = clients
    total["clients_finished"] = len(stats)
    total["requests_per_client"] = requests
    total["seconds"] = round(elapsed, 2)
    total["requests_per_s"] = round(total["replies"] / elapsed) if elapsed else 0
    total["max_latency_ms"] = round(max((s["max_latency_ms"] for s in stats), default=0), 1)
    total["versions"] = sorted({v for s in stats for v in s["versions"]})
    total["problems"] = [p for s in stats for p in s["problems"]][:20]
    if pid:
        rss["peak"] = peak
        rss["after"] = harness.rss_kib(pid)
        total["rss_kib"] = rss
    if reloader:
        total["reloads_ok"] = reloader.ok
        total["reloads_failed"] = reloader.failed
        total["reload_errors"] = reloader.errors[:5]
    return total, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ktagd", default=os.environ.get("KTAGD", "build/daemon/ktagd"))
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=20000, help="per client")
    ap.add_argument("--window", type=int, default=32, help="requests in flight per client")
    ap.add_argument("--threads", type=int, default=2, help="ktagd worker threads")
    ap.add_argument("--reload-every", type=float, default=None, help="seconds between reloads")
    ap.add_argument("--warmup", type=int, default=2000, help="requests per client before 'before'")
    ap.add_argument("--rounds", type=int, default=1,
                    help="split the run into this many rounds and record ktagd's RSS after each")
    ap.add_argument("--json", help="write the totals here")
    a = ap.parse_args()
    harness.KTAGD = os.path.abspath(a.ktagd)
    ws = harness.Workspace()
    try:
        lex = ws.lexicons()
        port = harness.free_port()
        endpoint = "tcp://127.0.0.1:%d" % port
        control = ws.ipc("control")
        max_msg = 65536
        d = ws.start("--bind", endpoint, "--control", control, "--lexicons", lex,
                     "--threads", str(a.threads), "--max-message-size", str(max_msg))
        # Warm up (lexicon pages touched, buffers grown, allocator arenas made),
        # so that "before" is the steady state and growth means a leak.
        run_load(endpoint, a.clients, a.warmup, a.window, seed=7, max_message_size=max_msg)
        per_round = a.requests // a.rounds
        rounds = []
        # One reloader for the whole run, so reloads keep their pace across rounds.
        reloader = None
        if a.reload_every:
            reloader = Reloader(control, lex, a.reload_every)
            reloader.start()
        for r in range(a.rounds):
            t, _ = run_load(endpoint, a.clients, per_round, a.window, seed=r + 1,
                            max_message_size=max_msg, pid=d.pid)
            rounds.append(t)
            print("round %d: %d requests, %d lost, %d mismatched, %d wrong, RSS %d KiB"
                  % (r + 1, t["sent"], t["lost"], t["mismatched"], t["wrong"], t["rss_kib"]["after"]),
                  file=sys.stderr)
        total = {k: sum(t[k] for t in rounds) for k in
                 ("sent", "replies", "lost", "mismatched", "wrong", "good", "bad", "overloaded",
                  "anon_sent", "anon_replies", "seconds")}
        total["seconds"] = round(total["seconds"], 2)
        total["requests_per_s"] = round(total["replies"] / total["seconds"])
        total["clients"] = a.clients
        total["clients_finished"] = min(t["clients_finished"] for t in rounds)
        total["requests_per_client"] = per_round * a.rounds
        total["max_latency_ms"] = max(t["max_latency_ms"] for t in rounds)
        total["versions"] = sorted({v for t in rounds for v in t["versions"]})
        total["problems"] = [p for t in rounds for p in t["problems"]][:20]
        total["rss_kib"] = {"before": rounds[0]["rss_kib"]["before"],
                            "after_each_round": [t["rss_kib"]["after"] for t in rounds],
                            "peak": max(t["rss_kib"]["peak"] for t in rounds),
                            "after": rounds[-1]["rss_kib"]["after"]}
        if reloader:
            reloader.stop.set()
            reloader.join(30)
            total["reloads_ok"] = reloader.ok
            total["reloads_failed"] = reloader.failed
            total["reload_errors"] = reloader.errors[:5]
        total["ktagd_exit"] = d.stop()
        print(json.dumps(total, indent=1, ensure_ascii=False))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(total, f, indent=1, ensure_ascii=False)
        ok = (total["lost"] == 0 and total["mismatched"] == 0 and total["wrong"] == 0
              and total["clients_finished"] == a.clients and total["ktagd_exit"] == 0
              and total.get("reloads_failed", 0) == 0)
        return 0 if ok else 1
    finally:
        ws.close()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(main())
