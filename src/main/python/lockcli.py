"""Python client of lockserver, a network counting-semaphore server.

The wire API (XML-RPC over HTTP at /RPC2) is specified in docs/API.md.
Standard library only; Python 3.7 or later.

Library use::

    import lockcli, socket, time
    l = lockcli.Lock("http://lockserver.example.com:9090/RPC2", "DefaultLock")
    if l.lock_query("i queried a lock from %s" % socket.gethostname()):
        if l.lock_wait():
            time.sleep(30)  # the hard job
            l.lock_release()

With users on the server (HTTP Basic auth) and TLS::

    l = lockcli.Lock("https://lockserver.example.com:9090/RPC2", "DefaultLock",
                     username="alice", password=secret, cafile="/etc/lockserver/ca.pem")

or, raising exceptions instead of returning False::

    with lockcli.Lock(url, "DefaultLock").acquired("nightly backup", timeout=60, heartbeat=60) as l:
        do_the_job(fencing_token=l.token)

The ``lock_*`` methods never raise on server trouble: they return False (or
None for ``lock_check``), log the reason through the ``lockcli`` logger and
keep it in ``Lock.last_error``. ``acquired()`` raises ``LockError`` (or its
subclass ``LockTimeout``) instead.

A Lock keeps its HTTP/1.1 connection to the server open from one call to the
next (keep-alive; ``Lock.close()`` closes it). A Lock is for one thread plus
its heartbeat thread; see the Lock class for what is thread-safe.

Command line: ``lockrun ...`` or ``python3 -m lockcli run ...`` runs a command
while holding a slot of a lock; see ``lockrun --help``.
"""

import argparse
import base64
import contextlib
import getpass
import http.client
import io
import logging
import math
import os
import re
import select
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import xml.parsers.expat
import xmlrpc.client

__all__ = [
    "Lock", "LockError", "LockTimeout", "LockFault", "LockUnreachable", "LockGone",
    "main", "main_run", "redact_url", "tls_context",
    "FAULT_UNKNOWN_LOCK", "FAULT_BAD_TICKET", "FAULT_BAD_ARGUMENT", "FAULT_UNKNOWN_METHOD",
    "FAULT_QUEUE_FULL", "FAULT_NOT_ALLOWED", "FAULT_SHUTTING_DOWN", "FAULT_BAD_REQUEST",
    "FAULT_BAD_CONFIG", "FAULT_UNAUTHENTICATED", "FAULT_INTERNAL",
]

__version__ = "1.0"

log = logging.getLogger("lockcli")
log.addHandler(logging.NullHandler())

# Fault codes of the server (docs/API.md, "Faults"): stable, safe to switch on.
FAULT_UNKNOWN_LOCK = 1      # no lock of that name
FAULT_BAD_TICKET = 2        # the ticket is not 32 lowercase hex digits
FAULT_BAD_ARGUMENT = 3      # wrong arguments or a value out of range
FAULT_UNKNOWN_METHOD = 4    # no such method
FAULT_QUEUE_FULL = 5        # the lock's queue holds MAX_QUEUE tickets already
FAULT_NOT_ALLOWED = 6       # the server's config does not allow this call
FAULT_SHUTTING_DOWN = 7     # the server is stopping and takes no new tickets
FAULT_BAD_REQUEST = 8       # the body is not a well-formed XML-RPC call
FAULT_BAD_CONFIG = 9        # admin.reload refused the config file
FAULT_UNAUTHENTICATED = 10  # no, or a wrong, user name and password (HTTP Basic)
FAULT_INTERNAL = 99         # unexpected server error (details in the server log)

FAULT_NAMES = {
    FAULT_UNKNOWN_LOCK: "UNKNOWN_LOCK",
    FAULT_BAD_TICKET: "BAD_TICKET",
    FAULT_BAD_ARGUMENT: "BAD_ARGUMENT",
    FAULT_UNKNOWN_METHOD: "UNKNOWN_METHOD",
    FAULT_QUEUE_FULL: "QUEUE_FULL",
    FAULT_NOT_ALLOWED: "NOT_ALLOWED",
    FAULT_SHUTTING_DOWN: "SHUTTING_DOWN",
    FAULT_BAD_REQUEST: "BAD_REQUEST",
    FAULT_BAD_CONFIG: "BAD_CONFIG",
    FAULT_UNAUTHENTICATED: "UNAUTHENTICATED",
    FAULT_INTERNAL: "INTERNAL",
}

DEFAULT_LOCK = "DefaultLock"
#: socket timeout (s) of every call; a lock.wait call gets the wait asked plus this
DEFAULT_HTTP_TIMEOUT = 15.0
#: longest wait asked in one lock.wait call (the server caps it at its MAX_WAIT_TIME, 30 s by default)
WAIT_CHUNK = 30.0
#: the server refuses a longer info (docs/API.md)
MAX_INFO_CHARS = 1024

# Exit statuses of lockrun (sysexits.h, and the shell's 126/127).
EX_USAGE = 64
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_TEMPFAIL = 75
EX_NOEXEC = 126
EX_NOTFOUND = 127


class LockError(Exception):
    """The lock could not be taken or used: server unreachable, fault, ticket gone."""


class LockTimeout(LockError):
    """The wait for the lock timed out (the lock stayed full)."""


class LockUnreachable(LockError):
    """The server could not be reached or gave no usable HTTP answer."""


class LockGone(LockError):
    """The server no longer holds the ticket (released, expired or withdrawn)."""


class LockFault(LockError):
    """The server answered with an XML-RPC fault; ``code`` is one of the FAULT_* constants."""

    def __init__(self, message, code, fault_string):
        super().__init__(message)
        self.code = code
        self.fault_string = fault_string

    @property
    def name(self):
        return FAULT_NAMES.get(self.code, "UNKNOWN")


# ---------------------------------------------------------------------------
# helpers

def redact_url(url):
    """The URL without the password of its user info (for messages and logs)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    netloc = "%s:***@%s" % (parts.username or "", parts.netloc.rpartition("@")[2])
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _check_url(url):
    """The parts of a lockserver URL; ValueError (without the password) if it is not one."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port      # raises ValueError on a bad port
    except ValueError as e:
        raise ValueError("bad lockserver URL %r: %s" % (redact_url(url), e))
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("unsupported lockserver URL %r: use http:// or https://" % redact_url(url))
    return parts


def _split_userinfo(parts):
    """(URL without user info, user or None, password or None), percent-decoded."""
    host = parts.netloc.rpartition("@")[2]
    endpoint = urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    if "@" not in parts.netloc:
        return endpoint, None, None
    user = urllib.parse.unquote(parts.username or "")
    password = None if parts.password is None else urllib.parse.unquote(parts.password)
    return endpoint, user, password


def _shown_url(endpoint, user, has_password):
    """``endpoint`` with the user (and ``***`` for a password) put back, for messages."""
    if user is None:
        return endpoint
    parts = urllib.parse.urlsplit(endpoint)
    netloc = "%s%s@%s" % (urllib.parse.quote(user, safe=""), ":***" if has_password else "", parts.netloc)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def tls_context(cafile=None):
    """An SSL context verifying the server's certificate and host name.

    ``cafile``: PEM file of the CA certificate(s) to trust (e.g. the server's own
    certificate when self-signed); None: the system's CAs. ValueError if the
    file cannot be used.
    """
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as e:
        raise ValueError("cannot use CA file %s: %s" % (cafile, e.strerror or e))


def _basic_auth(user, password):
    """The value of an HTTP Basic Authorization header (UTF-8)."""
    raw = ("%s:%s" % (user, password)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


# characters XML 1.0 does not allow (plus lone surrogates, which cannot be encoded)
_NOT_XML_CHAR = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_info(info):
    """``info`` made safe to send: XML-clean and at most MAX_INFO_CHARS (UTF-16) characters."""
    text = _NOT_XML_CHAR.sub("?", str(info))
    if len(text.encode("utf-16-le")) // 2 > MAX_INFO_CHARS:
        cut = MAX_INFO_CHARS - 3
        while len(text[:cut].encode("utf-16-le")) // 2 > MAX_INFO_CHARS - 3:
            cut -= 1
        text = text[:cut] + "..."
    return text


def _seconds(value):
    """A wait in seconds as sent on the wire: an int when whole, else a double."""
    value = max(0.0, float(value))
    if value == int(value):
        return int(value)
    return round(value, 3)


def fmt_seconds(value):
    """12 -> '12', 0.5 -> '0.5', 1.25 -> '1.25'."""
    text = "%.3f" % value
    return text.rstrip("0").rstrip(".") if "." in text else text


def default_info(what="lockcli"):
    return "%s on %s (pid %d)" % (what, socket.gethostname(), os.getpid())


_USER_AGENT = "lockcli/%s (Python %d.%d)" % ((__version__,) + tuple(sys.version_info[:2]))

#: a kept-alive connection idle longer than this (s) is closed, not reused: the server closes
#: idle connections after its IDLE_TIMEOUT (MAX_WAIT_TIME + 30 s, 60 s by default); as the Java client
MAX_IDLE = 20.0
#: where the pool reads how long a connection has been idle (tests put a fake clock here)
_clock = time.monotonic
#: idle connections kept per Lock: one for the caller's thread and one for the heartbeat's
_MAX_POOLED = 2
#: the longest answer read (bytes)
_MAX_ANSWER = 16 << 20
#: errors saying that the server closed (or reset) the connection
_CLOSED = (ConnectionError, http.client.RemoteDisconnected, ssl.SSLZeroReturnError, ssl.SSLEOFError)


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


class _Connection(object):
    """What the pooled HTTP and HTTPS connections add to http.client's."""

    def _setup(self):
        self.received = 0           # bytes of the current answer received so far
        self.idle_since = 0.0       # _clock() when the last answer was read whole
        self.response_class = self._response

    def _response(self, sock, *args, **kwargs):
        return _Response(sock, *args, owner=self, **kwargs)


class _HTTPConnection(_Connection, http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        http.client.HTTPConnection.__init__(self, *args, **kwargs)
        self._setup()


class _HTTPSConnection(_Connection, http.client.HTTPSConnection):
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


class _Pool(object):
    """The idle HTTP/1.1 keep-alive connections of one Lock to its server. Thread-safe: a
    connection is used by one call at a time; a call finding none idle opens a new one."""

    def __init__(self, netloc, context):
        self._netloc = netloc           # host[:port]
        self._context = context         # ssl.SSLContext for https, else None
        self._idle = []                 # most recently used last
        self._mutex = threading.Lock()
        self._pid = os.getpid()

    def new(self, timeout):
        if self._context is not None:
            # the context verifies the certificate and (check_hostname) the host name
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


# ---------------------------------------------------------------------------
# the client

class Lock(object):
    """One client of one named lock, holding at most one ticket at a time.

    ``url``: the server's XML-RPC URL, e.g. ``http://host:9090/RPC2`` or
    ``https://host:9090/RPC2``; user and password may be given in it
    (``http://user:pw@host:9090/RPC2``, percent-encoded, sent as HTTP Basic auth).
    ``username``, ``password``: HTTP Basic credentials without putting the
    secret in the URL; they win over user info in the URL (``password`` alone
    goes with the URL's user). ``cafile``: PEM file of the CA certificate(s) to
    trust for an https URL (default: the system's CAs); the certificate and the
    host name are always verified. ``ssl_context``: an ``ssl.SSLContext`` to
    use instead of ``cafile``. Passwords never appear in messages or logs.
    ``lockname``: the lock's name. ``http_timeout``: socket timeout in seconds of
    each call (default DEFAULT_HTTP_TIMEOUT); a ``lock.wait`` call gets the wait
    it asks for plus this. ``heartbeat``: when set, a daemon thread calls
    ``lock.renew`` every ``heartbeat`` seconds while the slot is held.
    ``logger``: a ``logging.Logger`` (default: the ``lockcli`` logger).
    ``on_lost``: called as ``on_lost(lock)`` from the heartbeat thread when the
    server says the held ticket is gone.

    Refusals come back as LockFault: code FAULT_UNAUTHENTICATED (10, message
    starting "authentication failed:") for missing or wrong credentials,
    FAULT_NOT_ALLOWED (6, "not allowed:") for a lock or call the user may not
    use. A server certificate that cannot be verified is a LockUnreachable whose
    message starts "certificate verify failed".

    Attributes: ``ticket`` (str or None), ``token`` (the fencing token of the
    grant, a decimal string, or None), ``state`` (``queued``, ``granted``,
    ``gone`` or None), ``position`` (in the queue, from the last check),
    ``lost`` (the heartbeat found the ticket gone), ``renewals`` (successful
    heartbeat renewals), ``last_error`` (the last LockError, or None),
    ``username`` (the user sent, or None), ``safe_url`` (the URL for messages:
    no password).

    Connections: a Lock keeps its HTTP/1.1 connection to the server open between
    calls and sends the next call on it (keep-alive), so that a query, wait,
    check and release cost one TCP (and TLS) handshake, not four. A connection
    idle for more than MAX_IDLE seconds, or that the server has closed (its idle
    timeout, a restart), is replaced by a new one without the caller noticing;
    a call is sent a second time only when that cannot run it twice (see
    ``_rpc``). ``close()`` closes the idle connection early; it is also closed
    when the Lock is garbage collected. The timeout of each call is as before.

    Threads: one Lock is meant for one thread (plus its own heartbeat thread):
    its ticket state (``ticket``, ``state``...) is not guarded. The connections
    are: calls made at the same time from several threads (the heartbeat's
    ``lock.renew`` while the caller's thread checks, say) each get a connection
    of their own, never a shared one, and at most two idle ones are kept.
    """

    def __init__(self, url, lockname, http_timeout=None, heartbeat=None, logger=None,
                 on_lost=None, ssl_context=None, username=None, password=None, cafile=None):
        parts = _check_url(url)
        if heartbeat is not None and not heartbeat >= 0:
            raise ValueError("heartbeat must be >= 0 seconds (0: none), got %r" % (heartbeat,))
        endpoint, url_user, url_password = _split_userinfo(parts)
        if username is not None:
            if ":" in username:
                raise ValueError("a user name cannot contain ':' (HTTP Basic auth)")
            user, secret = username, password
        elif password is not None:
            if url_user is None:
                raise ValueError("a password needs a user name: give username= or user@ in the URL")
            user, secret = url_user, password
        else:
            user, secret = url_user, url_password
        if cafile is not None and ssl_context is not None:
            raise ValueError("give cafile or ssl_context, not both")
        if cafile is not None:
            ssl_context = tls_context(cafile)
        elif ssl_context is None and parts.scheme.lower() == "https":
            ssl_context = tls_context()
        self.url = url
        self.safe_url = redact_url(url) if username is None and password is None \
            else _shown_url(endpoint, user, secret is not None)
        self.username = user
        self.cafile = cafile
        self._endpoint = endpoint
        self._https = parts.scheme.lower() == "https"
        self._auth = None if user is None else _basic_auth(user, "" if secret is None else secret)
        self._handler = urllib.parse.urlunsplit(("", "", parts.path, parts.query, "")) or "/RPC2"
        self._headers = {"Content-Type": "text/xml", "User-Agent": _USER_AGENT}
        if self._auth is not None:
            self._headers["Authorization"] = self._auth
        self.lockname = lockname
        self.http_timeout = DEFAULT_HTTP_TIMEOUT if http_timeout is None else float(http_timeout)
        self.heartbeat = heartbeat or None
        self.log = logger if logger is not None else log
        self.on_lost = on_lost
        self.ssl_context = ssl_context
        self._pool = _Pool(parts.netloc.rpartition("@")[2], ssl_context if self._https else None)
        self.ticket = None
        self.token = None
        self.state = None
        self.position = 0
        self.lost = False
        self.renewals = 0
        self.last_error = None
        self._hb_thread = None
        self._hb_stop = None

    def __repr__(self):
        return "<lockcli.Lock %r at %s ticket=%s state=%s>" % (
            self.lockname, self.safe_url, self.ticket, self.state)

    def close(self):
        """Close the kept-alive connection(s) to the server; a later call opens a new one.

        Does not release the ticket or stop the heartbeat.
        """
        self._pool.clear()

    @property
    def held(self):
        """True while this object holds a granted slot (as last seen)."""
        return self.ticket is not None and self.state == "granted"

    # -- wire ---------------------------------------------------------------

    def _rpc(self, method, args, seconds):
        """One XML-RPC call on a kept-alive connection of the pool; xmlrpc.client, http.client
        and socket exceptions. ``seconds``: the socket timeout (connect, send, each read)."""
        body = xmlrpc.client.dumps(args, method, encoding="utf-8").encode("utf-8", "xmlcharrefreplace")
        for attempt in (0, 1):
            if attempt == 0:
                conn, reused = self._pool.take(seconds)
            else:
                conn, reused = self._pool.new(seconds), False
            try:
                conn.received = 0
                conn.request("POST", self._handler, body, self._headers)
                response = conn.getresponse()
                if response.length is not None and response.length > _MAX_ANSWER:
                    raise xmlrpc.client.ResponseError("answer of %d bytes is too large" % response.length)
                data = response.read()
                status, reason, headers = response.status, response.reason, response.msg
                reusable = conn.sock is not None and not response.will_close
            except _CLOSED as e:
                conn.close()
                # Resend only when this was a reused connection that the server closed before
                # any byte of an answer came back (EOF or reset on sending or on the first read),
                # and only once, on a new connection. The server closes a kept-alive connection
                # only between requests (its idle timeout, a restart), so then it never read
                # this request and sending it again cannot run it twice. Never otherwise: once
                # a request went out whole on a new connection, or part of the answer came
                # back, or the read timed out, the server may have run it, and lock.query
                # would queue a second ticket. (As the Java client's KeepAliveTransportFactory.)
                if attempt == 0 and reused and conn.received == 0:
                    self.log.debug("lockserver at %s closed a kept-alive connection (%s): "
                                   "sending %s again on a new one", self.safe_url,
                                   type(e).__name__, method)
                    self._pool.clear()      # the server closed them all, most likely
                    continue
                raise
            except BaseException:
                conn.close()                # an answer may still come: the connection is spoilt
                raise
            if reusable:
                self._pool.give_back(conn)
            else:
                conn.close()
            break
        if status != 200:
            raise xmlrpc.client.ProtocolError(self._endpoint, status, reason, headers)
        parser, unmarshaller = xmlrpc.client.getparser()
        parser.feed(data)
        parser.close()
        result = unmarshaller.close()       # raises Fault
        return result[0] if len(result) == 1 else result

    def _call(self, method, *args, timeout=None):
        """One XML-RPC call on a kept-alive connection; raises LockError (or a subclass)."""
        seconds = self.http_timeout if timeout is None else timeout
        try:
            return self._rpc(method, args, seconds)
        except xmlrpc.client.Fault as e:
            prefix, as_user = "", ""
            if e.faultCode in (FAULT_UNAUTHENTICATED, FAULT_NOT_ALLOWED):
                prefix = "authentication failed: " if e.faultCode == FAULT_UNAUTHENTICATED else "not allowed: "
                as_user = " (no user name and password sent)" if self.username is None \
                    else " as user %r" % self.username
            raise LockFault("%slockserver at %s refused %s%s: %s (%d): %s" % (
                prefix, self.safe_url, method, as_user, FAULT_NAMES.get(e.faultCode, "fault"),
                e.faultCode, e.faultString), e.faultCode, e.faultString)
        except xmlrpc.client.ProtocolError as e:
            prefix, hint = "", ""
            if e.errcode == 401:
                prefix = "authentication failed: "
            elif e.errcode == 403:
                prefix = "not allowed: "
            elif e.errcode in (404, 405) and not urllib.parse.urlsplit(self._endpoint).path.endswith("/RPC2"):
                hint = " (the server's path is /RPC2)"
            raise LockError("%slockserver at %s answered %s with HTTP %s %s%s" % (
                prefix, self.safe_url, method, e.errcode, e.errmsg, hint))
        except socket.timeout:
            raise LockUnreachable("no answer from lockserver at %s to %s within %s s" % (
                self.safe_url, method, fmt_seconds(seconds)))
        except ssl.SSLCertVerificationError as e:
            raise LockUnreachable(
                "certificate verify failed for lockserver at %s: %s (trust the server's CA "
                "certificate: cafile=FILE, lockrun --cafile FILE or $LOCKSERVER_CAFILE)" % (
                    self.safe_url, e.verify_message or e.reason or e))
        except ssl.SSLError as e:
            hint = ""
            if e.reason == "WRONG_VERSION_NUMBER":
                hint = " (is the server's port plain http?)"
            raise LockUnreachable("TLS error with lockserver at %s: %s%s" % (
                self.safe_url, e.reason or e, hint))
        except http.client.BadStatusLine as e:
            line, hint = str(e), ""
            if not isinstance(e, http.client.RemoteDisconnected):
                if not self._https and line.startswith("\x15\x03"):      # a TLS alert record
                    hint = " (the server speaks TLS: use an https:// URL)"
                line = "not an HTTP answer: %r" % line[:40]
            raise LockUnreachable("cannot reach lockserver at %s: %s%s" % (
                self.safe_url, line or type(e).__name__, hint))
        except (OSError, http.client.HTTPException) as e:
            raise LockUnreachable("cannot reach lockserver at %s: %s" % (
                self.safe_url, str(e) or type(e).__name__))
        except (xmlrpc.client.ResponseError, xml.parsers.expat.ExpatError) as e:
            raise LockError("bad answer from lockserver at %s to %s: %s" % (
                self.safe_url, method, e))
        except (ValueError, TypeError) as e:
            raise LockError("call %s to lockserver at %s failed: %s" % (method, self.safe_url, e))

    def _expect(self, method, value, kind):
        if not isinstance(value, kind):
            raise LockError("bad answer from lockserver at %s to %s: %r" % (
                self.safe_url, method, value))
        return value

    def _failed(self, what, error):
        self.last_error = error
        self.log.warning("%s: %s", what, error)

    # -- raising primitives (used by the lock_* methods, acquired() and lockrun) --

    def query(self, info=None):
        """Queue a ticket (releasing a live one this object still has); raises LockError."""
        if self.ticket is not None and self.state != "gone":
            self.log.info("lock %s: releasing ticket %s before querying a new one",
                          self.lockname, self.ticket)
            self.lock_release()
        self._forget()
        info = clean_info(default_info() if info is None else info)
        ticket = self._expect("lock.query", self._call("lock.query", self.lockname, info), str)
        self.ticket = ticket
        self.state = "queued"
        self.last_error = None
        self.log.debug("lock %s: queued ticket %s", self.lockname, ticket)
        return ticket

    def check(self, timeout=None):
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
        return st

    def wait(self, timeout=None, heartbeat=None):
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
            ask = WAIT_CHUNK if deadline is None else max(0.0, min(deadline - now, WAIT_CHUNK))
            granted = self._call("lock.wait", self.ticket, _seconds(ask),
                                 timeout=ask + self.http_timeout)
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

    def release(self, timeout=None):
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

    def renew(self):
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

    # -- heartbeat ----------------------------------------------------------

    def start_heartbeat(self, interval):
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

    def stop_heartbeat(self):
        """Stop the heartbeat thread, if any (waits for a renew call under way)."""
        stop, thread = self._hb_stop, self._hb_thread
        self._hb_stop = self._hb_thread = None
        if stop is not None:
            stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.http_timeout + 1)

    @property
    def heartbeat_running(self):
        thread = self._hb_thread
        return thread is not None and thread.is_alive()

    def _heartbeat_loop(self, ticket, interval, stop):
        while not stop.wait(interval):
            try:
                alive = self._call("lock.renew", ticket)
            except LockError as e:
                if not stop.is_set():
                    self.log.warning("lock %s: heartbeat: %s", self.lockname, e)
                continue
            if stop.is_set():
                return
            if alive is True:
                self.renewals += 1
                self.log.debug("lock %s: renewed ticket %s", self.lockname, ticket)
                continue
            self.lost = True
            if self.ticket == ticket:
                self._set_gone()
            self.log.warning("lock %s: ticket %s is gone (the slot is lost)", self.lockname, ticket)
            if self.on_lost is not None:
                try:
                    self.on_lost(self)
                except Exception:
                    self.log.exception("lock %s: on_lost callback failed", self.lockname)
            return

    # -- the classic boolean API -------------------------------------------

    def lock_query(self, info=None):
        """Queue a ticket on the lock; True when queued (the ticket is kept on the object).

        False when the server is unreachable or refuses (the reason is logged
        and kept in ``last_error``). ``info``: free text shown to operators.
        """
        try:
            self.query(info)
            return True
        except LockError as e:
            self._failed("lock %s: query failed" % self.lockname, e)
            return False

    def lock_wait(self, timeout=None):
        """Wait for the grant: True once granted.

        False on timeout (the ticket stays queued: wait again or
        ``lock_release()`` to cancel), when the ticket is gone, or on server
        trouble (logged). ``timeout=None`` waits as long as the ticket lives.
        """
        try:
            return self.wait(timeout)
        except LockTimeout as e:
            self.last_error = e
            self.log.info("lock %s: %s", self.lockname, e)
            return False
        except LockError as e:
            self._failed("lock %s: wait failed" % self.lockname, e)
            return False

    def lock_release(self):
        """Release the slot (or cancel the queued ticket): True if the server freed something."""
        try:
            return self.release()
        except LockError as e:
            self._failed("lock %s: release failed" % self.lockname, e)
            return False

    def lock_renew(self):
        """Restart the ticket's idle expiration: True if the ticket is alive."""
        try:
            return self.renew()
        except LockError as e:
            self._failed("lock %s: renew failed" % self.lockname, e)
            return False

    def lock_check(self):
        """The server's ``lock.check`` struct (dict) of the ticket.

        None when there is no ticket or on server trouble (logged).
        """
        try:
            return self.check()
        except LockError as e:
            self._failed("lock %s: check failed" % self.lockname, e)
            return None

    # -- context manager ----------------------------------------------------

    @contextlib.contextmanager
    def acquired(self, info=None, timeout=None, heartbeat=None):
        """Hold a slot for the ``with`` block; yields this Lock.

        Raises LockTimeout when ``timeout`` seconds pass before the grant (the
        queued ticket is cancelled), LockError when the server is unreachable,
        refuses, or drops the ticket. The slot is released on leaving the
        block, also on an exception. ``heartbeat``: renew every so many seconds
        while held (default: the object's ``heartbeat``).
        """
        self.query(info)
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


# ---------------------------------------------------------------------------
# lockrun

class _UsageError(Exception):
    pass


class _Signalled(BaseException):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(message)

    def exit(self, status=0, message=None):
        if message:
            sys.stderr.write(message)
        raise SystemExit(status)


_RUN_DESCRIPTION = """\
Run COMMAND while holding a slot of a lockserver lock: queue a ticket, wait
for the grant, run COMMAND with the ticket renewed in the background, release
the slot when COMMAND ends (also when it fails or lockrun is signalled), and
exit with COMMAND's status."""

_RUN_EPILOG = """\
environment:
  LOCKSERVER_URL       server URL when --url is not given
  LOCKSERVER_LOCK      lock name when --lock is not given
  LOCKSERVER_USER      user name when --user is not given
  LOCKSERVER_PASSWORD  password of the user; when unset, lockrun asks for it if
                       stdin is a terminal (there is no password option: command
                       lines are visible to other users). Not passed on to COMMAND.
  LOCKSERVER_CAFILE    CA file when --cafile is not given
  COMMAND gets LOCKRUN_LOCK, LOCKRUN_TICKET and LOCKRUN_TOKEN (the fencing
  token of the grant: pass it to a resource that can check it).

security:
  With users on the server, every call needs a user name and password (HTTP
  Basic auth): --user (or $LOCKSERVER_USER) with $LOCKSERVER_PASSWORD, or
  user:password@ in the URL; --user wins over the URL's. For an https URL the
  server's certificate and host name are verified against the system's CAs,
  or against --cafile (e.g. the server's own certificate when self-signed).

signals:
  SIGINT, SIGTERM and SIGHUP are forwarded to COMMAND; lockrun waits for it,
  releases the slot and exits with COMMAND's status (128+N if COMMAND died of
  signal N). While waiting for the lock they cancel the ticket; exit 128+N.

exit status:
  COMMAND's status  COMMAND ran (128+N if it died of signal N)
  64   bad usage (also: no password for --user without a terminal, unusable --cafile)
  69   server unreachable, certificate verify failed, authentication failed,
       not allowed, refused the call (fault) or dropped the ticket
  70   internal error of lockrun
  75   timed out waiting for the lock (--wait)
  126  COMMAND found but cannot be executed
  127  COMMAND not found

example:
  lockrun --url http://lockserver:9090/RPC2 --lock Backup --wait 3600 -- rsync -a /src/ /dst/
  lockrun --url https://lockserver:9090/RPC2 --user backup \\
      --cafile /etc/lockserver/ca.pem --lock Backup -- rsync -a /src/ /dst/
"""


def _run_parser(prog):
    p = _ArgumentParser(prog=prog, description=_RUN_DESCRIPTION, epilog=_RUN_EPILOG,
                        usage="%(prog)s [options] [--] COMMAND [ARGS...]",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-u", "--url", metavar="URL",
                   help="lockserver XML-RPC URL, e.g. http://host:9090/RPC2 or "
                        "https://host:9090/RPC2; user:password@ in it for HTTP Basic auth (then "
                        "prefer $LOCKSERVER_URL, or --user: command lines are visible to other "
                        "users) (default: $LOCKSERVER_URL)")
    p.add_argument("--user", metavar="USER",
                   help="authenticate as USER (HTTP Basic auth); the password comes from "
                        "$LOCKSERVER_PASSWORD, else lockrun asks for it when stdin is a terminal "
                        "(default: $LOCKSERVER_USER, else the user in the URL)")
    p.add_argument("--cafile", metavar="FILE",
                   help="PEM file of the CA certificate(s) that signed the server's certificate, "
                        "for an https URL; the certificate and the host name are always verified "
                        "(default: $LOCKSERVER_CAFILE, else the system's CAs)")
    p.add_argument("-l", "--lock", metavar="NAME",
                   help="lock name (default: $LOCKSERVER_LOCK, else %s)" % DEFAULT_LOCK)
    p.add_argument("-w", "--wait", metavar="SECONDS", type=_nonneg_seconds,
                   help="give up (exit 75) if the slot is not granted within SECONDS; "
                        "0 tries once without waiting (default: wait as long as it takes)")
    p.add_argument("-i", "--info", metavar="TEXT",
                   help="text shown to operators by the server "
                        "(default: 'lockrun on HOSTNAME: COMMAND...')")
    p.add_argument("--heartbeat", metavar="SECONDS", type=_nonneg_seconds,
                   help="renew the ticket every SECONDS while COMMAND runs; 0 disables "
                        "(default: every 60 s, or a third of the ticket's time left at the "
                        "grant if that is shorter)")
    p.add_argument("--http-timeout", metavar="SECONDS", type=_pos_seconds,
                   default=DEFAULT_HTTP_TIMEOUT,
                   help="socket timeout of each call to the server (default: %s)"
                        % fmt_seconds(DEFAULT_HTTP_TIMEOUT))
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print no notices, warnings or timeout message (errors that stop "
                        "lockrun before COMMAND runs are still printed; a 'waiting for lock' "
                        "notice is only ever shown when stderr is a terminal)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log every call to the server on stderr")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="COMMAND",
                   help="the command to run, with its arguments")
    return p


def _nonneg_seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number of seconds: %r" % text)
    if math.isnan(value) or value < 0:
        raise argparse.ArgumentTypeError("must be >= 0 seconds: %r" % text)
    return value


def _pos_seconds(text):
    value = _nonneg_seconds(text)
    if value <= 0 or math.isinf(value):
        raise argparse.ArgumentTypeError("must be > 0 seconds: %r" % text)
    return value


def _find_command(name):
    """None if ``name`` looks runnable, else (exit status, message)."""
    def problem(path):
        if not os.path.exists(path):
            return None
        if os.path.isdir(path):
            return EX_NOEXEC, "%s: Is a directory" % name
        if not os.access(path, os.X_OK):
            return EX_NOEXEC, "%s: Permission denied" % name
        return False

    if "/" in name:
        found = problem(name)
        if found is None:
            return EX_NOTFOUND, "%s: No such file or directory" % name
        return found or None
    first = None
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        found = problem(os.path.join(folder or ".", name))
        if found is False:
            return None
        if found is not None and first is None:
            first = found
    return first or (EX_NOTFOUND, "%s: command not found" % name)


class _Runner(object):
    SIGNALS = tuple(getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n))

    def __init__(self, prog):
        self.prog = prog            # in usage lines
        self.name = "lockrun"       # in messages
        self.quiet = False
        self.mode = "defer"      # defer: note signals; raise: interrupt the wait; forward: to COMMAND
        self.pending = []
        self.proc = None

    # messages: one line each on stderr, never a traceback
    def say(self, message):
        try:
            sys.stderr.write("%s: %s\n" % (self.name, message))
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    def notice(self, message):
        if not self.quiet:
            self.say(message)

    @staticmethod
    def _interactive():
        try:
            return sys.stderr.isatty()
        except (AttributeError, OSError, ValueError):
            return False

    def on_signal(self, signum, frame):
        if self.mode == "raise":
            self.mode = "defer"
            raise _Signalled(signum)
        self.pending.append(signum)
        proc = self.proc
        if self.mode == "forward" and proc is not None and proc.returncode is None:
            try:
                proc.send_signal(signum)
            except OSError:
                pass

    def run(self, argv):
        try:
            args = _run_parser(self.prog).parse_args(argv)
            command = list(args.command)
            if command and command[0] == "--":
                command = command[1:]
            if not command:
                raise _UsageError("no COMMAND given")
            url = args.url or os.environ.get("LOCKSERVER_URL")
            if not url:
                raise _UsageError("no server URL: give --url URL or set LOCKSERVER_URL")
            lockname = args.lock or os.environ.get("LOCKSERVER_LOCK") or DEFAULT_LOCK
            wait = None if args.wait is None or math.isinf(args.wait) else args.wait
            user = args.user or os.environ.get("LOCKSERVER_USER") or None
            cafile = args.cafile or os.environ.get("LOCKSERVER_CAFILE") or None
            try:
                parts = _check_url(url)
                if user is None and parts.username is not None and parts.password is None:
                    user = urllib.parse.unquote(parts.username)     # user@ without a password
                if user is not None and ":" in user:
                    raise ValueError("a user name cannot contain ':' (HTTP Basic auth): %r" % user)
                context = None if cafile is None else tls_context(cafile)
            except ValueError as e:
                raise _UsageError(str(e))
        except _UsageError as e:
            self.say("%s (see %s --help)" % (e, self.prog))
            return EX_USAGE
        except SystemExit as e:         # --help
            return e.code if isinstance(e.code, int) else 0
        self.quiet = args.quiet
        self._setup_logging(args.verbose, args.quiet)

        problem = _find_command(command[0])
        if problem is not None:
            self.say(problem[1])
            return problem[0]
        try:
            password = None if user is None else self._password(user, url)
            lock = Lock(url, lockname, http_timeout=args.http_timeout, ssl_context=context,
                        username=user, password=password)
        except (_UsageError, ValueError) as e:
            self.say("%s (see %s --help)" % (e, self.prog))
            return EX_USAGE
        info = args.info
        if info is None:
            info = "lockrun on %s: %s" % (socket.gethostname(),
                                          " ".join(shlex.quote(a) for a in command))

        old_handlers = {}
        for signum in self.SIGNALS:
            try:
                old_handlers[signum] = signal.signal(signum, self.on_signal)
            except (OSError, ValueError):
                pass
        try:
            # one Lock, so one kept-alive connection, for the query, the wait, the heartbeat and the release
            return self._locked_run(lock, command, info, wait, args.heartbeat)
        finally:
            lock.close()
            self.mode = "defer"
            for signum, handler in old_handlers.items():
                try:
                    signal.signal(signum, handler)
                except (OSError, ValueError, TypeError):
                    pass

    def _password(self, user, url):
        """$LOCKSERVER_PASSWORD, else asked on the terminal; _UsageError if neither."""
        password = os.environ.get("LOCKSERVER_PASSWORD")
        if password is not None:
            return password
        try:
            interactive = sys.stdin is not None and sys.stdin.isatty()
        except (AttributeError, OSError, ValueError):
            interactive = False
        if not interactive:
            raise _UsageError("no password for user %r: set LOCKSERVER_PASSWORD (lockrun asks "
                              "for it only when stdin is a terminal)" % user)
        try:
            return getpass.getpass("%s: password of %s at %s: " % (
                self.name, user, _split_userinfo(urllib.parse.urlsplit(url))[0]))
        except EOFError:
            raise _UsageError("no password given for user %r" % user)

    def _setup_logging(self, verbose, quiet):
        """Library warnings (heartbeat trouble, lost slot) as one line each; all calls if verbose."""
        if quiet and not verbose:
            return
        logger = logging.getLogger("lockcli")
        handler = logging.StreamHandler(sys.stderr)
        if verbose:
            handler.setFormatter(logging.Formatter(self.name + ": %(message)s"))
            logger.setLevel(logging.DEBUG)
        else:
            handler.setFormatter(logging.Formatter(self.name + ": warning: %(message)s"))
            handler.setLevel(logging.WARNING)
        logger.addHandler(handler)

    def _locked_run(self, lock, command, info, wait, heartbeat):
        start = time.monotonic()
        try:
            lock.query(info)
        except LockError as e:
            self.say(str(e))
            return EX_UNAVAILABLE
        if self.pending:
            lock._cancel()
            return 128 + self.pending[0]

        outcome = None
        try:
            try:
                self.mode = "raise"
                if self.pending:
                    self.mode = "defer"
                    raise _Signalled(self.pending[0])
                outcome = self._acquire(lock, start, wait)
            finally:
                self.mode = "defer"
        except _Signalled as s:
            lock._cancel()
            return 128 + s.signum
        if outcome is not None:             # (exit status, message)
            lock._cancel()
            status, message = outcome
            if status == EX_TEMPFAIL:
                self.notice(message)
            else:
                self.say(message)
            return status
        return self._run_command(lock, command, heartbeat)

    def _acquire(self, lock, start, wait):
        """None once granted, else (exit status, message)."""
        try:
            st = lock.check()               # claims a grant made at once by the query
            if st.get("state") == "granted":
                lock._granted(checked=True)
                return None
            if st.get("state") == "gone":
                return EX_UNAVAILABLE, "lock %s: the server dropped the ticket" % lock.lockname
            remaining = None if wait is None else wait - (time.monotonic() - start)
            if (remaining is None or remaining > 0) and self._interactive():
                self.notice("waiting for lock %s (queued at position %s)"
                            % (lock.lockname, st.get("position", "?")))
            lock.wait(None if remaining is None else max(0.0, remaining))
            return None
        except LockTimeout:
            return EX_TEMPFAIL, "timed out after %s s waiting for lock %s" % (
                fmt_seconds(wait), lock.lockname)
        except LockError as e:
            return EX_UNAVAILABLE, str(e)

    def _run_command(self, lock, command, heartbeat):
        if heartbeat is None:
            left = 0.0
            try:
                left = float(lock.check().get("left", 0.0))
            except (LockError, TypeError, ValueError):
                pass
            heartbeat = min(60.0, left / 3.0) if left > 0 else 60.0
            heartbeat = max(heartbeat, 0.5)
        if math.isinf(heartbeat):
            heartbeat = 0

        env = dict(os.environ)
        env.pop("LOCKSERVER_PASSWORD", None)      # COMMAND has no business with it
        env["LOCKRUN_LOCK"] = lock.lockname
        env["LOCKRUN_TICKET"] = lock.ticket or ""
        env["LOCKRUN_TOKEN"] = lock.token or ""

        self.mode = "forward"
        status = None
        try:
            if self.pending:                    # signalled between grant and start
                status = 128 + self.pending[0]
            else:
                if heartbeat:
                    lock.start_heartbeat(heartbeat)
                try:
                    self.proc = subprocess.Popen(command, env=env)
                except FileNotFoundError:
                    status = EX_NOTFOUND
                    self.say("%s: command not found" % command[0])
                except (PermissionError, IsADirectoryError):
                    status = EX_NOEXEC
                    self.say("%s: Permission denied" % command[0])
                except (OSError, ValueError, subprocess.SubprocessError) as e:
                    status = EX_NOEXEC
                    self.say("%s: cannot run: %s" % (command[0], e))
                if self.proc is not None:
                    for signum in self.pending:
                        try:
                            self.proc.send_signal(signum)
                        except OSError:
                            pass
                    rc = self.proc.wait()
                    status = rc if rc >= 0 else 128 - rc
        finally:
            self.mode = "defer"
            try:
                if not lock.release(timeout=min(lock.http_timeout, 10.0)) and not lock.lost:
                    self.notice("warning: lock %s was already gone on release" % lock.lockname)
            except LockError as e:
                self.notice("warning: could not release lock %s: %s" % (lock.lockname, e))
        return status


def main_run(argv=None, prog="lockrun"):
    """The lockrun command; returns its exit status."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        return _Runner(prog).run(list(argv))
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except Exception as e:          # no tracebacks for users
        try:
            sys.stderr.write("%s: internal error: %s: %s\n" % (prog, type(e).__name__, e))
        except (OSError, ValueError):
            pass
        return EX_SOFTWARE


def main(argv=None):
    """``python3 -m lockcli run ...``: the lockrun command."""
    if argv is None:
        argv = sys.argv[1:]
    usage = "usage: python3 -m lockcli run [options] [--] COMMAND [ARGS...]  (see: python3 -m lockcli run --help)\n"
    if argv and argv[0] == "run":
        return main_run(argv[1:], prog="python3 -m lockcli run")
    if argv and argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(usage)
        return 0
    sys.stderr.write(usage)
    return EX_USAGE


if __name__ == "__main__":
    sys.exit(main())
