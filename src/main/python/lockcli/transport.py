"""XML-RPC calls to one lockserver over kept-alive HTTP/1.1 (or HTTPS) connections.

``Transport`` knows the server's URL, the HTTP Basic credentials and the TLS context;
``call`` sends one XML-RPC call and turns every kind of trouble into a LockError
subclass (faults.py) whose message never shows a password. Thread-safe: calls made at
the same time each get a connection of their own (pool.py).
"""

from __future__ import annotations

import base64
import http.client
import logging
import socket
import ssl
import sys
import urllib.parse
import xml.parsers.expat
import xmlrpc.client
from typing import Any, Optional, Sequence, Tuple

from .faults import (FAULT_NAMES, FAULT_NOT_ALLOWED, FAULT_UNAUTHENTICATED, LockError, LockFault,
                     LockHttpError, LockNoAnswer, LockUnreachable)
from .pool import Pool

__version__ = "0.1.0"      # the lockcli distribution's version, as pom.xml's (PythonWheelTest)

log = logging.getLogger("lockcli")
log.addHandler(logging.NullHandler())

#: socket timeout (s) of every call; a lock.wait call gets the wait asked plus this
DEFAULT_HTTP_TIMEOUT = 15.0

_USER_AGENT = "lockcli/%s (Python %d.%d)" % ((__version__,) + tuple(sys.version_info[:2]))
#: the longest answer read (bytes)
_MAX_ANSWER = 16 << 20
#: errors saying that the server closed (or reset) the connection
_CLOSED = (ConnectionError, http.client.RemoteDisconnected, ssl.SSLZeroReturnError, ssl.SSLEOFError)


def redact_url(url: str) -> str:
    """The URL without the password of its user info (for messages and logs)."""
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.password is None:
            return url
    except ValueError:
        return url
    netloc = "%s:***@%s" % (parts.username or "", parts.netloc.rpartition("@")[2])
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def check_url(url: str) -> urllib.parse.SplitResult:
    """The parts of a lockserver URL; ValueError (without the password) if it is not one."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port      # raises ValueError on a bad port
    except ValueError as e:
        raise ValueError("bad lockserver URL %r: %s" % (redact_url(url), e))
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("unsupported lockserver URL %r: use http:// or https://" % redact_url(url))
    return parts


def split_userinfo(parts: urllib.parse.SplitResult) -> Tuple[str, Optional[str], Optional[str]]:
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


def tls_context(cafile: Optional[str] = None) -> ssl.SSLContext:
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


def fmt_seconds(value: float) -> str:
    """12 -> '12', 0.5 -> '0.5', 1.25 -> '1.25'."""
    text = "%.3f" % value
    return text.rstrip("0").rstrip(".") if "." in text else text


class Transport:
    """XML-RPC calls to the server at ``url`` (http:// or https://, user:password@ allowed).

    ``username``, ``password``: HTTP Basic credentials that win over the URL's user info
    (``password`` alone goes with the URL's user). ``cafile`` or ``ssl_context``: whom to
    trust for https (default: the system's CAs). ValueError for a bad URL or CA file.
    Attributes: ``safe_url`` (the URL for messages: no password), ``username`` (the user
    sent, or None), ``ssl_context`` (for https, else as given).
    """

    def __init__(self, url: str, username: Optional[str] = None, password: Optional[str] = None,
                 cafile: Optional[str] = None, ssl_context: Optional[ssl.SSLContext] = None,
                 logger: Optional[logging.Logger] = None) -> None:
        parts = check_url(url)
        endpoint, url_user, url_password = split_userinfo(parts)
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
        https = parts.scheme.lower() == "https"
        if cafile is not None:
            ssl_context = tls_context(cafile)
        elif ssl_context is None and https:
            ssl_context = tls_context()
        self.safe_url = redact_url(url) if username is None and password is None \
            else _shown_url(endpoint, user, secret is not None)
        self.username = user
        self.ssl_context = ssl_context
        self.log = logger if logger is not None else log
        self._endpoint = endpoint
        self._https = https
        self._handler = urllib.parse.urlunsplit(("", "", parts.path, parts.query, "")) or "/RPC2"
        self._headers = {"Content-Type": "text/xml", "User-Agent": _USER_AGENT}
        if user is not None:
            self._headers["Authorization"] = _basic_auth(user, "" if secret is None else secret)
        self._pool = Pool(parts.netloc.rpartition("@")[2], ssl_context if https else None)

    def close(self) -> None:
        """Close the idle kept-alive connections; a later call opens a new one."""
        self._pool.clear()

    def call(self, method: str, args: Sequence[Any], timeout: float) -> Any:
        """One XML-RPC call; its result, else a LockError (or a subclass).

        ``timeout``: the socket timeout in seconds (connect, send, each read).
        """
        try:
            return self._rpc(method, args, timeout)
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
            raise LockHttpError("%slockserver at %s answered %s with HTTP %s %s%s" % (
                prefix, self.safe_url, method, e.errcode, e.errmsg, hint), e.errcode, e.errmsg)
        except socket.timeout:
            raise LockNoAnswer("no answer from lockserver at %s to %s within %s s" % (
                self.safe_url, method, fmt_seconds(timeout)))
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
        except http.client.RemoteDisconnected as e:
            raise LockNoAnswer("cannot reach lockserver at %s: %s" % (
                self.safe_url, str(e) or type(e).__name__))
        except http.client.BadStatusLine as e:
            line, hint = str(e), ""
            if not self._https and line.startswith("\x15\x03"):      # a TLS alert record
                hint = " (the server speaks TLS: use an https:// URL)"
            raise LockUnreachable("cannot reach lockserver at %s: not an HTTP answer: %r%s" % (
                self.safe_url, line[:40], hint))
        except (OSError, http.client.IncompleteRead) as e:
            # refused, reset, closed in the middle of the answer, unknown or unreachable host
            raise LockNoAnswer("cannot reach lockserver at %s: %s" % (
                self.safe_url, str(e) or type(e).__name__))
        except http.client.HTTPException as e:
            raise LockUnreachable("cannot reach lockserver at %s: %s" % (
                self.safe_url, str(e) or type(e).__name__))
        except (xmlrpc.client.ResponseError, xml.parsers.expat.ExpatError) as e:
            raise LockError("bad answer from lockserver at %s to %s: %s" % (
                self.safe_url, method, e))
        except (ValueError, TypeError) as e:
            raise LockError("call %s to lockserver at %s failed: %s" % (method, self.safe_url, e))

    def _rpc(self, method, args, seconds):
        """One XML-RPC call on a kept-alive connection of the pool; xmlrpc.client, http.client
        and socket exceptions."""
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
