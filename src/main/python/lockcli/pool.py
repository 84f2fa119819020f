"""Kept-alive HTTP/1.1 connections to one server, for reuse from one call to the next.

``Pool`` is thread-safe: a connection serves one call at a time; a call that finds none
idle opens a new one. Each connection counts the bytes of the current answer received
(``received``), which tells the transport whether a request may be sent again.
"""

import http.client
import io
import os
import select
import ssl
import threading
import time

#: a kept-alive connection idle longer than this (s) is closed, not reused: the server closes
#: idle connections after its IDLE_TIMEOUT (MAX_WAIT_TIME + 30 s, 60 s by default); as the Java client
MAX_IDLE = 20.0
#: where the pool reads how long a connection has been idle
_clock = time.monotonic
#: idle connections kept per pool: one for the caller's thread and one for the heartbeat's
_MAX_POOLED = 2


class _CountingReader(io.RawIOBase):
    """The raw reader of a socket, adding the bytes received to ``owner.received``."""

    def __init__(self, raw, owner):
        super().__init__()
        self._raw = raw
        self._owner = owner

    def readable(self):
        return True

    def readinto(self, buffer):
        n = self._raw.readinto(buffer)
        if n:
            self._owner.received += n
        return n

    def close(self):
        if not self.closed:
            self._raw.close()
        super().close()


class _Response(http.client.HTTPResponse):
    """An HTTP response that counts the bytes of the answer received (in ``owner.received``)."""

    def __init__(self, sock, debuglevel=0, method=None, url=None, owner=None):
        super().__init__(sock, debuglevel, method=method, url=url)
        self.fp.close()
        self.fp = io.BufferedReader(_CountingReader(sock.makefile("rb", buffering=0), owner))


class _Counting:
    """What the pooled HTTP and HTTPS connections add to http.client's."""

    def _setup(self):
        self.received = 0           # bytes of the current answer received so far
        self.idle_since = 0.0       # _clock() when the last answer was read whole
        self.response_class = self._response

    def _response(self, sock, *args, **kwargs):
        return _Response(sock, *args, owner=self, **kwargs)


class _HTTPConnection(_Counting, http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        http.client.HTTPConnection.__init__(self, *args, **kwargs)
        self._setup()


class _HTTPSConnection(_Counting, http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        http.client.HTTPSConnection.__init__(self, *args, **kwargs)
        self._setup()


def _has_input(sock):
    """True if an idle kept-alive socket can be read: the server closed or reset it (or sent
    bytes no request asked for); either way it must not carry another request."""
    try:
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class Pool:
    """The idle keep-alive connections to ``netloc`` (host[:port]); ``context``: an
    ssl.SSLContext for HTTPS (it verifies the certificate and the host name), else None."""

    def __init__(self, netloc, context):
        self._netloc = netloc
        self._context = context
        self._idle = []                 # most recently used last
        self._mutex = threading.Lock()
        self._pid = os.getpid()

    def new(self, timeout):
        if self._context is not None:
            return _HTTPSConnection(self._netloc, timeout=timeout, context=self._context)
        return _HTTPConnection(self._netloc, timeout=timeout)

    def take(self, timeout):
        """(connection, reused): an idle kept-alive connection that looks open, else a new one."""
        now = _clock()
        while True:
            with self._mutex:
                stale = []
                if self._pid != os.getpid():    # a forked child: the parent's connections are not ours
                    stale, self._idle, self._pid = self._idle, [], os.getpid()
                conn = self._idle.pop() if self._idle else None
            for old in stale:
                old.close()                     # (only this process's descriptor)
            if conn is None:
                return self.new(timeout), False
            if now - conn.idle_since < MAX_IDLE and conn.sock is not None and not _has_input(conn.sock):
                conn.timeout = timeout
                conn.sock.settimeout(timeout)
                return conn, True
            conn.close()

    def give_back(self, conn):
        conn.idle_since = _clock()
        with self._mutex:
            if self._pid == os.getpid() and len(self._idle) < _MAX_POOLED:
                self._idle.append(conn)
                return
        conn.close()

    def clear(self):
        """Close the idle connections."""
        with self._mutex:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __del__(self):
        try:
            for conn in self._idle:
                conn.close()
        except Exception:
            pass
