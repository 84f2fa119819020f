"""Several server URLs (the nodes of a cluster) behind one client, tried in turn.

A call that gets no answer from one server (refused, reset, closed before an answer,
timed out, unknown host: LockNoAnswer), fault 11 NO_LEADER or fault 7 SHUTTING_DOWN
goes to the next URL, starting from the one that last answered; when every URL failed in one round, the call
fails with the last one's error. Any other fault is an answer and goes nowhere else.
So one round takes at most one call timeout per URL. As the Java client's Failover.
"""

from __future__ import annotations

import secrets
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from .faults import Fault, LockFault, LockNoAnswer
from .options import KEY
from .transport import Transport, log, redact_url


def split_urls(urls: Union[str, Sequence[str]]) -> List[str]:
    """The list of URLs in ``urls``: a list, or one string of comma-separated URLs (a comma
    in a user name or password is written %2C). ValueError if there is none or one is empty."""
    items = [u.strip() for u in (urls.split(",") if isinstance(urls, str) else urls)]
    if not items or not all(items):
        raise ValueError("bad lockserver URL list %r: give URLs separated by commas, none empty"
                         % ",".join(redact_url(u) for u in items))
    return items


def another_may_answer(error: BaseException) -> bool:
    """True for a LockError that another node may not give: no answer, NO_LEADER, or
    SHUTTING_DOWN (that node is on its way down)."""
    return isinstance(error, LockNoAnswer) or (isinstance(error, LockFault)
                                               and error.code in (Fault.NO_LEADER, Fault.SHUTTING_DOWN))


class Endpoints:
    """The servers at ``urls`` (see split_urls); the other arguments are Transport's, for each.

    Thread-safe. Attributes: ``transports`` (one Transport per URL, in order), ``safe_url``
    (the URLs for messages, comma-separated: no password), ``username``, ``ssl_context``.
    """

    def __init__(self, urls: Union[str, Sequence[str]], **transport_args: Any) -> None:
        self.transports = [Transport(url, **transport_args) for url in split_urls(urls)]
        self.safe_url = ",".join(t.safe_url for t in self.transports)
        self.username = self.transports[0].username
        self.ssl_context = self.transports[0].ssl_context
        self.log = self.transports[0].log
        self._current = 0           # the one that last answered

    def close(self) -> None:
        for transport in self.transports:
            transport.close()

    def call(self, method: str, args: Sequence[Any], timeout: float) -> Any:
        """One XML-RPC call (see Transport.call), on the next server while none answers."""
        return self.call_each(method, lambda: (args, timeout))

    def call_each(self, method: str, attempt: Callable[[], Tuple[Sequence[Any], float]]) -> Any:
        """As ``call``, with ``attempt()`` giving (args, timeout) afresh for each server tried
        (a wait asks for the time left)."""
        start, count = self._current, len(self.transports)
        for i in range(count):
            index = (start + i) % count
            args, timeout = attempt()
            try:
                result = self.transports[index].call(method, args, timeout)
            except LockFault as e:
                if not another_may_answer(e) or i == count - 1:
                    raise
                self._next(e, index)
            except LockNoAnswer as e:
                if i == count - 1:
                    raise
                self._next(e, index)
            else:
                self._current = index
                return result

    def _next(self, error, index):
        self.log.info("%s; trying %s", error, self.transports[(index + 1) % len(self.transports)].safe_url)

    def new_ticket_args(self, args: Sequence[Any], options: Optional[Dict[str, Any]] = None) -> Tuple[Any, ...]:
        """``args`` of lock.query or lock.acquire for one new ticket, with the options struct
        when there is something to put in it: ``options`` (a dict, see options.py), and with
        several servers a fresh random key, sent again on every retry of that call, so that a
        retry after an answer lost with a node leaves no second ticket. No key with one server:
        it never retries; no struct for a plain call to one server, as servers older than the
        struct refuse a call carrying it."""
        struct = dict(options or {})
        if len(self.transports) > 1:
            struct[KEY] = secrets.token_hex(16)
        return tuple(args) + ((struct,) if struct else ())
