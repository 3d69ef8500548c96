"""Exceptions raised by the ktag client."""

from __future__ import annotations

from typing import Any, Dict, Optional, Union

__all__ = ["KtagError", "TagError", "Timeout"]


class KtagError(Exception):
    """Base class of every error this package raises on purpose."""


class TagError(KtagError):
    """The daemon answered with an error object (``"ok": false``).

    Attributes:
        code: the wire error code: ``bad_request``, ``bad_utf8``, ``too_large``,
            ``unsupported``, ``overloaded`` or ``internal``.
        message: the daemon's explanation (it names the key or byte offset at fault).
        id: the caller's id of the document, or None when it had none.
        reply: the whole error object, with the caller's id restored.
    """

    def __init__(self, code: str, message: str, id: Optional[Union[str, int]] = None,
                 reply: Optional[Dict[str, Any]] = None) -> None:
        self.code = code
        self.message = message
        self.id = id
        self.reply: Dict[str, Any] = reply if reply is not None else {}
        where = "" if id is None else " (document %r)" % (id,)
        super().__init__("%s: %s%s" % (code, message, where))


class Timeout(KtagError, TimeoutError):
    """No reply came within ``timeout`` seconds, on the first try or on any retry.

    Attributes:
        endpoint: the endpoint the client talks to.
        attempts: how many times the request was sent.
        timeout: the per-attempt wait, in seconds.
    """

    def __init__(self, endpoint: str, attempts: int, timeout: float) -> None:
        self.endpoint = endpoint
        self.attempts = attempts
        self.timeout = timeout
        super().__init__("no reply from %s after %d attempt%s of %gs each"
                         % (endpoint, attempts, "" if attempts == 1 else "s", timeout))
