"""The ktag client for asyncio: :class:`AsyncClient`, the methods of
:class:`ktag.Client` as coroutines, on pyzmq's ``zmq.asyncio`` sockets.

    from ktag.asyncio import AsyncClient

    async with AsyncClient("tcp://127.0.0.1:5555", timeout=5.0) as c:
        r = await c.tag("SK하이닉스 주가가 9% 하락했다", id="a1")
        async for r in c.tag_many(docs, window=64):     # pipelined, input order
            ...

It behaves as the blocking client does (same timeouts, Lazy Pirate retries,
``overloaded`` backoff, errors, CURVE options), and one client may be
awaited from many tasks at once: every request carries the client's own
correlation id, one task of the client reads the socket and hands each reply
to the request it answers, whatever order they arrive in.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from typing import (Any, AsyncIterable, AsyncIterator, Deque, Dict, Iterable, Iterator, List,
                    Mapping, Optional, Tuple, Union)

import zmq
import zmq.asyncio

from . import _wire
from ._wire import Document, DocumentId
from .errors import KtagError, TagError, Timeout

__all__ = ["AsyncClient"]


class _Request:
    """One request in flight: its bytes, its tries, and the future its caller awaits."""

    __slots__ = ("corr", "payload", "attempts", "deadline", "resend_at", "future")

    def __init__(self, corr: int, payload: bytes, future: "asyncio.Future[Dict[str, Any]]"):
        self.corr = corr
        self.payload = payload
        self.attempts = 1
        self.deadline = 0.0     # when the reply to the last send is late
        self.resend_at = 0.0    # > 0: refused as overloaded, send again then
        self.future = future


class AsyncClient:
    """A connection to a ktagd front (``ktagd --bind``) or a broker's front,
    for asyncio.  The arguments are those of :class:`ktag.Client`:

    Args:
        endpoint: a ZeroMQ endpoint, e.g. ``"tcp://127.0.0.1:5555"``.
        timeout: seconds to wait for the reply to each request (each attempt).
        retries: how many times a request is sent again after a timeout (on a
            rebuilt socket) or an ``overloaded`` reply (after a short backoff)
            before :class:`ktag.Timeout` (or the ``overloaded``
            :class:`ktag.TagError`) is raised; 0 means one attempt.
        context: a ``zmq.asyncio.Context`` (a plain ``zmq.Context`` is
            shadowed); by default the client makes its own and terminates it
            on :meth:`close`.
        options: default tagging options for every request of this client.
        server_key, secret_key, public_key: CURVE, as for :class:`ktag.Client`.

    Use it as an async context manager, or call :meth:`close`.  The client
    belongs to the event loop that first uses it.  Any number of tasks of
    that loop may await its methods at the same time.
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
        if context is None:
            self._context = zmq.asyncio.Context()
        elif isinstance(context, zmq.asyncio.Context):
            self._context = context
        else:
            self._context = zmq.asyncio.Context.shadow(context.underlying)
        self._socket: Optional[zmq.asyncio.Socket] = None
        self._corr = itertools.count(1)
        self._inflight: Dict[int, _Request] = {}
        self._reader: Optional["asyncio.Task[None]"] = None
        self._poll: Optional["asyncio.Future[int]"] = None
        self._wake_at = math.inf
        self._max_message: Optional[int] = None     # the daemon's limit; 0 = unknown
        self._closed = False
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

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return "<ktag.asyncio.AsyncClient %s %s timeout=%g retries=%d>" % (
            self.endpoint, state, self.timeout, self.retries)

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Close the socket and, if the client made its own context, terminate
        it.  Requests still awaited fail with :class:`ktag.KtagError`.
        Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            self._reader = None
        for request in self._inflight.values():
            if not request.future.done():
                request.future.set_exception(KtagError("the client is closed"))
        self._inflight.clear()
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
        if self._own_context:
            self._context.term()

    # -------------------------------------------------------------- the API

    async def tag(self, text: Union[str, bytes], id: Optional[DocumentId] = None,
                  title: Optional[Union[str, bytes]] = None, **options: Any) -> Dict[str, Any]:
        """Tag one document; as :meth:`ktag.Client.tag`.

        Raises:
            TagError: the daemon refused the document.
            Timeout: no reply after ``retries + 1`` attempts.
            TypeError: an unknown option or a wrongly typed argument.
        """
        body = _wire.tag_body(text, id, title, _wire.merge_options(self._defaults, options))
        reply = await self._result(self._submit(body))
        return _wire.finish(reply, id, raise_errors=True)

    def tag_many(self, items: Union[Iterable[Document], AsyncIterable[Document]],
                 window: int = 64, *, batch: int = _wire.DEFAULT_BATCH,
                 batch_bytes: int = _wire.DEFAULT_BATCH_BYTES, errors: str = "raise",
                 **options: Any) -> AsyncIterator[Dict[str, Any]]:
        """Tag many documents, pipelined, in batches; an async iterator of
        their results in input order (``async for r in c.tag_many(docs)``).

        As :meth:`ktag.Client.tag_many`: one request carries up to ``batch``
        documents, fewer once they take ``batch_bytes``; up to ``window``
        requests are in flight; a batch without a reply in time is sent
        again whole, and one the daemon refuses as too large (or a daemon
        without batches) is sent again one document per request;
        ``errors="raise"`` or ``"return"``.  ``items`` may be an iterable or
        an async iterable, read lazily (``window * batch`` documents ahead at
        most; a batch is sent once full, so a slow live stream wants
        ``batch=1``).  Leaving the loop early forgets what is in flight.
        """
        _wire.check_batching(window, batch, batch_bytes, errors)
        merged = _wire.merge_options(self._defaults, options)
        if isinstance(items, AsyncIterable):
            source: Union[AsyncIterator[Document], Iterator[Document]] = items.__aiter__()
        else:
            source = iter(items)
        return self._tag_many(source, int(window), int(batch), int(batch_bytes),
                              errors == "raise", merged)

    async def ping(self) -> float:
        """Check that a daemon answers; return the round trip in seconds."""
        start = time.monotonic()
        await self._admin("ping")
        return time.monotonic() - start

    async def info(self) -> Dict[str, Any]:
        """The daemon's description, as :meth:`ktag.Client.info`."""
        reply = await self._admin("info")
        return {k: v for k, v in reply.items() if k not in ("id", "ok")}

    async def stats(self) -> Dict[str, Any]:
        """The daemon's counters, as :meth:`ktag.Client.stats`."""
        stats = (await self._admin("stats")).get("stats")
        return stats if isinstance(stats, dict) else {}

    # ----------------------------------------------------------- internals

    async def _admin(self, op: str) -> Dict[str, Any]:
        reply = await self._result(self._submit({"op": op}))
        return _wire.finish(reply, None, raise_errors=True)

    async def _tag_many(self, items: Any, window: int, batch: int, batch_bytes: int,
                        raise_errors: bool, options: Dict[str, Any]
                        ) -> AsyncIterator[Dict[str, Any]]:
        # Requests in input order, each with its wire entries and the
        # caller's ids of its documents.
        queue: Deque[Tuple[_Request, List[Dict[str, Any]], List[Optional[DocumentId]]]] = deque()
        exhausted = False
        if batch > 1:
            batch_bytes = _wire.batch_cap(batch_bytes, await self._message_limit())
        try:
            while True:
                while not exhausted and len(queue) < window:
                    entries, ids, exhausted = await self._read_batch(items, batch, batch_bytes)
                    if entries:
                        queue.append((self._submit(_wire.documents_body(entries, options)),
                                      entries, ids))
                if not queue:
                    return
                head, entries, ids = queue[0]
                reply = await self._result(head)
                queue.popleft()
                if len(entries) == 1:
                    yield _wire.finish(reply, ids[0], raise_errors)
                    continue
                if _wire.must_split(reply):
                    # Too large as a whole (or a daemon without batches): the
                    # same documents again, one request each, at the front.
                    singles = [(self._submit(_wire.documents_body([e], options)), [e], [i])
                               for e, i in zip(entries, ids)]
                    queue.extendleft(reversed(singles))
                    continue
                for doc_id, r in zip(ids, _wire.batch_replies(reply, len(ids), self.endpoint)):
                    yield _wire.finish(r, doc_id, raise_errors)
        finally:
            for request, _, _ in queue:
                self._forget(request)

    @staticmethod
    async def _read_batch(items: Any, batch: int, batch_bytes: int
                          ) -> Tuple[List[Dict[str, Any]], List[Optional[DocumentId]], bool]:
        """Up to `batch` documents from `items` (an iterator or an async
        iterator), cut once they take `batch_bytes` (the first one always
        goes): their entries, their ids, and whether `items` ended."""
        entries: List[Dict[str, Any]] = []
        ids: List[Optional[DocumentId]] = []
        size = 0
        is_async = isinstance(items, AsyncIterator)
        while len(entries) < batch and size < batch_bytes:
            try:
                item = await items.__anext__() if is_async else next(items)
            except (StopIteration, StopAsyncIteration):
                return entries, ids, True
            entry, doc_id, n = _wire.batch_entry(item)
            entries.append(entry)
            ids.append(doc_id)
            size += n
        return entries, ids, False

    async def _message_limit(self) -> int:
        """The daemon's max_message_size (asked once, with `info`), 0 when
        it does not say."""
        if self._max_message is None:
            try:
                size = (await self.info()).get("max_message_size")
            except TagError:
                size = None
            self._max_message = size if type(size) is int and size > 0 else 0
        return self._max_message

    def _submit(self, body: Dict[str, Any]) -> _Request:
        if self._closed:
            raise KtagError("the client is closed")
        corr = next(self._corr)
        loop = asyncio.get_running_loop()
        request = _Request(corr, _wire.pack_request(corr, body), loop.create_future())
        self._inflight[corr] = request
        self._send(request)
        if self._reader is None or self._reader.done():
            self._reader = loop.create_task(self._read())
        elif request.deadline < self._wake_at and self._poll is not None:
            self._poll.cancel()     # the reader sleeps past this deadline: wake it
        return request

    async def _result(self, request: _Request) -> Dict[str, Any]:
        try:
            return await request.future
        finally:
            # Cancelled by the caller: stop retrying it for nobody.
            if not request.future.done() or request.future.cancelled():
                self._forget(request)

    def _forget(self, request: _Request) -> None:
        self._inflight.pop(request.corr, None)
        if not request.future.done():
            request.future.cancel()
        elif not request.future.cancelled():
            request.future.exception()      # nobody will: asyncio would log it

    def _send(self, request: _Request) -> None:
        assert self._socket is not None
        request.resend_at = 0.0
        request.deadline = time.monotonic() + self.timeout
        # The high-water mark is off, so this never waits: pyzmq sends at
        # once and returns a finished future (result() raises what failed).
        self._socket.send_multipart([b"", request.payload], flags=zmq.DONTWAIT).result()

    def _new_socket(self) -> zmq.asyncio.Socket:
        sock = self._context.socket(zmq.DEALER)
        _wire.setup_socket(sock, self.endpoint, self._curve)
        return sock

    def _rebuild(self) -> None:
        """Lazy Pirate: a fresh socket, then everything in flight again."""
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None
        self._socket = self._new_socket()
        for request in self._inflight.values():
            self._send(request)

    async def _read(self) -> None:
        """The one reader: while requests are in flight, wait for replies
        until the earliest deadline, hand each reply to its request, then
        deal with the requests whose deadline passed.  Ends when nothing is
        in flight (the next request starts it again)."""
        try:
            while self._inflight and self._socket is not None:
                if not await self._drain():
                    # More replies wait: let the callers' tasks run, then
                    # take them before judging any deadline.
                    await asyncio.sleep(0)
                    continue
                self._resend_due()
                self._expire()
                if not self._inflight:
                    break
                now = time.monotonic()
                self._wake_at = min(r.resend_at or r.deadline for r in self._inflight.values())
                millis = max(0, int(math.ceil((self._wake_at - now) * 1000)))
                self._poll = poll = self._socket.poll(millis, zmq.POLLIN)
                await asyncio.wait((poll,))
                self._poll = None
        except asyncio.CancelledError:
            raise
        except Exception as e:      # the socket failed: nobody may wait forever
            for request in self._inflight.values():
                if not request.future.done():
                    request.future.set_exception(e)
            self._inflight.clear()
        finally:
            self._wake_at = math.inf

    async def _drain(self) -> bool:
        """Take the replies waiting, at most 256 (the callers' tasks run
        between rounds); True when none is left."""
        assert self._socket is not None
        for _ in range(256):
            try:
                # DONTWAIT: pyzmq answers at once, the future is already done.
                frames = await self._socket.recv_multipart(flags=zmq.DONTWAIT)
            except zmq.Again:
                return True
            self._accept(frames)
        return False

    def _accept(self, frames: List[bytes]) -> None:
        reply = _wire.read_reply(frames)
        if reply is None:
            return
        request = _wire.take_request(self._inflight, reply)
        if request is None or request.future.done():
            return      # a late reply to an abandoned request
        if _wire.is_overloaded(reply) and request.attempts <= self.retries:
            request.resend_at = (time.monotonic()
                                 + _wire.overload_backoff(request.attempts, self.timeout))
            request.attempts += 1
            self.retried += 1
            self._inflight[request.corr] = request
            return
        request.future.set_result(reply)

    def _resend_due(self) -> None:
        now = time.monotonic()
        for request in self._inflight.values():
            if request.resend_at and request.resend_at <= now:
                self._send(request)

    def _expire(self) -> None:
        now = time.monotonic()
        expired = [r for r in self._inflight.values() if not r.resend_at and r.deadline <= now]
        if not expired:
            return
        for request in expired:
            if request.attempts > self.retries:
                del self._inflight[request.corr]
                if not request.future.done():
                    request.future.set_exception(
                        Timeout(self.endpoint, request.attempts, self.timeout))
            else:
                request.attempts += 1
                self.retried += 1
        # The others in flight go again too (the old socket takes their
        # replies with it) but are not charged a try: they did not time out.
        self._rebuild()
