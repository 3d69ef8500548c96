"""``python -m ktag FILE…``: tag files through a running ktagd, print JSON lines.

A thin convenience over :class:`ktag.Client`; the C ``ktag`` CLI is the full
tool.  Each FILE is one document whose id is its path (``-`` is standard
input); with ``--lines`` each line is one document whose id is its line
number, or ``FILE:N`` when several files are given, as the CLI does.
Results are printed in input order, one compact JSON object per line.  A
document the daemon refuses prints its error object and a line on stderr;
the exit status is then 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO, Iterator, List, Optional, Sequence

import zmq

from .client import Client
from .errors import KtagError

DEFAULT_ENDPOINT = "tcp://127.0.0.1:5555"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m ktag",
        description="Tag files through a running ktagd and print one JSON object per document.")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="files to tag, one document each (default: standard input)")
    p.add_argument("-c", "--connect", metavar="ENDPOINT",
                   default=os.environ.get("KTAG_ENDPOINT", DEFAULT_ENDPOINT),
                   help="ktagd endpoint (default: $KTAG_ENDPOINT, else %s)" % DEFAULT_ENDPOINT)
    p.add_argument("-l", "--lines", action="store_true",
                   help="one document per line instead of one per file")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                   help="wait this long for each reply before retrying (default 5)")
    p.add_argument("--retries", type=int, default=3, metavar="N",
                   help="retries of a request without reply (default 3)")
    p.add_argument("--window", type=int, default=64, metavar="N",
                   help="requests in flight (default 64)")
    p.add_argument("--types", metavar="LIST",
                   help="only these types, e.g. company,funding (add events to keep events)")
    p.add_argument("--offsets", choices=("codepoint", "byte", "utf16"), help="offset unit")
    p.add_argument("--no-sentiment", action="store_true", help="skip sentiment")
    p.add_argument("--no-events", action="store_true", help="skip events")
    p.add_argument("--overlaps", action="store_true", help="report every match")
    p.add_argument("--explain", action="store_true", help="add sentences and sentiment terms")
    return p


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as f:
        return f.read()


def _documents(files: List[str], lines: bool) -> Iterator[dict]:
    # Texts stay bytes: the daemon checks their UTF-8 and names the offset.
    for path in files:
        data = _read(path)
        if not lines:
            yield {"id": path, "text": data}
            continue
        chunks = data.split(b"\n")
        if chunks and chunks[-1] == b"":
            chunks.pop()    # the newline that ends the last line starts no new one
        for number, line in enumerate(chunks, 1):
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                continue    # an empty line is not a document, as in `ktag -i lines`
            yield {"id": number if len(files) == 1 else "%s:%d" % (path, number), "text": line}


def main(argv: Optional[Sequence[str]] = None, out: Optional[IO[str]] = None) -> int:
    """Run the command line; returns the exit status (0, 1 if any document
    failed or the daemon did not answer, 2 for usage errors)."""
    args = _parser().parse_args(argv)
    out = out if out is not None else sys.stdout
    files = args.files or ["-"]
    options = {
        "types": args.types,
        "offsets": args.offsets,
        "sentiment": False if args.no_sentiment else None,
        "overlaps": True if args.overlaps else None,
        "explain": True if args.explain else None,
        "events": False if args.no_events else None,
    }
    if args.window < 1 or args.retries < 0 or not args.timeout > 0:
        print("python -m ktag: --window must be >= 1, --retries >= 0, --timeout > 0",
              file=sys.stderr)
        return 2
    failed = False
    try:
        with Client(args.connect, timeout=args.timeout, retries=args.retries) as client:
            for result in client.tag_many(_documents(files, args.lines), window=args.window,
                                          errors="return", **options):
                out.write(json.dumps(result, ensure_ascii=False, separators=(",", ":")) + "\n")
                if result.get("ok") is not True:
                    failed = True
                    error = result.get("error") or {}
                    print("ktag: %s: %s: %s" % (result.get("id", "?"), error.get("code"),
                                                error.get("message")), file=sys.stderr)
    except (OSError, KtagError, zmq.ZMQError) as e:
        # OSError: a file that cannot be read (Timeout is one too);
        # ZMQError: an endpoint ZeroMQ cannot parse.
        print("python -m ktag: %s" % e, file=sys.stderr)
        return 1
    out.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
