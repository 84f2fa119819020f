"""The Lock API: one client of one named lock, holding at most one ticket at a time."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import re
import socket
import ssl
import threading
import time
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Union

from .faults import LockError, LockGone, LockTimeout
from .failover import Endpoints
from .options import ticket_options
from .transport import DEFAULT_HTTP_TIMEOUT, fmt_seconds, log

DEFAULT_LOCK = "DefaultLock"
#: longest wait asked in one lock.wait call (the server caps it at its MAX_WAIT_TIME, 30 s by default)
WAIT_CHUNK = 30.0
#: the server refuses a longer info (docs/API.md)
MAX_INFO_CHARS = 1024

_NOT_XML_CHAR = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_info(info: object) -> str:
    """``info`` made safe to send: XML-clean and at most MAX_INFO_CHARS (UTF-16) characters."""
    text = _NOT_XML_CHAR.sub("?", str(info))
    if len(text.encode("utf-16-le")) // 2 > MAX_INFO_CHARS:
        cut = MAX_INFO_CHARS - 3
        while len(text[:cut].encode("utf-16-le")) // 2 > MAX_INFO_CHARS - 3:
            cut -= 1
        text = text[:cut] + "..."
    return text


def wire_seconds(value: float) -> Union[int, float]:
    """A wait in seconds as sent on the wire: an int when whole, else a double."""
    value = max(0.0, float(value))
    if value == int(value):
        return int(value)
    return round(value, 3)


def _ask(deadline: Optional[float]) -> float:
    """How long one lock.wait asks to block: WAIT_CHUNK at most, and not past ``deadline``
    (a time.monotonic() value; None: none)."""
    return WAIT_CHUNK if deadline is None else max(0.0, min(deadline - time.monotonic(), WAIT_CHUNK))


def default_info(what: str = "lockcli") -> str:
    return "%s on %s (pid %d)" % (what, socket.gethostname(), os.getpid())


class Revocation(collections.namedtuple("Revocation", "reason seconds deadline")):
    """An admin's request that the holder let go of its slot (admin.revoke), as lock.check
    reported it: ``reason`` (text), ``seconds`` (until the server force-releases the ticket,
    as answered) and ``deadline`` (that moment, a time.monotonic() value)."""

    __slots__ = ()


class Lock:
    """One client of one named lock, holding at most one ticket at a time.

    ``url``: the server's XML-RPC URL, e.g. ``http://host:9090/RPC2`` or
    ``https://host:9090/RPC2``; user and password may be given in it
    (``http://user:pw@host:9090/RPC2``, percent-encoded, sent as HTTP Basic auth).
    For the nodes of a cluster, several URLs: a list, or one string of URLs
    separated by commas. A call that gets no answer from one (or fault 11
    NO_LEADER) goes to the next, starting with the one that last answered; a
    wait goes on there with the same ticket (see failover.py).
    ``username``, ``password``: HTTP Basic credentials without putting the
    secret in the URL; they win over user info in the URL (``password`` alone
    goes with the URL's user). ``cafile``: PEM file of the CA certificate(s) to
    trust for an https URL (default: the system's CAs); the certificate and the
    host name are always verified. ``ssl_context``: an ``ssl.SSLContext`` to
    use instead of ``cafile``. Passwords never appear in messages or logs.
    ``lockname``: the lock's name. ``http_timeout``: socket timeout in seconds of
    each call (default DEFAULT_HTTP_TIMEOUT); a ``lock.wait`` call gets the wait
    it asks for plus this. ``heartbeat``: when set, a daemon thread calls
    ``lock.check`` (a sign of life, as ``lock.renew``, that also tells of a
    revocation) every ``heartbeat`` seconds while the slot is held.
    ``logger``: a ``logging.Logger`` (default: the ``lockcli`` logger).
    ``on_lost``: called as ``on_lost(lock)`` from the heartbeat thread when the
    server says the held ticket is gone (expired, force-released, or the deadline
    of a revocation passed). ``on_revoke``: called once per ticket as
    ``on_revoke(lock)`` when lock.check first shows an admin's revocation
    (admin.revoke: let go, the server force-releases the ticket at the deadline);
    from the heartbeat thread, or from the thread calling ``check``. A callback
    should be quick (it holds up the heartbeat); its exceptions are logged.

    Refusals come back as LockFault: code FAULT_UNAUTHENTICATED (10, message
    starting "authentication failed:") for missing or wrong credentials,
    FAULT_NOT_ALLOWED (6, "not allowed:") for a lock or call the user may not
    use. A server certificate that cannot be verified is a LockUnreachable whose
    message starts "certificate verify failed".

    Attributes: ``ticket`` (str or None), ``token`` (the fencing token of the
    grant, a decimal string, or None), ``state`` (``queued``, ``granted``,
    ``gone`` or None), ``position`` (in the queue, from the last check),
    ``lost`` (the heartbeat found the ticket gone), ``revoked`` (a Revocation
    once lock.check showed one for the ticket, else None), ``renewals``
    (successful heartbeat renewals), ``last_error`` (the last LockError, or None),
    ``username`` (the user sent, or None), ``safe_url`` (the URL for messages:
    no password).

    Connections: a Lock keeps its HTTP/1.1 connection to the server open between
    calls and sends the next call on it (keep-alive), so that a query, wait,
    check and release cost one TCP (and TLS) handshake, not four. A connection
    idle for more than MAX_IDLE seconds, or that the server has closed (its idle
    timeout, a restart), is replaced by a new one without the caller noticing;
    a call is sent a second time only when that cannot run it twice (see
    ``Transport._rpc``). ``close()`` closes the idle connection early; it is also closed
    when the Lock is garbage collected. The timeout of each call is as before.

    Threads: one Lock is meant for one thread (plus its own heartbeat thread):
    its ticket state (``ticket``, ``state``...) is not guarded. The connections
    are: calls made at the same time from several threads (the heartbeat's
    ``lock.check`` while the caller's thread renews, say) each get a connection
    of their own, never a shared one, and at most two idle ones are kept.
    """

    def __init__(self, url: Union[str, Sequence[str]], lockname: str, http_timeout: Optional[float] = None,
                 heartbeat: Optional[float] = None, logger: Optional[logging.Logger] = None,
                 on_lost: Optional[Callable[[Lock], object]] = None, ssl_context: Optional[ssl.SSLContext] = None,
                 username: Optional[str] = None, password: Optional[str] = None, cafile: Optional[str] = None,
                 on_revoke: Optional[Callable[[Lock], object]] = None) -> None:
        self._servers = Endpoints(url, username=username, password=password, cafile=cafile,
                                  ssl_context=ssl_context, logger=logger)
        if heartbeat is not None and not heartbeat >= 0:
            raise ValueError("heartbeat must be >= 0 seconds (0: none), got %r" % (heartbeat,))
        self.url = url
        self.safe_url = self._servers.safe_url
        self.username = self._servers.username
        self.cafile = cafile
        self.ssl_context = self._servers.ssl_context
        self.lockname = lockname
        self.http_timeout = DEFAULT_HTTP_TIMEOUT if http_timeout is None else float(http_timeout)
        self.heartbeat = heartbeat or None
        self.log = logger if logger is not None else log
        self.on_lost = on_lost
        self.on_revoke = on_revoke
        self.revoked: Optional[Revocation] = None
        self._revoked_mutex = threading.Lock()      # makes the revocation notice happen once
        self.ticket: Optional[str] = None
        self.token: Optional[str] = None
        self.state: Optional[str] = None
        self.position = 0
        self.lost = False
        self.renewals = 0
        self.last_error: Optional[LockError] = None
        self._hb_thread = None
        self._hb_stop = None

    def __repr__(self) -> str:
        return "<lockcli.Lock %r at %s ticket=%s state=%s>" % (
            self.lockname, self.safe_url, self.ticket, self.state)

    def close(self) -> None:
        """Close the kept-alive connection(s) to the server; a later call opens a new one.

        Does not release the ticket or stop the heartbeat.
        """
        self._servers.close()

    @property
    def held(self) -> bool:
        """True while this object holds a granted slot (as last seen)."""
        return self.ticket is not None and self.state == "granted"

    # -- wire ---------------------------------------------------------------

    def _call(self, method, *args, timeout=None):
        """One XML-RPC call on a kept-alive connection; raises LockError (or a subclass)."""
        return self._servers.call(method, args, self.http_timeout if timeout is None else timeout)

    def _expect(self, method, value, kind):
        if not isinstance(value, kind):
            raise LockError("bad answer from lockserver at %s to %s: %r" % (
                self.safe_url, method, value))
        return value

    # -- raising primitives (used by the lock_* methods, acquired() and lockrun) --

    def query(self, info: Optional[str] = None, permits: Optional[int] = None, exclusive: Optional[bool] = None,
              priority: Optional[int] = None) -> str:
        """Queue a ticket (releasing a live one this object still has); raises LockError.

        ``permits``: slots to take (default 1); ``exclusive=True``: every slot of the lock;
        ``priority``: 0 to 9 (default 0), higher is granted first. Each is sent only when
        given (servers before them refuse the options); ValueError for a bad value.
        """
        options = ticket_options(permits, exclusive, priority)
        if self.ticket is not None and self.state != "gone":
            self.log.info("lock %s: releasing ticket %s before querying a new one",
                          self.lockname, self.ticket)
            self.lock_release()
        self._forget()
        info = clean_info(default_info() if info is None else info)
        args = self._servers.new_ticket_args((self.lockname, info), options)  # the same key on every retry
        ticket = self._expect("lock.query", self._servers.call("lock.query", args, self.http_timeout), str)
        self.ticket = ticket
        self.state = "queued"
        self.last_error = None
        self.log.debug("lock %s: queued ticket %s", self.lockname, ticket)
        return ticket

    def check(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """``lock.check`` of the ticket (claims a fresh grant); raises LockError."""
        if self.ticket is None:
            raise LockError("lock %s: no ticket (call lock_query first)" % self.lockname)
        st = self._expect("lock.check", self._call("lock.check", self.ticket, timeout=timeout), dict)
        state = st.get("state")
        if state == "granted":
            was_held = self.held
            self.state = "granted"
            self.token = st.get("token") or None
            self.position = 0
            if not was_held:
                self.log.debug("lock %s: granted ticket %s (token %s)",
                               self.lockname, self.ticket, self.token)
        elif state == "queued":
            self.state = "queued"
            self.position = st.get("position", 0)
        elif state == "gone":
            self._set_gone()
        if state in ("granted", "queued"):
            self._note_revocation(self.ticket, st)
        return st

    def wait(self, timeout: Optional[float] = None, heartbeat: Optional[float] = None) -> bool:
        """Wait for the grant; True when granted.

        Raises LockTimeout when ``timeout`` seconds pass first (the ticket stays
        queued), LockGone when the ticket is gone, LockError on server trouble.
        ``timeout=None`` waits as long as the ticket lives. ``heartbeat``
        overrides the object's heartbeat interval for this grant.
        """
        if self.ticket is None:
            raise LockGone("lock %s: no ticket (call lock_query first)" % self.lockname)
        start = time.monotonic()
        deadline = None if timeout is None else start + max(0.0, float(timeout))
        while True:
            now = time.monotonic()
            ask = _ask(deadline)
            granted = self._servers.call_each("lock.wait", lambda: self._wait_args(deadline))
            if self._expect("lock.wait", granted, bool):
                self._granted(heartbeat)
                return True
            after = time.monotonic()
            if deadline is not None and after >= deadline:
                raise LockTimeout("timed out after %s s waiting for lock %s" % (
                    fmt_seconds(float(timeout)), self.lockname))
            st = self.check()       # False with time left: gone, shutting down, or a server cap
            if st.get("state") == "gone":
                raise LockGone("lock %s: ticket %s is gone (expired or released) while waiting"
                               % (self.lockname, self.ticket))
            if st.get("state") == "granted":
                self._granted(heartbeat, checked=True)
                return True
            # never spin: a wait that came back at once (e.g. server shutting down) costs a pause
            if after - now < min(ask, 1.0):
                pause = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.monotonic()))
                time.sleep(pause)

    def _wait_args(self, deadline):
        """(args, socket timeout) of one lock.wait call ending by ``deadline`` (None: none)."""
        ask = _ask(deadline)
        return (self.ticket, wire_seconds(ask)), ask + self.http_timeout

    def release(self, timeout: Optional[float] = None) -> bool:
        """``lock.release``: True if a held slot was freed or a queued ticket cancelled.

        Stops the heartbeat first. Raises LockError on server trouble (the
        ticket is then kept so that a retry can release it).
        """
        self.stop_heartbeat()
        if self.ticket is None:
            return False
        released = self._expect("lock.release",
                                self._call("lock.release", self.ticket, timeout=timeout), bool)
        self.log.debug("lock %s: released ticket %s: %s", self.lockname, self.ticket, released)
        self._forget()
        return released

    def renew(self) -> bool:
        """``lock.renew``: True if the ticket is alive; raises LockError."""
        if self.ticket is None:
            return False
        alive = self._expect("lock.renew", self._call("lock.renew", self.ticket), bool)
        if not alive:
            self._set_gone()
        return alive

    def _granted(self, heartbeat=None, checked=False):
        if not checked:
            try:
                self.check()        # the fencing token
            except LockError as e:
                self.log.warning("lock %s: granted, but could not read the token: %s",
                                 self.lockname, e)
        if self.state != "gone":    # a grant withdrawn since is the next renew's business
            self.state = "granted"
            self.position = 0
        interval = self.heartbeat if heartbeat is None else heartbeat
        if interval and self.held:
            self.start_heartbeat(interval)

    def _set_gone(self):
        self.state = "gone"
        self.token = None
        self.position = 0

    def _forget(self):
        self.ticket = None
        self.token = None
        self.state = None
        self.position = 0
        self.lost = False
        self.revoked = None

    # -- heartbeat ----------------------------------------------------------

    def start_heartbeat(self, interval: float) -> None:
        """Start (or restart) the daemon thread renewing the ticket every ``interval`` s."""
        if not interval > 0:
            raise ValueError("heartbeat must be > 0 seconds, got %r" % (interval,))
        self.stop_heartbeat()
        if self.ticket is None:
            return
        stop = threading.Event()
        thread = threading.Thread(target=self._heartbeat_loop, args=(self.ticket, interval, stop),
                                  name="lockcli-heartbeat-%s" % self.lockname, daemon=True)
        self._hb_stop, self._hb_thread = stop, thread
        thread.start()

    def stop_heartbeat(self) -> None:
        """Stop the heartbeat thread, if any (waits for a renew call under way)."""
        stop, thread = self._hb_stop, self._hb_thread
        self._hb_stop = self._hb_thread = None
        if stop is not None:
            stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.http_timeout + 1)

    @property
    def heartbeat_running(self) -> bool:
        thread = self._hb_thread
        return thread is not None and thread.is_alive()

    def _heartbeat_loop(self, ticket, interval, stop):
        """Every ``interval`` s a ``lock.check`` (a sign of life, as lock.renew, that also
        tells of a revocation); once revoked, again soon after the revocation's deadline."""
        pause = interval
        while not stop.wait(pause):
            try:
                st = self._expect("lock.check", self._call("lock.check", ticket), dict)
            except LockError as e:
                if not stop.is_set():
                    self.log.warning("lock %s: heartbeat: %s", self.lockname, e)
                continue
            if stop.is_set():
                return
            if st.get("state") != "gone":
                self.renewals += 1
                self.log.debug("lock %s: renewed ticket %s", self.lockname, ticket)
                self._note_revocation(ticket, st)
                pause = self._next_beat(interval)
                continue
            self.lost = True
            if self.ticket == ticket:
                self._set_gone()
            self.log.warning("lock %s: ticket %s is gone (the slot is lost)", self.lockname, ticket)
            self._notify("on_lost", self.on_lost)
            return

    def _next_beat(self, interval):
        revoked = self.revoked
        if revoked is None:
            return interval
        return min(interval, max(1.0, revoked.deadline - time.monotonic()))

    def _note_revocation(self, ticket, st):
        """Records the revocation in the check struct ``st`` of ``ticket``, if any, and
        calls on_revoke: once per ticket."""
        reason = st.get("revoke")
        if not reason or not isinstance(reason, str):
            return
        try:
            seconds = max(0.0, float(st.get("revoke_in") or 0.0))
        except (TypeError, ValueError):
            seconds = 0.0
        with self._revoked_mutex:
            if self.revoked is not None or self.ticket != ticket:
                return
            self.revoked = Revocation(reason, seconds, time.monotonic() + seconds)
        self.log.warning("lock %s: ticket %s is revoked (force-released in %s s): %s",
                         self.lockname, ticket, fmt_seconds(seconds), reason)
        self._notify("on_revoke", self.on_revoke)

    def _notify(self, what, callback):
        if callback is None:
            return
        try:
            callback(self)
        except Exception:
            self.log.exception("lock %s: %s callback failed", self.lockname, what)

    # -- the classic boolean API -------------------------------------------

    def lock_query(self, info: Optional[str] = None, permits: Optional[int] = None, exclusive: Optional[bool] = None,
                   priority: Optional[int] = None) -> bool:
        """Queue a ticket on the lock; True when queued (the ticket is kept on the object).

        False when the server is unreachable or refuses (the reason is logged
        and kept in ``last_error``). ``info``: free text shown to operators.
        ``permits``, ``exclusive``, ``priority``: as ``query`` (a bad value is a
        ValueError, not False).
        """
        options = dict(permits=permits, exclusive=exclusive, priority=priority)
        ticket_options(**options)       # a bad value raises, before any call
        return self._quietly("query", lambda: self.query(info, **options) is not None, False)

    def lock_wait(self, timeout: Optional[float] = None) -> bool:
        """Wait for the grant: True once granted.

        False on timeout (the ticket stays queued: wait again or
        ``lock_release()`` to cancel), when the ticket is gone, or on server
        trouble (logged). ``timeout=None`` waits as long as the ticket lives.
        """
        try:
            return self._quietly("wait", lambda: self.wait(timeout), False)
        except LockTimeout as e:
            self.last_error = e
            self.log.info("lock %s: %s", self.lockname, e)
            return False

    def lock_release(self) -> bool:
        """Release the slot (or cancel the queued ticket): True if the server freed something."""
        return self._quietly("release", self.release, False)

    def lock_renew(self) -> bool:
        """Restart the ticket's idle expiration: True if the ticket is alive."""
        return self._quietly("renew", self.renew, False)

    def lock_check(self) -> Optional[Dict[str, Any]]:
        """The server's ``lock.check`` struct (dict) of the ticket (a revocation in it is
        recorded in ``revoked``, see ``on_revoke``).

        None when there is no ticket or on server trouble (logged).
        """
        return self._quietly("check", self.check, None)

    def _quietly(self, what, call, failed):
        """``call()``, or ``failed`` on a LockError (logged, kept in ``last_error``);
        a LockTimeout is raised as it is."""
        try:
            return call()
        except LockTimeout:
            raise
        except LockError as e:
            self.last_error = e
            self.log.warning("lock %s: %s failed: %s", self.lockname, what, e)
            return failed

    # -- context manager ----------------------------------------------------

    @contextlib.contextmanager
    def acquired(self, info: Optional[str] = None, timeout: Optional[float] = None,
                 heartbeat: Optional[float] = None, permits: Optional[int] = None, exclusive: Optional[bool] = None,
                 priority: Optional[int] = None) -> Iterator[Lock]:
        """Hold a slot (or ``permits`` slots, or every slot if ``exclusive``) for the
        ``with`` block; yields this Lock.

        Raises LockTimeout when ``timeout`` seconds pass before the grant (the
        queued ticket is cancelled), LockError when the server is unreachable,
        refuses, or drops the ticket. The slot is released on leaving the
        block, also on an exception. ``heartbeat``: renew every so many seconds
        while held (default: the object's ``heartbeat``). ``priority``: 0 to 9, higher
        is granted first. A bad option is a ValueError.
        """
        self.query(info, permits=permits, exclusive=exclusive, priority=priority)
        try:
            self.wait(timeout, heartbeat=heartbeat)
        except BaseException:
            self._cancel()
            raise
        try:
            yield self
        finally:
            if not self.lock_release() and self.last_error is None:
                self.log.warning("lock %s: the slot was already gone on release", self.lockname)

    def _cancel(self):
        """Best effort release, for error paths."""
        try:
            self.release(timeout=min(self.http_timeout, 5.0))
        except LockError as e:
            self.log.warning("lock %s: could not cancel ticket %s: %s", self.lockname, self.ticket, e)
