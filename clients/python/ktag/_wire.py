"""What the blocking and the asyncio clients share: checking arguments,
building request bodies, reading replies, setting up the DEALER socket.

Nothing here does I/O or keeps state; the clients do (client.py, asyncio.py).
"""

from __future__ import annotations

import math
import random
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import msgpack
import zmq

from .curve import check_key
from .errors import KtagError, TagError

__all__ = ["OPTION_KEYS"]

DocumentId = Union[str, int]
"""A document id: a string or an integer, echoed back in the result."""

Document = Union[str, bytes, Mapping[str, Any]]
"""An item of ``tag_many``: a text, or a mapping with ``text`` and
optionally ``id`` and ``title`` (other keys are ignored)."""

OPTION_KEYS = frozenset({"sentiment", "types", "offsets", "overlaps", "explain", "events"})
"""The tagging options of the wire protocol (SPEC.md, "Wire protocol")."""

_BOOL_OPTIONS = ("sentiment", "overlaps", "explain", "events")

DEFAULT_BATCH = 64
"""Documents per request of ``tag_many`` (SPEC.md "Batches")."""

DEFAULT_BATCH_BYTES = 1 << 20
"""A batch is sent once its documents take this many bytes (1 MiB)."""

CurveKeys = Tuple[bytes, bytes, bytes]
"""(server public key, client public key, client secret key), Z85."""


def check_timing(timeout: float, retries: int) -> None:
    """The client constructors' timeout (seconds, > 0) and retries (>= 0)."""
    if not (timeout > 0 and math.isfinite(timeout)):
        raise ValueError("timeout must be a positive number of seconds")
    if retries < 0:
        raise ValueError("retries must be >= 0")


def check_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """Return the wire form of tagging options.

    The daemon ignores unknown keys, so a misspelt option would silently do
    nothing: refuse it here instead.  Values of None mean "the daemon's
    default" and are left out.  The daemon checks the values themselves.
    """
    out: Dict[str, Any] = {}
    for key, value in options.items():
        if key not in OPTION_KEYS:
            raise TypeError("unknown ktag option %r (expected one of %s)"
                            % (key, ", ".join(sorted(OPTION_KEYS))))
        if value is None:
            continue
        if key in _BOOL_OPTIONS:
            value = bool(value)
        elif key == "types":
            # "company,chip" and ["company", "chip"] say the same thing.
            if isinstance(value, str):
                value = [t.strip() for t in value.split(",") if t.strip()]
            else:
                value = list(value)
        out[key] = value
    return out


def merge_options(defaults: Mapping[str, Any], options: Mapping[str, Any]) -> Dict[str, Any]:
    """The client's default options overridden by those of one call; an
    explicit None given to the call restores the daemon's default."""
    merged = dict(defaults)
    merged.update(check_options(options))
    for key, value in options.items():
        if value is None:
            merged.pop(key, None)
    return merged


def check_id(id: Any) -> None:
    # bool is an int in Python but not an id on the wire.
    if id is not None and (isinstance(id, bool) or not isinstance(id, (str, int))):
        raise TypeError("a document id must be a str or an int, not %s" % type(id).__name__)


def check_text(name: str, value: Any) -> None:
    # bytes are sent as they are (as a msgpack str) so that the daemon, not
    # this client, judges their UTF-8 and names the offending byte offset.
    if not isinstance(value, (str, bytes)):
        raise TypeError("%s must be str or bytes, not %s" % (name, type(value).__name__))


def tag_body(text: Any, id: Any, title: Any, options: Dict[str, Any]) -> Dict[str, Any]:
    """The request body of one document (without the client's own id)."""
    check_text("text", text)
    check_id(id)
    body: Dict[str, Any] = {"text": text}
    if title is not None:
        check_text("title", title)
        body["title"] = title
    if options:
        body["options"] = options
    return body


def split_item(item: Document) -> Tuple[Any, Optional[DocumentId], Any]:
    """(text, id, title) of a ``tag_many`` item."""
    if isinstance(item, (str, bytes)):
        return item, None, None
    if isinstance(item, Mapping):
        if "text" not in item:
            raise TypeError("a tag_many item mapping needs a 'text' key")
        return item["text"], item.get("id"), item.get("title")
    raise TypeError("a tag_many item must be a str, bytes or a mapping, not %s"
                    % type(item).__name__)


def check_batching(window: int, batch: int, batch_bytes: int, errors: str) -> None:
    """The checks of ``tag_many``'s arguments; ValueError when one is wrong."""
    if window < 1:
        raise ValueError("window must be >= 1")
    if batch < 1:
        raise ValueError("batch must be >= 1")
    if batch_bytes < 1:
        raise ValueError("batch_bytes must be >= 1")
    if errors not in ("raise", "return"):
        raise ValueError('errors must be "raise" or "return"')


def text_bytes(value: Union[str, bytes]) -> int:
    # As msgpack will write it (lone surrogates fail there, not here).
    return len(value) if isinstance(value, bytes) else len(value.encode("utf-8", "surrogatepass"))


def batch_entry(item: Document) -> Tuple[Dict[str, Any], Optional[DocumentId], int]:
    """A ``tag_many`` item as a batch entry (without its id: entries are
    matched by position), the caller's id, and the bytes it adds."""
    text, doc_id, title = split_item(item)
    entry = tag_body(text, doc_id, title, {})
    size = text_bytes(text) + (text_bytes(title) if title is not None else 0)
    return entry, doc_id, size


def batch_cap(batch_bytes: int, max_message_size: int) -> int:
    """libzmq cuts off a peer that sends more than about twice the daemon's
    limit, without a reply: keep batches well inside it (0: limit unknown)."""
    return max(1, min(batch_bytes, max_message_size // 2)) if max_message_size > 0 else batch_bytes


def documents_body(entries: List[Dict[str, Any]], options: Dict[str, Any]) -> Dict[str, Any]:
    """The request body of `entries`: a single-document request for one, a
    batch (``docs``) for more."""
    body = dict(entries[0]) if len(entries) == 1 else {"docs": entries}
    if options:
        body["options"] = options
    return body


def must_split(reply: Dict[str, Any]) -> bool:
    """Whether a batch must go again one document per request: the daemon
    refused it whole as too large, or does not know batches (it asked for
    text: a ktagd older than protocol batches)."""
    error = reply.get("error")
    if reply.get("ok") is not False or not isinstance(error, dict):
        return False
    code, message = error.get("code"), error.get("message")
    return code == "too_large" or (code == "bad_request" and message == "missing text")


def batch_replies(reply: Dict[str, Any], count: int, endpoint: str) -> List[Dict[str, Any]]:
    """The reply of each document of a batch of `count`, in order; a batch
    refused whole gives its error to each of its documents.
    Raises KtagError when the reply does not hold `count` results."""
    if reply.get("ok") is not True:
        return [reply] * count
    results = reply.get("results")
    if (not isinstance(results, list) or len(results) != count
            or not all(isinstance(r, dict) for r in results)):
        raise KtagError("malformed batch reply from %s: %d documents sent, %s back"
                        % (endpoint, count, len(results) if isinstance(results, list) else "none"))
    return results


def pack_request(corr: int, body: Dict[str, Any]) -> bytes:
    """The request as sent: the client's correlation id first, then `body`."""
    wire: Dict[str, Any] = {"id": corr}
    wire.update(body)
    # use_bin_type=False: bytes go out as msgpack str, which is what the
    # protocol wants for text and title (see check_text).
    return msgpack.packb(wire, use_bin_type=False)


def read_reply(frames: List[bytes]) -> Optional[Dict[str, Any]]:
    """The reply map of a DEALER message ``[b"", reply]``, or None for
    anything else (which is not for us)."""
    if len(frames) != 2 or frames[0]:
        return None
    try:
        reply = msgpack.unpackb(frames[1], raw=False)
    except Exception:
        return None
    return reply if isinstance(reply, dict) else None


def take_request(inflight: Dict[int, Any], reply: Dict[str, Any]) -> Any:
    """Remove from `inflight` (requests by correlation id) and return the
    request `reply` answers, or None (a late reply to an abandoned one)."""
    corr = reply.get("id")
    if type(corr) is int:
        return inflight.pop(corr, None)
    if "id" not in reply and len(inflight) == 1:
        # A reply the daemon could not tie to an id (it could not read the
        # request) can only be for the one request in flight.
        return inflight.popitem()[1]
    return None


def is_overloaded(reply: Dict[str, Any]) -> bool:
    error = reply.get("error")
    return (reply.get("ok") is False and isinstance(error, dict)
            and error.get("code") == "overloaded")


def overload_backoff(attempts: int, timeout: float) -> float:
    """Seconds to wait before sending again a request refused as
    ``overloaded`` on its `attempts`-th try: exponential, jittered."""
    backoff = min(timeout, 0.5, 0.02 * 2 ** (attempts - 1))
    return backoff * random.uniform(0.5, 1.5)


def finish(reply: Dict[str, Any], id: Optional[DocumentId], raise_errors: bool) -> Dict[str, Any]:
    """The reply as the caller gets it: its own id (or its absence) put back,
    first as in the schema; an error reply raised as :class:`TagError`
    unless `raise_errors` is false."""
    out: Dict[str, Any] = {} if id is None else {"id": id}
    for key, value in reply.items():
        if key != "id":
            out[key] = value
    if out.get("ok") is not True and raise_errors:
        error = out.get("error")
        if not isinstance(error, dict):
            error = {}
        raise TagError(str(error.get("code", "internal")),
                       str(error.get("message", "malformed error reply")), id, out)
    return out


def curve_keys(server_key: Any, secret_key: Any, public_key: Any) -> Optional[CurveKeys]:
    """Check the CURVE arguments of a client; None when CURVE is off."""
    if server_key is None and secret_key is None:
        return None
    if server_key is None or secret_key is None:
        raise ValueError("CURVE needs both server_key and secret_key")
    secret = check_key(secret_key, "secret_key")
    public = (check_key(public_key, "public_key") if public_key is not None
              else zmq.curve_public(secret))
    return check_key(server_key, "server_key"), public, secret


def setup_socket(sock: zmq.Socket, endpoint: str, curve: Optional[CurveKeys]) -> None:
    """Set up a new DEALER and connect it; closes it when that fails."""
    try:
        sock.setsockopt(zmq.LINGER, 0)
        # The callers bound what is in flight (tag_many's window); the
        # default high-water mark would make send block on a dead peer.
        sock.setsockopt(zmq.SNDHWM, 0)
        sock.setsockopt(zmq.RCVHWM, 0)
        if curve is not None:
            server, public, secret = curve
            sock.setsockopt(zmq.CURVE_SERVERKEY, server)
            sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
            sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
        sock.connect(endpoint)
    except zmq.ZMQError:
        sock.close(linger=0)
        raise
