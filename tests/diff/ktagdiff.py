"""Run the `ktag` CLI over a corpus and compare what two engines said.

Shared by tests/diff/check.py (the committed fixture) and bench/diff/run
(the whole shared corpus).  A record is one document's result with what may
legitimately differ between two builds removed: `elapsed_us`, the lexicon
version, the `events` key and the explain lines of events (a new
analyzer); numbers are rounded to 3 decimals, as the CLI prints them.
"""
import json
import subprocess

UNITS = ("codepoint", "byte", "utf16")
IGNORED = ("elapsed_us", "lexicon", "events")


def _round(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def clean(record, keep_events=False):
    """The comparable part of one output object (with its events when
    `keep_events`)."""
    kept = {k: v for k, v in record.items() if k not in IGNORED or (keep_events and k == "events")}
    if "explain" in kept:
        kept["explain"] = [line for line in kept["explain"] if not line.startswith("event ")]
    return _round(kept)


def run(cli, lexicons, path, input_format, unit, extra=(), keep_events=False):
    """Tag `path` (`lines` or `jsonl`) with `--explain --offsets unit`.
    @returns the cleaned records, in input order."""
    cmd = [cli, "-i", input_format, "-L", lexicons, "--explain", "--offsets", unit, "--no-progress", *extra, path]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)}: exit {proc.returncode}: {proc.stderr.decode(errors='replace')[:400]}")
    return [clean(json.loads(line), keep_events) for line in proc.stdout.decode("utf-8").splitlines()]


def offsets(record):
    """[start, end] of every entity and sentence, in order."""
    return [[x["start"], x["end"]] for key in ("entities", "sentences") for x in record.get(key, [])]


def first_difference(a, b, path="$"):
    """@returns a short description of where a and b first differ, or None."""
    if type(a) is not type(b):
        return f"{path}: {json.dumps(a, ensure_ascii=False)[:160]} != {json.dumps(b, ensure_ascii=False)[:160]}"
    if isinstance(a, dict):
        for key in list(a) + [k for k in b if k not in a]:
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'first' if key in a else 'second'}"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        if list(a) != list(b):
            return f"{path}: key order {list(a)} != {list(b)}"
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        return None
    if a != b:
        return f"{path}: {json.dumps(a, ensure_ascii=False)} != {json.dumps(b, ensure_ascii=False)}"
    return None
