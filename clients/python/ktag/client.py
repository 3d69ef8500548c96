"""The ktag client: msgpack requests to ktagd over one ZeroMQ DEALER socket.

Every request carries a correlation id of the client's own (an integer), so
replies can be matched whatever order they come back in; the caller's id (or
its absence) is put back into what the caller gets.  :meth:`Client.tag_many`
sends batches (SPEC.md "Batches": one request carries many documents under
``docs``, the reply has one entry per document in the same order), so a
request here is one document or one batch.  A request without a reply
after ``timeout`` seconds is retried the Lazy Pirate way: the socket is closed
and rebuilt (which drops whatever was queued towards a dead peer and any late
reply) and everything still in flight is sent again.  An ``overloaded`` reply
is sent again after a short backoff, within the same budget of retries.
Every operation this
client offers is idempotent (tagging is a pure function of the text), so a
retry can never do harm; it only costs time.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from typing import (Any, Deque, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple,
                    Union)

import zmq

from . import _wire
from ._wire import DEFAULT_BATCH, DEFAULT_BATCH_BYTES, OPTION_KEYS, Document, DocumentId
from .errors import KtagError, TagError, Timeout

__all__ = ["Client", "Document", "DocumentId", "OPTION_KEYS"]

class _Request:
    """One request in flight: its packed bytes, its tries and its outcome."""

    __slots__ = ("corr", "payload", "attempts", "deadline", "resend_at", "reply", "error", "docs")

    def __init__(self, corr: int, payload: bytes) -> None:
        self.corr = corr
        self.payload = payload
        self.docs: Optional[List[Dict[str, Any]]] = None   # a batch: its wire entries
        self.attempts = 0
        self.deadline = 0.0     # when the reply to the last send is late
        self.resend_at = 0.0    # > 0: refused as overloaded, send again then
        self.reply: Optional[Dict[str, Any]] = None
        self.error: Optional[KtagError] = None

    @property
    def done(self) -> bool:
        return self.reply is not None or self.error is not None


class Client:
    """A connection to a ktagd front (``ktagd --bind``) or to a broker's front.

    Args:
        endpoint: a ZeroMQ endpoint, e.g. ``"tcp://127.0.0.1:5555"`` or
            ``"ipc:///run/ktag.sock"``.
        timeout: seconds to wait for the reply to each request (each attempt).
        retries: how many times a request is sent again when it got no reply
            in time (on a rebuilt socket) or was refused as ``overloaded``
            (after a short backoff), before :class:`Timeout` (or the
            ``overloaded`` :class:`TagError`) is raised; 0 means one attempt.
        context: a ``zmq.Context`` to use; by default the client makes its own
            and terminates it on :meth:`close`.
        options: default tagging options for every request of this client
            (``sentiment``, ``types``, ``offsets``, ``overlaps``, ``explain``);
            options given to :meth:`tag` / :meth:`tag_many` override them.
        server_key: the daemon's CURVE public key (Z85, as ktagd logs it at
            start, or :func:`ktag.read_key` of its ``.pub`` file): turns
            encryption on, for a ktagd run with ``--curve-secret-key``.
        secret_key: this client's CURVE secret key (Z85); its public key must
            be in the daemon's ``--curve-allow`` directory.  Required with
            ``server_key``.  A daemon that refuses the key never answers: the
            requests end in :class:`Timeout`.
        public_key: this client's public key; derived from ``secret_key``
            when omitted.

    Use it as a context manager, or call :meth:`close`.  ``timeout`` and
    ``retries`` are plain attributes that may be changed between calls.  A
    client is not thread-safe (ZeroMQ sockets are not): give each thread its
    own.  The socket connects in the background, so a client can be made
    before the daemon is up; requests wait (up to the timeout) until it is.
    """

    def __init__(self, endpoint: str, timeout: float = 5.0, retries: int = 3, *,
                 context: Optional[zmq.Context] = None,
                 options: Optional[Mapping[str, Any]] = None,
                 server_key: Optional[Union[str, bytes]] = None,
                 secret_key: Optional[Union[str, bytes]] = None,
                 public_key: Optional[Union[str, bytes]] = None) -> None:
        _wire.check_timing(timeout, retries)
        self.endpoint = endpoint
        self.timeout = float(timeout)
        self.retries = int(retries)
        self._defaults = _wire.check_options(options or {})
        self._curve = _wire.curve_keys(server_key, secret_key, public_key)
        self._own_context = context is None
        self._context: zmq.Context = context if context is not None else zmq.Context()
        self._socket: Optional[zmq.Socket] = None
        self._corr = itertools.count(1)
        self._inflight: Dict[int, _Request] = {}
        self._closed = False
        self._max_message: Optional[int] = None     # the daemon's limit; 0 = unknown
        #: How many requests were sent again (after a timeout or an
        #: ``overloaded`` reply), for monitoring.
        self.retried = 0
        try:
            self._socket = self._new_socket()
        except zmq.ZMQError:
            if self._own_context:
                self._context.term()
            raise

    # ----------------------------------------------------------- lifecycle

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return "<ktag.Client %s %s timeout=%g retries=%d>" % (
            self.endpoint, state, self.timeout, self.retries)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Close the socket (dropping anything in flight) and, if the client
        made its own context, terminate it.  Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._inflight.clear()
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
        if self._own_context:
            self._context.term()

    # -------------------------------------------------------------- the API

    def tag(self, text: Union[str, bytes], id: Optional[DocumentId] = None,
            title: Optional[Union[str, bytes]] = None, **options: Any) -> Dict[str, Any]:
        """Tag one document and return the result object of SPEC.md.

        Args:
            text: the document (str; bytes are sent as they are and must be UTF-8).
            id: echoed as ``result["id"]``; without it the result has no ``id`` key.
            title: an optional title, tagged as the field ``"title"``.
            **options: ``sentiment`` (bool), ``types`` (list or comma-separated
                str of company/org/chip/funding), ``offsets`` (``"codepoint"``,
                the default, which makes ``text[start:end]`` the mention;
                ``"byte"``; ``"utf16"``), ``overlaps`` (bool), ``explain`` (bool),
                ``events`` (bool, default on; a ``types`` list turns events on
                only when it names ``"events"``).

        Returns:
            ``{"id"?, "ok": True, "entities": [...], "sentiment": {...}, "events": [...], "lexicon",
            "elapsed_us", ...}``; each event is a dict (SPEC.md "Events").

        Raises:
            TagError: the daemon refused the document (bad UTF-8, too large...).
            Timeout: no reply after ``retries + 1`` attempts.
            TypeError: an unknown option or a wrongly typed argument.
        """
        body = self._tag_body(text, id, title, self._merge(options))
        request = self._submit(body)
        self._wait(request)
        return self._finish(request, id, raise_errors=True)

    def tag_many(self, items: Iterable[Document], window: int = 64, *,
                 batch: int = DEFAULT_BATCH, batch_bytes: int = DEFAULT_BATCH_BYTES,
                 errors: str = "raise", **options: Any) -> Iterator[Dict[str, Any]]:
        """Tag many documents, pipelined, and yield their results in input order.

        Documents go in batches: one request carries up to ``batch`` documents,
        fewer when they reach ``batch_bytes`` (a longer document goes alone).
        Up to ``window`` requests are in flight at once on the one socket; the
        daemon's worker threads may answer them in any order, and each result
        is yielded as soon as it and every earlier one are in.  ``items`` is
        read lazily, ``window * batch`` documents ahead at most, so it can be
        an endless generator; a batch is sent once it is full, so a slow live
        stream wants ``batch=1``.

        A batch that gets no reply in time is sent again whole (Lazy
        Pirate); a reply comes back for each document exactly once.  A batch
        the daemon refuses as too large is sent again one document per
        request, so that only the document at fault fails.

        Args:
            items: texts, or mappings with ``text`` and optional ``id`` and ``title``.
            window: how many requests may be in flight at once.
            batch: documents per request (1: one request per document).
            batch_bytes: bytes of documents (text and title) at which a batch is cut.
            errors: ``"raise"`` (default) raises :class:`TagError` at the
                position of a refused document, ending the iteration;
                ``"return"`` yields its error object (``"ok": False``) in place
                and goes on.
            **options: as for :meth:`tag`, applied to every document.

        Raises:
            TagError: with ``errors="raise"``, for a refused document.
            Timeout: a document got no reply after ``retries + 1`` attempts.
        """
        _wire.check_batching(window, batch, batch_bytes, errors)
        merged = self._merge(options)
        return self._tag_many(iter(items), int(window), int(batch), int(batch_bytes),
                              errors == "raise", merged)

    def ping(self) -> float:
        """Check that a daemon answers; return the round trip in seconds.

        Raises:
            Timeout: no daemon answered.
        """
        start = time.monotonic()
        self._admin("ping")
        return time.monotonic() - start

    def info(self) -> Dict[str, Any]:
        """Return the daemon's description: ``version``, ``protocol``,
        ``mode``, ``threads``, ``max_message_size`` and ``lexicon`` (its
        version, directory and entity counts)."""
        reply = self._admin("info")
        return {k: v for k, v in reply.items() if k not in ("id", "ok")}

    def stats(self) -> Dict[str, Any]:
        """Return the daemon's counters: ``requests``, ``documents``,
        ``errors`` by code, ``latency_us`` percentiles, ``docs_per_sec``...
        (docs/OPERATIONS.md lists them)."""
        reply = self._admin("stats")
        stats = reply.get("stats")
        return stats if isinstance(stats, dict) else {}

    # ----------------------------------------------------------- internals

    def _merge(self, options: Mapping[str, Any]) -> Dict[str, Any]:
        return _wire.merge_options(self._defaults, options)

    _tag_body = staticmethod(_wire.tag_body)

    def _admin(self, op: str) -> Dict[str, Any]:
        request = self._submit({"op": op})
        self._wait(request)
        return self._finish(request, None, raise_errors=True)

    def _tag_many(self, items: Iterator[Document], window: int, batch: int, batch_bytes: int,
                  raise_errors: bool, options: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        # Requests in input order: each with the caller's ids of its
        # documents, and whether it is a batch (its reply has `results`).
        queue: Deque[Tuple[_Request, List[Optional[DocumentId]], bool]] = deque()
        exhausted = False
        if batch > 1:
            batch_bytes = _wire.batch_cap(batch_bytes, self._message_limit())
        try:
            while True:
                while not exhausted and len(queue) < window:
                    docs, exhausted = self._read_batch(items, batch, batch_bytes)
                    if docs:
                        queue.append(self._submit_docs(docs, options))
                if not queue:
                    return
                head, ids, is_batch = queue[0]
                self._wait(head)
                queue.popleft()
                if is_batch and self._split(head):
                    # Too large as a whole (or a daemon without batches): the
                    # same documents again, one request each, at the front.
                    assert head.docs is not None
                    singles = [self._submit_docs([doc], options)
                               for doc in zip(head.docs, ids)]
                    queue.extendleft(reversed(singles))
                    continue
                for doc_id, reply in zip(ids, self._replies(head, len(ids), is_batch)):
                    yield _wire.finish(reply, doc_id, raise_errors)
        finally:
            # Abandoned (break, an exception, close()): forget what is still
            # in flight; its replies will be dropped as unknown when they come.
            for request, _, _ in queue:
                self._inflight.pop(request.corr, None)

    def _message_limit(self) -> int:
        """The daemon's max_message_size (asked once, with `info`), 0 when it
        does not say."""
        if self._max_message is None:
            try:
                size = self.info().get("max_message_size")
            except TagError:
                size = None
            self._max_message = size if type(size) is int and size > 0 else 0
        return self._max_message

    @staticmethod
    def _read_batch(items: Iterator[Document], batch: int, batch_bytes: int
                    ) -> Tuple[List[Tuple[Dict[str, Any], Optional[DocumentId]]], bool]:
        """Up to `batch` documents from `items`, as (wire entry without id,
        caller's id), cut once they take `batch_bytes` (the first one always
        goes); and whether `items` came to its end."""
        docs: List[Tuple[Dict[str, Any], Optional[DocumentId]]] = []
        size = 0
        while len(docs) < batch and size < batch_bytes:
            try:
                item = next(items)
            except StopIteration:
                return docs, True
            entry, doc_id, n = _wire.batch_entry(item)
            docs.append((entry, doc_id))
            size += n
        return docs, False

    def _submit_docs(self, docs: List[Tuple[Dict[str, Any], Optional[DocumentId]]],
                     options: Dict[str, Any]
                     ) -> Tuple[_Request, List[Optional[DocumentId]], bool]:
        """One request for `docs`: a batch, or a single-document request for
        one document.  The caller's ids stay here (entries are matched by
        position), so the wire carries none."""
        ids = [doc_id for _, doc_id in docs]
        entries = [entry for entry, _ in docs]
        request = self._submit(_wire.documents_body(entries, options))
        if len(docs) == 1:
            return request, ids, False
        request.docs = entries
        return request, ids, True

    @staticmethod
    def _split(request: _Request) -> bool:
        """Whether a batch must go again one document per request: the daemon
        refused it whole as too large, or does not know batches (it asked
        for text: a ktagd older than protocol batches)."""
        return request.reply is not None and _wire.must_split(request.reply)

    def _replies(self, request: _Request, count: int, is_batch: bool) -> List[Dict[str, Any]]:
        """The reply of each document of `request`, in order: the entries of a
        batch reply, or the one reply; a batch refused whole gives its error
        to each of its documents."""
        if request.error is not None:
            raise request.error
        reply = request.reply
        assert reply is not None
        if not is_batch:
            return [reply]
        return _wire.batch_replies(reply, count, self.endpoint)

    def _submit(self, body: Dict[str, Any]) -> _Request:
        if self._closed:
            raise KtagError("the client is closed")
        corr = next(self._corr)
        request = _Request(corr, _wire.pack_request(corr, body))
        request.attempts = 1
        self._inflight[corr] = request
        self._send(request)
        return request

    def _send(self, request: _Request) -> None:
        assert self._socket is not None
        request.resend_at = 0.0
        request.deadline = time.monotonic() + self.timeout
        # The empty delimiter frame makes the DEALER look like REQ to the
        # ROUTER front; the high-water mark is off, so this never blocks.
        self._socket.send_multipart([b"", request.payload])

    def _new_socket(self) -> zmq.Socket:
        sock = self._context.socket(zmq.DEALER)
        _wire.setup_socket(sock, self.endpoint, self._curve)
        return sock

    def _rebuild(self) -> None:
        """Lazy Pirate: a fresh socket, then everything in flight again."""
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
        self._socket = self._new_socket()
        for request in list(self._inflight.values()):
            self._send(request)

    def _wait(self, request: _Request) -> None:
        try:
            while not request.done:
                if self._closed:
                    raise KtagError("the client is closed")
                self._pump()
        finally:
            # Interrupted (KeyboardInterrupt...): stop retrying it for nobody.
            if not request.done:
                self._inflight.pop(request.corr, None)

    def _pump(self) -> None:
        """Wait for replies until the earliest deadline, take every reply
        that is there, then deal with the requests whose deadline passed."""
        assert self._socket is not None
        if self._inflight:
            wake = min(r.resend_at or r.deadline for r in self._inflight.values())
            wait = wake - time.monotonic()
        else:
            wait = 0.0
        millis = max(0, int(math.ceil(wait * 1000)))
        if self._socket.poll(millis, zmq.POLLIN):
            while True:
                try:
                    frames = self._socket.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                self._accept(frames)
        self._resend_due()
        self._expire()

    def _accept(self, frames: List[bytes]) -> None:
        reply = _wire.read_reply(frames)
        if reply is None:
            return
        request = _wire.take_request(self._inflight, reply)
        if request is None:
            return      # a late reply to an abandoned request
        if _wire.is_overloaded(reply) and request.attempts <= self.retries:
            # The daemon's queue is full (--max-pending): back off and send it
            # again, as for a timeout but without waiting one out.
            request.resend_at = (time.monotonic()
                                 + _wire.overload_backoff(request.attempts, self.timeout))
            request.attempts += 1
            self.retried += 1
            self._inflight[request.corr] = request
            return
        request.reply = reply

    def _resend_due(self) -> None:
        now = time.monotonic()
        for request in self._inflight.values():
            if request.resend_at and request.resend_at <= now:
                self._send(request)

    def _expire(self) -> None:
        if not self._inflight:
            return
        now = time.monotonic()
        expired = [r for r in self._inflight.values()
                   if not r.resend_at and r.deadline <= now]
        if not expired:
            return
        for request in expired:
            if request.attempts > self.retries:
                del self._inflight[request.corr]
                request.error = Timeout(self.endpoint, request.attempts, self.timeout)
            else:
                request.attempts += 1
                self.retried += 1
        # The others in flight go again too (the old socket takes their
        # replies with it) but are not charged a try: they did not time out.
        self._rebuild()

    def _finish(self, request: _Request, id: Optional[DocumentId],
                raise_errors: bool) -> Dict[str, Any]:
        if request.error is not None:
            raise request.error
        assert request.reply is not None
        return _wire.finish(request.reply, id, raise_errors)
