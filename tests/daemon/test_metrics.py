"""`ktagd --metrics`: GET /metrics in the Prometheus text format 0.0.4.

Every scrape is read by a strict parser of the text format written here (so
that the test needs nothing beyond the standard library), and, when Debian's
python3-prometheus-client is installed, by its parser as well.  The counters
must move by exactly what the test sent.
"""
import http.client
import math
import os
import re
import signal
import socket
import subprocess

import msgpack
import pytest
import zmq

from conftest import DOCS, KTAGD, pack, unpack

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:         # the strict parser below still reads every line
    text_string_to_metric_families = None

WIRE_CODES = ["bad_request", "bad_utf8", "too_large", "unsupported", "overloaded", "internal"]
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_float(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        raise AssertionError("not a float: %r" % text)
    return float(text)


def parse_labels(text, line):
    """`a="x",b="y\\"z"` -> {"a": "x", "b": 'y"z'}; only \\\\, \\" and \\n escapes."""
    labels = {}
    i = 0
    while i < len(text):
        m = re.compile(LABEL + "=\"").match(text, i)
        assert m, "bad label at %d in %r" % (i, line)
        name = m.group(0)[:-2]
        assert name not in labels, "label %s twice in %r" % (name, line)
        i = m.end()
        value = []
        while True:
            assert i < len(text), "unterminated label value in %r" % line
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                assert nxt in ("\\", '"', "n"), "bad escape \\%s in %r" % (nxt, line)
                value.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                assert c != "\n"
                value.append(c)
                i += 1
        labels[name] = "".join(value)
        if i < len(text):
            assert text[i] == ",", "expected ',' at %d in %r" % (i, line)
            i += 1
    return labels


def parse_exposition(text):
    """Parse every line of a text-format 0.0.4 exposition, strictly.

    Returns {family: {"type", "help", "samples": [(name, labels, value)]}}.
    Fails on: a line that is neither a comment, HELP, TYPE nor a sample; a
    TYPE or HELP given twice or after the family's samples; an unknown type;
    a family whose samples are not together; a duplicate series; a sample
    name that does not belong to its family's type; a missing final newline.
    """
    assert text.endswith("\n"), "the exposition must end with a newline"
    families = {}
    order = []          # families in the order their samples appear
    seen_series = set()

    def family_of(name):
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and families.get(base, {}).get("type") == "histogram":
                return base
        return name

    for line in text[:-1].split("\n"):
        assert line, "empty line in the exposition"
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
            if not m:
                m = re.fullmatch(r"# (HELP|TYPE) (%s)" % NAME, line)
                assert not m or m.group(1) == "HELP", "TYPE without a type: %r" % line
                continue        # a plain comment
            kind, name, rest = m.groups()
            fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
            assert not fam["samples"], "%s after the samples of %s" % (kind, name)
            if kind == "TYPE":
                assert fam["type"] is None, "TYPE of %s twice" % name
                assert rest in TYPES, "unknown type %r" % rest
                fam["type"] = rest
            else:
                assert fam["help"] is None, "HELP of %s twice" % name
                assert not re.search(r"\\[^\\n]", rest), "bad escape in HELP: %r" % line
                fam["help"] = rest
            continue
        m = re.fullmatch(r"(%s)(?:\{(.*)\})? (\S+)(?: (-?\d+))?" % NAME, line)
        assert m, "not a sample line: %r" % line
        name, labels_text, value = m.group(1), m.group(2), m.group(3)
        labels = parse_labels(labels_text, line) if labels_text else {}
        value = parse_float(value)
        fam_name = family_of(name)
        fam = families.setdefault(fam_name, {"type": None, "help": None, "samples": []})
        if not order or order[-1] != fam_name:
            assert fam_name not in order, "samples of %s are not together" % fam_name
            order.append(fam_name)
        key = (name, tuple(sorted(labels.items())))
        assert key not in seen_series, "series twice: %r" % line
        seen_series.add(key)
        if fam["type"] == "histogram":
            assert name != fam_name, "a histogram has only _bucket, _sum, _count: %r" % line
            assert (name.endswith("_bucket")) == ("le" in labels), line
        if fam["type"] == "counter":
            assert value >= 0 and not math.isinf(value), line
        fam["samples"].append((name, labels, value))
    return families


def value(families, family, sample=None, **labels):
    """The value of one series; fails when absent."""
    for name, lab, v in families[family]["samples"]:
        if name == (sample or family) and lab == labels:
            return v
    raise AssertionError("no %s%r in the exposition" % (sample or family, labels))


def check_histogram(families, name):
    fam = families[name]
    assert fam["type"] == "histogram"
    buckets = [(parse_float(lab["le"]), v) for n, lab, v in fam["samples"]
               if n == name + "_bucket"]
    bounds = [b for b, _ in buckets]
    assert bounds == sorted(bounds) and len(set(bounds)) == len(bounds), bounds
    assert bounds[-1] == math.inf
    counts = [c for _, c in buckets]
    assert counts == sorted(counts), "buckets not cumulative: %r" % counts
    count = value(families, name, name + "_count")
    assert counts[-1] == count, "+Inf bucket %s != _count %s" % (counts[-1], count)
    total = value(families, name, name + "_sum")
    assert total >= 0
    return count, total, buckets


def http_get(port, path="/metrics", method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode("utf-8")
    finally:
        conn.close()


def scrape(port):
    status, headers, text = http_get(port)
    assert status == 200, (status, text)
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers
    families = parse_exposition(text)
    for name, fam in families.items():
        assert fam["type"] is not None, "%s has no TYPE" % name
        assert fam["help"], "%s has no HELP" % name
        if fam["type"] == "counter":
            assert name.endswith("_total"), "counter %s without _total" % name
    if text_string_to_metric_families is not None:
        theirs = {f.name: f.type for f in text_string_to_metric_families(text)}
        # prometheus_client names counters without their _total suffix.
        for name, fam in families.items():
            key = name[:-len("_total")] if fam["type"] == "counter" else name
            assert theirs.get(key) == fam["type"], (name, theirs.get(key))
    return families


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_with_metrics(env, *args, **kwargs):
    port = free_port()
    d = env.start(*args, "--metrics", "127.0.0.1:%d" % port, **kwargs)
    assert d.wait_log(r"metrics at (\S+)").group(1) == "http://127.0.0.1:%d/metrics" % port
    return d, port


def test_counters_move_with_requests_and_errors(env):
    front, ctl = env.ipc("front"), env.ipc("ctl")
    d, port = start_with_metrics(env, "--bind", front, "--control", ctl, "--threads", "2",
                                 "--max-message-size", "64K")
    before = scrape(port)
    assert value(before, "ktagd_requests_total") == 0
    assert value(before, "ktagd_documents_total") == 0
    for code in WIRE_CODES:     # every code is there from the start, at zero
        assert value(before, "ktagd_errors_total", code=code) == 0
    assert value(before, "ktagd_reloads_total", result="ok") == 0
    assert value(before, "ktagd_reloads_total", result="failed") == 0
    assert value(before, "ktagd_in_flight") == 0
    assert check_histogram(before, "ktagd_request_duration_seconds")[0] == 0
    version = env.request(ctl, {"op": "info"})["lexicon"]["version"]
    assert [lab for _, lab, _ in before["ktagd_lexicon_info"]["samples"]] == [{"version": version}]
    assert value(before, "ktagd_lexicon_info", version=version) == 1
    assert 0 < value(before, "ktagd_lexicon_load_seconds") < 10

    s = env.socket(zmq.DEALER, front)
    good = [{"id": i, "text": text} for i, (text, _) in enumerate(DOCS)] * 4
    bad = [
        pack([1, 2, 3]),                                              # not a map: bad_request
        pack({"id": "t", "text": 7}),                                 # wrong type: bad_request
        msgpack.packb({"id": "u", "text": b"\xff\xfe"}, use_bin_type=False),   # bad_utf8
        pack({"id": "o", "op": "frobnicate"}),                        # unsupported
        pack({"id": "big", "text": "가" * 40000}),                    # too_large (120 KB)
    ]
    batch = pack({"id": "b", "docs": [{"text": text} for text, _ in DOCS[:3]]})
    for body in [pack(g) for g in good] + bad + [batch]:
        s.send_multipart([b"", body])
    replies = [unpack(s.recv_multipart()[1]) for _ in range(len(good) + len(bad) + 1)]
    codes = sorted(r["error"]["code"] for r in replies if not r["ok"])
    assert codes == ["bad_request", "bad_request", "bad_utf8", "too_large", "unsupported"]

    after = scrape(port)
    sent = len(good) + len(bad) + 1
    assert value(after, "ktagd_requests_total") == sent
    assert value(after, "ktagd_replies_total") == sent
    assert value(after, "ktagd_documents_total") == len(good) + 3     # a batch counts each
    expected = {"bad_request": 2, "bad_utf8": 1, "too_large": 1, "unsupported": 1}
    for code in WIRE_CODES:
        assert value(after, "ktagd_errors_total", code=code) == expected.get(code, 0), code
    assert value(after, "ktagd_dropped_total") == 0
    assert value(after, "ktagd_in_flight") == 0
    assert value(after, "ktagd_received_bytes_total") > 120000
    count, total, buckets = check_histogram(after, "ktagd_request_duration_seconds")
    # The workers time every request they answer; the main loop refuses the
    # oversized one itself, without a service time.
    assert count == sent - 1
    assert 0 < total < count * 10
    assert value(after, "ktagd_connections_total", event="opened") >= 1
    assert d.stop() == 0


def test_reloads_and_the_lexicon_version_label(env):
    ctl = env.ipc("ctl")
    d, port = start_with_metrics(env, "--bind", env.ipc("front"), "--control", ctl,
                                 "--threads", "1")
    v1 = value(scrape(port), "ktagd_lexicon_info", version=env.request(ctl, {"op": "info"})
               ["lexicon"]["version"])
    assert v1 == 1
    # A version with a quote and a backslash: the label value is escaped.
    with open(os.path.join(env.lexicons, "VERSION"), "w") as f:
        f.write('test-2 "metrics" \\ x\n')
    assert env.request(ctl, {"op": "reload"})["ok"] is True
    v2 = env.request(ctl, {"op": "info"})["lexicon"]["version"]
    assert v2.startswith('test-2 "metrics" \\ x'), v2
    fams = scrape(port)
    assert value(fams, "ktagd_reloads_total", result="ok") == 1
    assert value(fams, "ktagd_reloads_total", result="failed") == 0
    labels = [lab for _, lab, _ in fams["ktagd_lexicon_info"]["samples"]]
    assert labels == [{"version": v2}], labels

    with open(os.path.join(env.lexicons, "entities.tsv"), "a") as f:
        f.write("company\tbroken line\n")
    assert env.request(ctl, {"op": "reload"})["ok"] is False
    fams = scrape(port)
    assert value(fams, "ktagd_reloads_total", result="ok") == 1
    assert value(fams, "ktagd_reloads_total", result="failed") == 1
    assert [lab for _, lab, _ in fams["ktagd_lexicon_info"]["samples"]] == labels
    d.send_signal(signal.SIGHUP)
    d.wait_log(r"reload of .* failed", count=2)
    assert value(scrape(port), "ktagd_reloads_total", result="failed") == 2
    assert d.stop() == 0


def test_only_get_on_metrics(env):
    d, port = start_with_metrics(env, "--bind", env.ipc("front"), "--threads", "1")
    for path in ("/", "/metric", "/metrics/", "/foo"):
        status, _, _ = http_get(port, path)
        assert status == 404, path
    for method in ("POST", "PUT", "DELETE"):
        status, headers, _ = http_get(port, method=method, body=b"x=1")
        assert status == 405, method
        assert headers.get("Allow") == "GET, HEAD"
    status, headers, body = http_get(port, method="HEAD")
    assert status == 200 and body == ""
    assert http_get(port, "/metrics?name[]=x")[0] == 200    # scrapers may add parameters
    assert d.stop() == 0


def test_broker_exports_its_own_counters(env):
    front, back = env.ipc("bfront"), env.ipc("bback")
    broker, port = start_with_metrics(env, "--broker", front, back, lexicons=False)
    fams = scrape(port)
    assert value(fams, "ktagd_broker_forwarded_total") == 0
    assert value(fams, "ktagd_broker_replies_total") == 0
    assert value(fams, "ktagd_broker_workers") == 0
    assert "ktagd_lexicon_info" not in fams         # a broker holds no lexicon
    assert value(fams, "ktagd_build_info", version=fams["ktagd_build_info"]["samples"][0][1]
                 ["version"], mode="broker") == 1
    env.start("--connect", back, "--threads", "2")
    s = env.socket(zmq.DEALER, front)
    n = 30
    for i in range(n):
        s.send_multipart([b"", pack({"id": i, "text": DOCS[i % len(DOCS)][0]})])
    assert sorted(unpack(s.recv_multipart()[1])["id"] for _ in range(n)) == list(range(n))
    fams = scrape(port)
    assert value(fams, "ktagd_broker_forwarded_total") == n
    assert value(fams, "ktagd_broker_replies_total") == n
    assert value(fams, "ktagd_requests_total") == n
    assert value(fams, "ktagd_broker_workers") == 1     # one worker process
    assert broker.stop() == 0


def test_bare_port_binds_loopback(env):
    port = free_port()
    d = env.start("--bind", env.ipc("front"), "--metrics", str(port), "--threads", "1")
    assert d.wait_log(r"metrics at (\S+)").group(1) == "http://127.0.0.1:%d/metrics" % port
    assert "reachable from other hosts" not in d.log_text()
    assert "ktagd_requests_total 0\n" in http_get(port)[2]
    assert d.stop() == 0


def run_ktagd(*args):
    return subprocess.run([KTAGD, *args], capture_output=True, text=True, timeout=30)


def test_exposed_address_is_warned_about(env):
    # --check reads the settings and warns without binding anything.
    r = run_ktagd("--check", "--lexicons", env.lexicons, "--metrics", "0.0.0.0:9464")
    assert r.returncode == 0, r.stderr
    assert re.search(r"warning .*metrics on 0\.0\.0\.0:9464 are reachable from other hosts",
                     r.stderr), r.stderr
    r = run_ktagd("--check", "--lexicons", env.lexicons, "--metrics", "127.0.0.1:9464")
    assert r.returncode == 0 and "reachable" not in r.stderr, r.stderr


@pytest.mark.parametrize("spec", ["", "abc", "127.0.0.1:", "127.0.0.1:70000", ":9464",
                                  "no-such-host.invalid:9464"])
def test_bad_metrics_address_is_a_usage_error(env, spec):
    r = run_ktagd("--check", "--lexicons", env.lexicons, "--metrics", spec)
    assert r.returncode == 2, (spec, r.stderr)
    assert "--metrics" in r.stderr


def test_port_in_use_fails_the_start(env):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        d = env.start("--bind", env.ipc("front"), "--metrics", "127.0.0.1:%d" % port,
                      wait_ready=False)
        assert d.wait() == 1
        assert re.search(r"error .*cannot serve metrics on 127\.0\.0\.1:%d" % port, d.log_text())


def test_config_file_key(env):
    port = free_port()
    conf = os.path.join(env.dir, "ktagd.conf")
    with open(conf, "w") as f:
        f.write("metrics = 127.0.0.1:%d\nthreads = 1\n" % port)
    d = env.start("--config", conf, "--bind", env.ipc("front"))
    d.wait_log(r"metrics at http://127\.0\.0\.1:%d/metrics" % port)
    assert http_get(port)[0] == 200
    assert d.stop() == 0


GOOD = """# HELP a_total A counter.
# TYPE a_total counter
a_total{code="x\\\\y\\"z"} 3
# a plain comment
# TYPE h histogram
# HELP h A histogram.
h_bucket{le="0.5"} 1
h_bucket{le="+Inf"} 2
h_sum 0.75
h_count 2
"""


@pytest.mark.parametrize("broken", [
    GOOD[:-1],                                                  # no final newline
    GOOD + "\n",                                                # an empty line
    GOOD + "# TYPE a_total counter\n",                          # TYPE twice / after samples
    GOOD.replace("counter", "countr"),                          # unknown type
    GOOD + "a_total{code=\"x\\\\y\\\"z\"} 4\n",                 # a series twice, apart
    GOOD.replace('code="x', 'code=x'),                          # unquoted label value
    GOOD.replace('\\"z', '\\tz'),                               # bad escape
    GOOD.replace("} 3", "} three"),                             # not a float
    GOOD.replace("h_sum", "h"),                                 # stray sample in a histogram
    GOOD.replace('h_bucket{le="0.5"}', "h_bucket"),             # bucket without le
    GOOD.replace("a_total{", "1a{"),                            # bad metric name
])
def test_the_strict_parser_refuses_malformed_text(broken):
    assert parse_exposition(GOOD)["h"]["type"] == "histogram"
    assert value(parse_exposition(GOOD), "a_total", code='x\\y"z') == 3
    with pytest.raises(AssertionError):
        parse_exposition(broken)


def test_overlay_sets_each_have_a_series(env):
    overlay = os.path.join(env.dir, "watch")
    os.makedirs(overlay)
    with open(os.path.join(overlay, "VERSION"), "w") as f:
        f.write("watchlist-1\n")
    with open(os.path.join(overlay, "watch.tsv"), "w") as f:
        f.write("type\tid\tname\taliases\tflags\ncompany\tx:acme\t에이크미\t\t\n")
    ctl = env.ipc("ctl")
    d, port = start_with_metrics(env, "--bind", env.ipc("front"), "--control", ctl,
                                 "--lexicons", overlay, "--threads", "1")
    lexicon = env.request(ctl, {"op": "info"})["lexicon"]
    fams = scrape(port)
    # The combined version (every set's, in order) is the label of lexicon_info.
    assert "," in lexicon["version"]
    assert value(fams, "ktagd_lexicon_info", version=lexicon["version"]) == 1
    sets = [lab for _, lab, _ in fams["ktagd_lexicon_set_info"]["samples"]]
    assert sets == [{"index": str(i), "dir": s["dir"], "version": s["version"]}
                    for i, s in enumerate(lexicon["sets"])]
    # The fixture adds its --lexicons after ours: the overlay comes first.
    assert [s["dir"] for s in sets] == [overlay, env.lexicons]
    assert sets[0]["version"].startswith("watchlist-1")
    assert d.stop() == 0
