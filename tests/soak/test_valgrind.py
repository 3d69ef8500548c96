"""ktagd under valgrind (memcheck): start, 10,000 requests (good and bad,
4 pipelining clients), a lexicon reload, 1,000 more requests, stop.
Proves no leak (definitely or indirectly lost: 0 bytes), no invalid read or
write, no use of uninitialised memory in a whole daemon session, and a clean
drained exit.  About a minute on 2 cores; skipped without valgrind or on an
ASan build (the two do not mix).
"""
import os
import re
import shutil
import time

import pytest
import zmq

import harness
import loadgen
from harness import pack, unpack

REQUESTS = int(os.environ.get("KTAG_VALGRIND_REQUESTS", "10000"))
CLIENTS = 4


def test_daemon_session_under_valgrind_has_no_leak_and_no_error(ws):
    valgrind = shutil.which("valgrind")
    if not valgrind:
        pytest.skip("valgrind is not installed")
    if harness.sanitized():
        pytest.skip("ktagd is built with ASan; valgrind cannot run it")
    lex = ws.lexicons()
    vlog = os.path.join(ws.dir, "valgrind.log")
    endpoint = "tcp://127.0.0.1:%d" % harness.free_port()
    control = ws.ipc("control")
    d = ws.start("--bind", endpoint, "--control", control, "--lexicons", lex, "--threads", "2",
                 "--max-message-size", "65536",
                 prefix=[valgrind, "--tool=memcheck", "--leak-check=full",
                         "--show-leak-kinds=definite,indirect",
                         "--errors-for-leak-kinds=definite,indirect",
                         "--error-exitcode=99", "--track-origins=no",
                         "--log-file=" + vlog],
                 ready_timeout=120)
    t0 = time.monotonic()
    total, _ = loadgen.run_load(endpoint, CLIENTS, REQUESTS // CLIENTS, window=16,
                                max_message_size=65536, timeout_s=60)
    assert total["lost"] == 0 and total["mismatched"] == 0 and total["wrong"] == 0, total
    assert total["sent"] == REQUESTS
    # A reload swaps the lexicon while the old one is released: both paths
    # must free everything.
    ctx = zmq.Context()
    try:
        s = ctx.socket(zmq.REQ)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 120000)
        s.connect(control)
        s.send(pack({"id": "r", "op": "reload"}))
        reply = unpack(s.recv())
        s.close(0)
        assert reply["ok"] is True, reply
    finally:
        ctx.destroy(linger=0)
    after, _ = loadgen.run_load(endpoint, 2, 500, window=16, seed=3, max_message_size=65536,
                                timeout_s=60)
    assert after["lost"] == 0 and after["wrong"] == 0, after
    code = d.stop(timeout=120)
    elapsed = time.monotonic() - t0
    with open(vlog) as f:
        report = f.read()
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", report)
    definite = re.search(r"definitely lost: ([\d,]+) bytes", report)
    indirect = re.search(r"indirectly lost: ([\d,]+) bytes", report)
    heap = re.search(r"total heap usage: [^\n]*", report)
    assert "Memcheck" in report and heap, report[-3000:]
    print("valgrind session: %d + %d requests and a reload in %.0f s; exit %s; %s; %s; %s; %s"
          % (total["sent"], after["sent"], elapsed, code, heap.group(0),
             summary.group(0) if summary else "no summary",
             definite.group(0) if definite else "definitely lost: 0 bytes (no leak record)",
             indirect.group(0) if indirect else "indirectly lost: 0 bytes"))
    assert summary, report[-3000:]
    assert summary.group(1) == "0", report[-6000:]
    assert not definite or definite.group(1) == "0", report[-6000:]
    assert not indirect or indirect.group(1) == "0", report[-6000:]
    assert code == 0, report[-3000:]
