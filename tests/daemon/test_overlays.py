"""Overlay lexicon sets in ktagd: `--lexicons` several times (and in the
config file) merge in order, `info` and `stats` list every set with its
version, and a reload (control or SIGHUP) re-reads every set."""
import os
import signal

from conftest import found


def write(path, text):
    """Replace a file atomically (a reload never sees half of it)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def make_overlay(env, rows, version="watchlist-1"):
    d = os.path.join(env.dir, "watch")
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "VERSION"), version + "\n")
    write(os.path.join(d, "watch.tsv"), "type\tid\tname\taliases\tflags\n" + rows)
    return d


def sets_of(lexicon):
    return [(s["dir"], s["version"].split("+")[0]) for s in lexicon["sets"]]


def test_overlay_flags_merge_in_order_and_reload_rereads_every_set(env):
    overlay = make_overlay(env, "company\t005930\t\t삼성쇼핑\ncompany\tx:acme\t에이크미\n")
    d = env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "2",
                  "--lexicons", env.lexicons, "-L", overlay, lexicons=False)
    info = env.request(env.ipc("ctl"), {"op": "info"})["lexicon"]
    assert sets_of(info) == [(env.lexicons, "test-1"), (overlay, "watchlist-1")]
    assert info["version"] == ",".join(s["version"] for s in info["sets"])
    assert info["dir"] == env.lexicons + ":" + overlay
    r = env.request(env.ipc("front"), {"text": "삼성쇼핑 강세, 에이크미 상장"})
    assert found(r) == {("company", "005930"), ("company", "x:acme")}
    assert r["lexicon"] == info["version"]

    # Both sets change; one reload picks up both.
    with open(os.path.join(env.lexicons, "VERSION"), "w") as f:
        f.write("test-2\n")
    write(os.path.join(overlay, "VERSION"), "watchlist-2\n")
    write(os.path.join(overlay, "watch.tsv"),
          "type\tid\tname\taliases\tflags\ncompany\tx:acme\t에이크미\t애크미\n")
    reply = env.request(env.ipc("ctl"), {"op": "reload"})
    assert reply["ok"], reply
    assert sets_of(reply["lexicon"]) == [(env.lexicons, "test-2"), (overlay, "watchlist-2")]
    r = env.request(env.ipc("front"), {"text": "삼성쇼핑 강세, 애크미 상장"})
    assert found(r) == {("company", "x:acme")}
    stats = env.request(env.ipc("ctl"), {"op": "stats"})["stats"]
    assert sets_of(stats["lexicon"]) == [(env.lexicons, "test-2"), (overlay, "watchlist-2")]

    # A conflict across sets keeps the old lexicon and names both places.
    write(os.path.join(overlay, "watch.tsv"),
          "type\tid\tname\taliases\tflags\ncompany\tx:acme\t에이크미\t삼성전자\n")
    d.send_signal(signal.SIGHUP)
    m = d.wait_log(r"reload of \S+ failed, still serving (\S+): (.*)")
    assert m.group(1) == reply["lexicon"]["version"]
    assert overlay + "/watch.tsv:2: alias '삼성전자' names 'x:acme' here and company '005930' at " \
        + env.lexicons + "/entities.tsv:" in m.group(2)
    r = env.request(env.ipc("front"), {"text": "애크미"})
    assert r["lexicon"] == reply["lexicon"]["version"] and found(r) == {("company", "x:acme")}
    assert d.stop() == 0


def test_config_file_lists_several_sets(env):
    overlay = make_overlay(env, "company\tx:acme\t에이크미\n")
    conf = os.path.join(env.dir, "ktagd.conf")
    write(conf, "bind = %s\nthreads = 1\nlexicons = %s\nlexicons = %s\n"
          % (env.ipc("front"), env.lexicons, overlay))
    env.start("--config", conf, "--control", env.ipc("ctl"), lexicons=False)
    info = env.request(env.ipc("ctl"), {"op": "info"})["lexicon"]
    assert sets_of(info) == [(env.lexicons, "test-1"), (overlay, "watchlist-1")]
    assert found(env.request(env.ipc("front"), {"text": "에이크미"})) == {("company", "x:acme")}


def test_single_set_lists_one(env):
    env.start("--bind", env.ipc("front"), "--control", env.ipc("ctl"), "--threads", "1")
    info = env.request(env.ipc("ctl"), {"op": "info"})["lexicon"]
    assert sets_of(info) == [(env.lexicons, "test-1")]
    assert info["version"] == info["sets"][0]["version"] and info["dir"] == env.lexicons
