"""CURVE keys for talking to a ktagd started with ``--curve-secret-key`` (docs/SECURITY.md)."""

from __future__ import annotations

import re
from typing import Union

import zmq
from zmq.utils import z85

__all__ = ["read_key", "check_key"]

_CZMQ_LINE = re.compile(r'^\s*(public-key|secret-key)\s*=\s*"([^"]*)"\s*$')


def check_key(key: Union[str, bytes], what: str = "key") -> bytes:
    """Return `key` as the 40 Z85 bytes ZeroMQ takes, or raise ValueError.

    Accepts the Z85 text (str or bytes, surrounding blanks ignored) or the
    32 raw key bytes.
    """
    if isinstance(key, str):
        key = key.encode("ascii", "replace")
    if not isinstance(key, bytes):
        raise TypeError("%s must be str or bytes, not %s" % (what, type(key).__name__))
    if len(key) == 32:
        return z85.encode(key)
    key = key.strip()
    try:
        ok = len(key) == 40 and len(z85.decode(key)) == 32
    except (ValueError, KeyError, IndexError):
        ok = False
    if not ok:
        raise ValueError("%s is not a CURVE key (40 Z85 characters)" % what)
    return key


def read_key(path: str, secret: bool = False) -> bytes:
    """Read a CURVE key file as ktagd does: a bare Z85 key on one line (``#``
    lines are comments), or a czmq certificate (``public-key = "..."``;
    with ``secret=True``, ``secret-key = "..."``).

    Returns the 40 Z85 bytes.  Raises OSError or ValueError (naming the file).
    """
    kind = "secret-key" if secret else "public-key"
    with open(path, "r", encoding="ascii", errors="replace") as f:
        lines = f.read().splitlines()
    for line in lines:
        m = _CZMQ_LINE.match(line)
        if m and m.group(1) == kind:
            return check_key(m.group(2), "%s (%s)" % (path, kind))
    if not any(_CZMQ_LINE.match(line) for line in lines):
        for line in lines:
            text = line.strip()
            if text and not text.startswith("#"):
                return check_key(text, path)
    raise ValueError("%s holds no %s" % (path, kind))


def curve_available() -> bool:
    """True when this libzmq was built with CURVE."""
    return bool(zmq.has("curve"))
