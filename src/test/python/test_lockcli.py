"""Tests of the lockcli module and the lockrun command against a running lockserver.

Run:  LOCKSERVER_URL=http://127.0.0.1:PORT/RPC2 python3 -m unittest discover -s src/test/python -v

The server must have ALLOW_REMOTE_CREATE=true: each test creates its own lock
with lock.create, so tests never share a lock.
"""

import http.client
import http.server
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import unittest.mock
import urllib.parse
import uuid
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)      # netfakes
from client_under_test import CHILD_ENV, LOCKRUN  # noqa: E402  (before lockcli)

import lockcli  # noqa: E402
import lockcli.pool  # noqa: E402
from netfakes import HolderServer, ScriptedServer, TcpProxy, wait_close_seen  # noqa: E402

URL = os.environ.get("LOCKSERVER_URL", "")


def setUpModule():
    if not URL:
        raise RuntimeError(
            "LOCKSERVER_URL is not set: these tests need a running lockserver "
            "(with ALLOW_REMOTE_CREATE=true), e.g. LOCKSERVER_URL=http://127.0.0.1:9090/RPC2")
    try:
        rpc().server.ping()
    except Exception as e:
        raise RuntimeError("lockserver at LOCKSERVER_URL=%s does not answer server.ping: %s"
                           % (URL, e))


# ---------------------------------------------------------------------------
# helpers

class _Transport(xmlrpc.client.Transport):
    def __init__(self, timeout):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


class rpc(object):
    """Plain xmlrpc.client calls, independent of lockcli: ``rpc().lock.status(name)``.

    Each call uses its own connection and closes it.
    """

    def __init__(self, timeout=10.0, url=None, name=None):
        self._timeout, self._url, self._name = timeout, url or URL, name

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return rpc(self._timeout, self._url, attr if self._name is None else self._name + "." + attr)

    def __call__(self, *args):
        proxy = xmlrpc.client.ServerProxy(self._url, transport=_Transport(self._timeout))
        try:
            return getattr(proxy, self._name)(*args)
        finally:
            proxy("close")()


def new_lock(size, tag="t"):
    """Create a lock of its own for one test (names: [A-Za-z0-9][A-Za-z0-9_.:-]{0,63})."""
    name = "py-%s-%s" % (tag[:30], uuid.uuid4().hex[:12])
    created = rpc().lock.create(name, size)
    if created is not True:
        raise AssertionError("lock.create(%r, %d) returned %r" % (name, size, created))
    return name


def status(name):
    return rpc().lock.status(name)


def counts(name):
    """name, size, granted and queued of ``name`` from lock.status (a newer server tells more)."""
    st = status(name)
    return {key: st[key] for key in ("name", "size", "granted", "queued")}


def free_url():
    """A URL at a port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d/RPC2" % port


def wait_until(predicate, timeout=10.0, what="condition"):
    """Poll ``predicate`` until it returns a true value, at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(0.05)


def child_env(**extra):
    env = dict(os.environ)
    env.pop("LOCKSERVER_URL", None)
    env.pop("LOCKSERVER_LOCK", None)
    for var in ("LOCKSERVER_USER", "LOCKSERVER_PASSWORD", "LOCKSERVER_CAFILE"):   # lockrun reads them too
        env.pop(var, None)
    env.update(extra)
    return env


def snippet(url, lockname, hold, on_hold=None):
    """The documented user code, with the 30 s job shortened; returns what it saw."""
    l = lockcli.Lock(url, lockname)
    if l.lock_query("i queried a lock from %s" % socket.gethostname()):
        if l.lock_wait():
            if on_hold:
                on_hold(+1)
            time.sleep(hold)  # the hard job
            if on_hold:
                on_hold(-1)
            return l.lock_release()
    return False


class RecordingProxy(object):
    """An HTTP proxy in front of the server that records the XML-RPC method names."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.calls = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                _, method = xmlrpc.client.loads(body)
                with proxy._lock:
                    proxy.calls.append(method)
                conn = http.client.HTTPConnection(proxy.upstream.hostname,
                                                  proxy.upstream.port, timeout=60)
                conn.request("POST", proxy.upstream.path or "/RPC2", body,
                             {"Content-Type": "text/xml"})
                answer = conn.getresponse()
                data = answer.read()
                conn.close()
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d/RPC2" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self, method):
        with self._lock:
            return self.calls.count(method)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class LockTestCase(unittest.TestCase):
    def hold(self, name):
        """Take a slot of ``name`` with plain XML-RPC calls; released at cleanup."""
        ticket = rpc().lock.query(name, "held by the test")
        self.assertTrue(rpc().lock.wait(ticket, 5), "test could not take a slot of %s" % name)
        self.addCleanup(lambda: rpc().lock.release(ticket))
        return ticket


# ---------------------------------------------------------------------------
# the library

class LibraryTest(LockTestCase):

    def test_snippet_ten_copies_on_size_six(self):
        name = new_lock(6, "snippet")
        guard = threading.Lock()
        holding = [0]
        most = [0]
        most_granted = [0]

        def on_hold(delta):
            with guard:
                holding[0] += delta
                most[0] = max(most[0], holding[0])

        results = [None] * 10

        def worker(i):
            results[i] = snippet(URL, name, 0.3, on_hold)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            most_granted[0] = max(most_granted[0], status(name)["granted"])
            time.sleep(0.02)
        for t in threads:
            t.join(15)
        self.assertEqual(results, [True] * 10, "every copy must be served and released")
        self.assertLessEqual(most[0], 6, "more than 6 held the lock at once")
        self.assertGreaterEqual(most[0], 2, "the copies never overlapped")
        self.assertLessEqual(most_granted[0], 6, "lock.status showed more than 6 granted")
        self.assertEqual(counts(name), {"name": name, "size": 6, "granted": 0, "queued": 0})

    def test_lock_wait_times_out_when_full(self):
        name = new_lock(1, "waitfull")
        self.hold(name)
        l = lockcli.Lock(URL, name)
        self.assertTrue(l.lock_query("waiter"))
        t0 = time.monotonic()
        self.assertFalse(l.lock_wait(1.0))
        elapsed = time.monotonic() - t0
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 4.0)
        self.assertIsInstance(l.last_error, lockcli.LockTimeout)
        st = l.lock_check()     # the ticket stays queued after a timeout
        self.assertEqual((st["state"], st["position"], st["lock"]), ("queued", 1, name))
        self.assertTrue(l.lock_release())   # cancels the queued ticket
        self.assertEqual(status(name)["queued"], 0)

    def test_lock_wait_zero_tries_once(self):
        name = new_lock(1, "waitzero")
        self.hold(name)
        l = lockcli.Lock(URL, name)
        self.assertTrue(l.lock_query("waiter"))
        t0 = time.monotonic()
        self.assertFalse(l.lock_wait(0))
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertTrue(l.lock_release())

    def test_long_wait_outlasts_http_timeout(self):
        # a wait call's socket timeout is the wait asked plus http_timeout
        name = new_lock(1, "longwait")
        self.hold(name)
        l = lockcli.Lock(URL, name, http_timeout=0.5)
        self.assertTrue(l.lock_query("waiter"))
        t0 = time.monotonic()
        self.assertFalse(l.lock_wait(2.5))
        self.assertGreaterEqual(time.monotonic() - t0, 2.4)
        self.assertIsInstance(l.last_error, lockcli.LockTimeout)
        self.assertTrue(l.lock_release())

    def test_lock_wait_forever_is_granted_after_release(self):
        name = new_lock(1, "forever")
        holder = self.hold(name)
        l = lockcli.Lock(URL, name)
        self.assertTrue(l.lock_query("waiter"))
        result = []
        t = threading.Thread(target=lambda: result.append(l.lock_wait()))
        t.start()
        wait_until(lambda: status(name)["queued"] == 1, what="the waiter to be queued")
        self.assertTrue(rpc().lock.release(holder))
        t.join(10)
        self.assertEqual(result, [True])
        self.assertEqual(l.state, "granted")
        self.assertTrue(l.token and l.token.isdigit(), "token %r" % l.token)
        self.assertTrue(l.lock_release())
        self.assertEqual(status(name)["granted"], 0)

    def test_lock_wait_false_when_ticket_gone(self):
        name = new_lock(1, "gone")
        self.hold(name)
        l = lockcli.Lock(URL, name)
        self.assertTrue(l.lock_query("waiter"))
        self.assertTrue(rpc().lock.release(l.ticket))   # behind its back
        t0 = time.monotonic()
        self.assertFalse(l.lock_wait(10))
        self.assertLess(time.monotonic() - t0, 5.0, "a gone ticket must not wait out the timeout")
        self.assertIsInstance(l.last_error, lockcli.LockGone)
        self.assertEqual(l.state, "gone")

    def test_lock_query_false_when_server_down(self):
        l = lockcli.Lock(free_url(), "DefaultLock", http_timeout=5)
        with self.assertLogs("lockcli", logging.WARNING) as logs:
            t0 = time.monotonic()
            self.assertFalse(l.lock_query("nobody listens"))
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertIsNone(l.ticket)
        self.assertIsInstance(l.last_error, lockcli.LockUnreachable)
        self.assertIn("cannot reach lockserver", "\n".join(logs.output))
        self.assertFalse(l.lock_wait(1))
        self.assertFalse(l.lock_release())

    def test_lock_query_false_on_fault(self):
        l = lockcli.Lock(URL, "no-such-lock-" + uuid.uuid4().hex[:8])
        with self.assertLogs("lockcli", logging.WARNING) as logs:
            self.assertFalse(l.lock_query("x"))
        self.assertIsInstance(l.last_error, lockcli.LockFault)
        self.assertEqual(l.last_error.code, lockcli.FAULT_UNKNOWN_LOCK)
        self.assertIn("UNKNOWN_LOCK", "\n".join(logs.output))

    def test_fault_constants_match_api(self):
        self.assertEqual(
            [lockcli.FAULT_UNKNOWN_LOCK, lockcli.FAULT_BAD_TICKET, lockcli.FAULT_BAD_ARGUMENT,
             lockcli.FAULT_UNKNOWN_METHOD, lockcli.FAULT_QUEUE_FULL, lockcli.FAULT_NOT_ALLOWED,
             lockcli.FAULT_SHUTTING_DOWN, lockcli.FAULT_BAD_REQUEST, lockcli.FAULT_INTERNAL],
            [1, 2, 3, 4, 5, 6, 7, 8, 99])
        # and the server uses them: a malformed ticket is BAD_TICKET
        with self.assertRaises(xmlrpc.client.Fault) as cm:
            rpc().lock.check("not-a-ticket")
        self.assertEqual(cm.exception.faultCode, lockcli.FAULT_BAD_TICKET)

    def test_check_renew_release_and_tokens(self):
        name = new_lock(1, "calls")
        tokens = []
        for _ in range(2):
            l = lockcli.Lock(URL, name)
            self.assertTrue(l.lock_query("info text"))
            self.assertRegex(l.ticket, "^[0-9a-f]{32}$")
            self.assertTrue(l.lock_wait(5))
            st = l.lock_check()
            self.assertEqual((st["state"], st["lock"], st["info"], st["ticket"]),
                             ("granted", name, "info text", l.ticket))
            self.assertEqual(st["token"], l.token)
            self.assertGreater(st["left"], 0)
            self.assertTrue(l.lock_renew())
            self.assertEqual(status(name)["granted"], 1)
            ticket = l.ticket
            self.assertTrue(l.lock_release())
            self.assertIsNone(l.ticket)
            self.assertEqual(rpc().lock.check(ticket)["state"], "gone")
            tokens.append(int(st["token"]))
        self.assertGreater(tokens[1], tokens[0], "fencing tokens must grow")
        self.assertFalse(l.lock_release(), "nothing left to release")
        self.assertFalse(l.lock_renew())
        self.assertEqual(status(name)["granted"], 0)

    def test_info_is_made_acceptable(self):
        name = new_lock(1, "info")
        l = lockcli.Lock(URL, name)
        self.assertTrue(l.lock_query("ctl\x01\x1b chars " + "x" * 3000))
        info = l.lock_check()["info"]
        self.assertLessEqual(len(info), lockcli.MAX_INFO_CHARS)
        self.assertTrue(info.startswith("ctl?? chars xxx"))
        self.assertTrue(l.lock_release())

    def test_acquired_releases_on_exception(self):
        name = new_lock(2, "ctxexc")
        lock = lockcli.Lock(URL, name)
        with self.assertRaises(ZeroDivisionError):
            with lock.acquired("context", timeout=5) as l:
                self.assertIs(l, lock)
                self.assertEqual(status(name)["granted"], 1)
                self.assertEqual(l.lock_check()["state"], "granted")
                1 / 0
        self.assertEqual(counts(name), {"name": name, "size": 2, "granted": 0, "queued": 0})
        self.assertIsNone(lock.ticket)

    def test_acquired_raises_lock_timeout_when_full(self):
        name = new_lock(1, "ctxfull")
        self.hold(name)
        t0 = time.monotonic()
        with self.assertRaises(lockcli.LockTimeout) as cm:
            with lockcli.Lock(URL, name).acquired("context", timeout=0.5):
                self.fail("the block must not run")
        self.assertLess(time.monotonic() - t0, 4.0)
        self.assertIsInstance(cm.exception, lockcli.LockError)
        self.assertIn("timed out after 0.5 s waiting for lock %s" % name, str(cm.exception))
        self.assertEqual(status(name)["queued"], 0, "the queued ticket must be cancelled")

    def test_acquired_raises_lock_error_when_unreachable_or_refused(self):
        with self.assertRaises(lockcli.LockError) as cm:
            with lockcli.Lock(free_url(), "DefaultLock").acquired("x", timeout=1):
                self.fail("the block must not run")
        self.assertNotIsInstance(cm.exception, lockcli.LockTimeout)
        self.assertIn("cannot reach lockserver", str(cm.exception))
        with self.assertRaises(lockcli.LockFault) as cm:
            with lockcli.Lock(URL, "no-such-lock-" + uuid.uuid4().hex[:8]).acquired("x", timeout=1):
                self.fail("the block must not run")
        self.assertEqual(cm.exception.code, lockcli.FAULT_UNKNOWN_LOCK)

    def test_heartbeat_renews_while_held_and_stops_on_release(self):
        name = new_lock(1, "heartbeat")
        proxy = RecordingProxy(URL)
        self.addCleanup(proxy.close)
        lock = lockcli.Lock(proxy.url, name)
        with lock.acquired("heartbeat", timeout=5, heartbeat=0.2):
            wait_until(lambda: proxy.count("lock.check") >= 3 and lock.renewals >= 3,
                       timeout=5, what="3 heartbeats (lock.check)")
            self.assertTrue(lock.heartbeat_running)
            self.assertEqual(lock.lock_check()["state"], "granted")
        self.assertFalse(lock.heartbeat_running, "the heartbeat must stop on release")
        self.assertEqual(status(name)["granted"], 0)
        self.assertFalse(lock.lost)

    def test_heartbeat_from_constructor_and_lost_ticket(self):
        name = new_lock(1, "lost")
        seen = []
        lock = lockcli.Lock(URL, name, heartbeat=0.2, on_lost=seen.append)
        self.assertTrue(lock.lock_query("heartbeat"))
        self.assertTrue(lock.lock_wait(5))
        self.assertTrue(lock.heartbeat_running)
        wait_until(lambda: lock.renewals >= 1, timeout=5, what="a renewal")
        self.assertTrue(rpc().lock.release(lock.ticket))    # the server drops the ticket
        wait_until(lambda: lock.lost, timeout=5, what="the heartbeat to notice the loss")
        self.assertEqual(seen, [lock])
        self.assertEqual(lock.state, "gone")
        wait_until(lambda: not lock.heartbeat_running, timeout=5, what="the heartbeat to end")

    def test_redact_url(self):
        self.assertEqual(lockcli.redact_url("http://u:secret@h:1/RPC2"), "http://u:***@h:1/RPC2")
        self.assertEqual(lockcli.redact_url("http://h:1/RPC2"), "http://h:1/RPC2")
        l = lockcli.Lock("http://u:secret@127.0.0.1:1/RPC2", "x")
        self.assertFalse(l.lock_query("x"))
        self.assertNotIn("secret", str(l.last_error))


    def test_bad_ticket_options_are_value_errors_naming_the_argument_before_any_call(self):
        proxy = RecordingProxy(URL)
        self.addCleanup(proxy.close)
        lock = lockcli.Lock(proxy.url, new_lock(1, "badopt"))
        for options, named in [
            (dict(permits=0), "permits must be >= 1"),
            (dict(permits=1.5), "permits must be a whole number"),
            (dict(priority=10), "priority must be 0 to 9"),
            (dict(priority=-1), "priority must be 0 to 9"),
            (dict(permits=2, exclusive=True), "permits and exclusive do not go together"),
            (dict(exclusive="yes"), "exclusive must be True or False"),
        ]:
            for call in (lambda: lock.query("x", **options), lambda: lock.lock_query("x", **options)):
                with self.assertRaises(ValueError) as cm:
                    call()
                self.assertIn(named, str(cm.exception))
                self.assertEqual(len(str(cm.exception).splitlines()), 1)
            with self.assertRaises(ValueError):
                with lock.acquired("x", timeout=1, **options):
                    self.fail("the block must not run")
        self.assertEqual(proxy.calls, [], "nothing may be sent for a bad option")


class TicketOptionsOnTheWireTest(unittest.TestCase):
    """What lockcli sends and does with the answers, against a fake server (the server's
    side of options and revocations: test_revoke_watch.py, against a real one)."""

    def fake(self):
        fake = HolderServer()
        self.addCleanup(fake.close)
        return fake

    def test_options_go_in_the_struct_only_when_given(self):
        fake = self.fake()
        lock = lockcli.Lock(fake.url, "L")
        lock.query("plain")
        lock.query("two", permits=2)
        lock.query("all", exclusive=True, priority=9)
        lock.query("not exclusive", exclusive=False, priority=0)
        self.assertEqual(fake.params("lock.query"), [
            ["L", "plain"], ["L", "two", {"permits": 2}], ["L", "all", {"exclusive": True, "priority": 9}],
            ["L", "not exclusive", {"priority": 0}]])

    def test_options_go_with_the_retry_key_to_several_servers(self):
        fake = self.fake()
        lock = lockcli.Lock([fake.url, free_url()], "L")
        lock.query("x", permits=3, priority=1)
        (args,) = fake.params("lock.query")
        self.assertEqual(args[:2], ["L", "x"])
        self.assertEqual(sorted(args[2]), ["key", "permits", "priority"])
        self.assertEqual((args[2]["permits"], args[2]["priority"]), (3, 1))

    def test_heartbeat_records_a_revocation_and_calls_back_once(self):
        fake = self.fake()
        seen = []
        lock = lockcli.Lock(fake.url, "L", heartbeat=0.1, on_revoke=seen.append)
        self.assertTrue(lock.lock_query("x"))
        self.assertTrue(lock.lock_wait(5))
        self.assertIsNone(lock.revoked)
        fake.extra = {"revoke": "disk maintenance", "revoke_in": 30.0}
        wait_until(lambda: seen, timeout=5, what="the revocation notice")
        self.assertEqual(lock.revoked.reason, "disk maintenance")
        self.assertEqual(lock.revoked.seconds, 30.0)
        self.assertGreater(lock.revoked.deadline, time.monotonic())
        checks = len(fake.params("lock.check"))
        wait_until(lambda: len(fake.params("lock.check")) >= checks + 3, timeout=5,
                   what="more heartbeats after the notice")
        self.assertEqual(seen, [lock], "on_revoke is called once")
        self.assertTrue(lock.heartbeat_running, "a revoked ticket is still held until let go")
        self.assertFalse(lock.lost)
        self.assertTrue(lock.lock_release())
        self.assertIsNone(lock.revoked, "a revocation belongs to its ticket")

    def test_no_revocation_in_an_empty_reason(self):
        fake = self.fake()
        fake.extra = {"revoke": "", "revoke_in": 0.0}
        lock = lockcli.Lock(fake.url, "L", on_revoke=lambda l: self.fail("no revocation"))
        lock.query("x")
        self.assertEqual(lock.check()["state"], "granted")
        self.assertIsNone(lock.revoked)


class PackageTest(unittest.TestCase):
    def test_names_of_the_one_file_module_are_still_exported(self):
        exported = set(lockcli.__all__)
        self.assertLessEqual({
            "Lock", "LockError", "LockTimeout", "LockFault", "LockUnreachable", "LockGone",
            "main", "main_run", "redact_url", "tls_context",
            "FAULT_UNKNOWN_LOCK", "FAULT_BAD_TICKET", "FAULT_BAD_ARGUMENT", "FAULT_UNKNOWN_METHOD",
            "FAULT_QUEUE_FULL", "FAULT_NOT_ALLOWED", "FAULT_SHUTTING_DOWN", "FAULT_BAD_REQUEST",
            "FAULT_BAD_CONFIG", "FAULT_UNAUTHENTICATED", "FAULT_INTERNAL"}, exported)
        for name in exported | {"FAULT_NAMES", "DEFAULT_LOCK", "DEFAULT_HTTP_TIMEOUT", "WAIT_CHUNK",
                                "MAX_INFO_CHARS", "MAX_IDLE", "clean_info", "default_info",
                                "fmt_seconds", "log", "__version__", "EX_USAGE", "EX_UNAVAILABLE",
                                "EX_SOFTWARE", "EX_TEMPFAIL", "EX_NOEXEC", "EX_NOTFOUND"}:
            self.assertTrue(hasattr(lockcli, name), name)

    def test_fault_names_come_from_the_fault_table(self):
        self.assertEqual(lockcli.Fault(10).name, "UNAUTHENTICATED")
        self.assertEqual(lockcli.FAULT_NAMES[lockcli.FAULT_INTERNAL], "INTERNAL")
        self.assertEqual(lockcli.LockFault("m", 42, "newer").name, "UNKNOWN")
        self.assertEqual(lockcli.LockFault("m", 2, "bad").name, "BAD_TICKET")


# ---------------------------------------------------------------------------
# keep-alive: one connection per Lock, reopened when the server closed it

def no_close_seen():
    """lockcli not seeing that the server closed an idle connection (its FIN still on the
    way when the next call goes out): the case where only sending again can help."""
    return unittest.mock.patch.object(lockcli.pool, "_has_input", return_value=False)


class KeepAliveTest(LockTestCase):
    """Against the real server, through a TCP proxy that counts lockcli's connections."""

    def proxy(self, port=0):
        proxy = TcpProxy(URL, port)
        self.addCleanup(proxy.close)
        return proxy

    def test_calls_share_one_connection(self):
        name = new_lock(1, "ka-one")
        proxy = self.proxy()
        lock = lockcli.Lock(proxy.url, name)
        self.assertTrue(lock.query("keep-alive"))
        self.assertTrue(lock.wait(5))               # lock.wait, then lock.check for the token
        self.assertEqual(lock.check()["state"], "granted")
        self.assertTrue(lock.renew())
        self.assertTrue(lock.release())
        with lock.acquired("again", timeout=5):
            self.assertEqual(status(name)["granted"], 1)
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 0, "queued": 0})
        self.assertEqual(proxy.count(), 1, "10 calls of one Lock must share one connection")
        self.assertEqual(proxy.ended_by_client, 0)
        lock.close()
        wait_until(lambda: proxy.ended_by_client == 1, timeout=5, what="close() to close the connection")
        self.assertTrue(lock.lock_query("after close"))     # a new one
        self.assertTrue(lock.lock_release())
        self.assertEqual(proxy.count(), 2)

    def test_connection_closed_by_the_server_is_reopened(self):
        name = new_lock(1, "ka-closed")
        proxy = self.proxy()
        lock = lockcli.Lock(proxy.url, name)
        self.assertTrue(lock.query("before"))
        proxy.drop()                                # the server's idle timeout, say
        wait_close_seen(lock)
        with self.assertLogs("lockcli", logging.DEBUG) as logs:
            self.assertTrue(lock.wait(5))           # seen closed: a new connection, nothing resent
        self.assertNotIn(" again ", "\n".join(logs.output))
        self.assertEqual(proxy.count(), 2)
        proxy.drop()
        with no_close_seen(), self.assertLogs("lockcli", logging.DEBUG) as logs:
            self.assertTrue(lock.renew())           # sent on the closed one, then again on a new one
        self.assertIn("sending lock.renew again", "\n".join(logs.output))
        self.assertEqual(proxy.count(), 3)
        self.assertTrue(lock.release())
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 0, "queued": 0})

    def test_query_resent_on_a_closed_connection_queues_one_ticket(self):
        name = new_lock(1, "ka-query")
        self.hold(name)
        proxy = self.proxy()
        lock = lockcli.Lock(proxy.url, name)
        self.assertTrue(lock.query("first"))        # queued behind the test's hold...
        self.assertTrue(lock.release())             # ...and cancelled: the connection stays open
        self.assertEqual(status(name)["queued"], 0)
        proxy.drop()
        with no_close_seen():
            self.assertTrue(lock.query("sent twice?"))
        self.assertEqual(proxy.count(), 2)
        self.assertEqual(status(name)["queued"], 1, "the query must have queued one ticket")
        self.assertTrue(lock.release())
        self.assertEqual(status(name)["queued"], 0)

    def test_server_restart_between_calls(self):
        name = new_lock(1, "ka-restart")
        proxy = self.proxy()
        lock = lockcli.Lock(proxy.url, name, http_timeout=5)
        self.assertTrue(lock.query("restart"))
        self.assertTrue(lock.wait(5))
        port = proxy.port
        proxy.close()                               # the server goes away...
        t0 = time.monotonic()
        with self.assertRaises(lockcli.LockUnreachable):
            lock.renew()
        self.assertLess(time.monotonic() - t0, 3)
        proxy = self.proxy(port)                    # ...and comes back on its port
        self.assertTrue(lock.renew())
        self.assertEqual(lock.check()["state"], "granted")
        self.assertTrue(lock.release())
        self.assertEqual(proxy.count(), 1)
        proxy.close()                               # a restart with the connection idle
        proxy = self.proxy(port)
        self.assertTrue(lock.lock_query("after the restart"), lock.last_error)
        self.assertTrue(lock.lock_release(), lock.last_error)
        self.assertEqual(proxy.count(), 1)

    def test_idle_connection_older_than_max_idle_is_not_reused(self):
        proxy = self.proxy()
        lock = lockcli.Lock(proxy.url, "DefaultLock")
        now = [1000.0]
        with unittest.mock.patch.object(lockcli.pool, "_clock", lambda: now[0]):
            self.assertTrue(lock.lock_query("idle"))
            now[0] += lockcli.MAX_IDLE - 1
            self.assertEqual(lock.lock_check()["state"], "granted")     # young enough: reused
            self.assertEqual(proxy.count(), 1)
            now[0] += lockcli.MAX_IDLE + 1
            self.assertTrue(lock.lock_release())
        self.assertEqual(proxy.count(), 2)
        wait_until(lambda: proxy.ended_by_client == 1, timeout=5, what="the old connection to be closed")

    def test_threads_sharing_a_lock_never_share_a_connection(self):
        name = new_lock(1, "ka-threads")
        proxy = self.proxy()
        lock = lockcli.Lock(proxy.url, name, heartbeat=0.01)
        self.assertTrue(lock.query("threads"))
        self.assertTrue(lock.wait(5))
        self.assertTrue(lock.heartbeat_running)
        results, errors = [], []
        # watch the pool: which connections are out (taken, not given back) at any moment
        pool, out, peak, shared, watch = lock._servers.transports[0]._pool, set(), [0], [], threading.Lock()
        take, give_back = pool.take, pool.give_back

        def watched_take(timeout):
            conn, reused = take(timeout)
            with watch:
                if conn in out:
                    shared.append(conn)
                out.add(conn)
                peak[0] = max(peak[0], len(out))
            return conn, reused

        def watched_give_back(conn):
            with watch:
                out.discard(conn)
            give_back(conn)

        pool.take, pool.give_back = watched_take, watched_give_back

        def work():
            try:
                for _ in range(25):
                    results.append(lock.renew())
                    results.append(lock.check()["state"] == "granted")
            except Exception as e:
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(results, [True] * 200)
        self.assertGreater(lock.renewals, 0)
        self.assertFalse(lock.lost)
        self.assertTrue(lock.release())
        self.assertLessEqual(len(lock._servers.transports[0]._pool._idle), 2)
        self.assertEqual(shared, [], "a connection was handed to a second thread while out")
        # 4 workers and the heartbeat: at most one connection each at a time. (The proxy's
        # count of connections opened is no bound: the pool keeps only two idle, so a
        # busy moment closes one that a later moment must open again.)
        self.assertLessEqual(peak[0], 5, "at most one connection per thread at a time")
        self.assertGreaterEqual(peak[0], 1)

    def test_wait_with_timeout_still_times_out(self):
        name = new_lock(1, "ka-timeout")
        self.hold(name)
        proxy = self.proxy()
        lock = lockcli.Lock(proxy.url, name, http_timeout=2)
        self.assertTrue(lock.query("full"))
        t0 = time.monotonic()
        with self.assertRaises(lockcli.LockTimeout):
            lock.wait(1)
        self.assertLess(time.monotonic() - t0, 3)
        self.assertTrue(lock.release())
        self.assertEqual(proxy.count(), 1)

    def test_lockrun_uses_one_connection(self):
        name = new_lock(1, "ka-lockrun")
        proxy = self.proxy()
        proc = subprocess.run([LOCKRUN, "--url", proxy.url, "--lock", name, "--heartbeat", "0.1",
                               "--", "sleep", "0.5"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, env=child_env(), timeout=15)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        self.assertEqual(status(name)["granted"], 0)
        self.assertEqual(proxy.count(), 1, "query, check, wait, check, renew... and release: one connection")
        wait_until(lambda: proxy.ended_by_client == 1, timeout=5, what="lockrun to close its connection")


class ResendRuleTest(unittest.TestCase):
    """When lockcli sends a call again, against a scripted fake server: only on a reused
    connection that the server closed before any byte of an answer, once."""

    def fake(self, *script):
        fake = ScriptedServer(script)
        self.addCleanup(fake.close)
        return fake

    def test_idle_close_unseen_is_resent_once_on_a_new_connection(self):
        fake = self.fake("answer+close")
        lock = lockcli.Lock(fake.url, "L", http_timeout=5)
        self.assertEqual(lock.query("x"), "ticket-0")
        wait_close_seen(lock)
        with no_close_seen():
            self.assertTrue(lock.renew())
        self.assertEqual(fake.methods(), ["lock.query", "lock.renew"])
        self.assertEqual(fake.connections, 2)

    def test_new_connection_closed_without_answer_is_not_resent(self):
        fake = self.fake("close")
        lock = lockcli.Lock(fake.url, "L", http_timeout=5)
        with self.assertRaises(lockcli.LockUnreachable) as cm:
            lock.query("x")
        self.assertIn("closed connection without response", str(cm.exception))
        self.assertEqual(fake.methods(), ["lock.query"])

    def test_part_of_an_answer_then_a_reset_is_not_resent(self):
        fake = self.fake("answer", "partial")
        lock = lockcli.Lock(fake.url, "L", http_timeout=5)
        self.assertEqual(lock.query("x"), "ticket-0")
        with self.assertRaises(lockcli.LockUnreachable) as cm:
            lock.release()
        self.assertIn("reset", str(cm.exception))
        self.assertEqual(fake.methods(), ["lock.query", "lock.release"])
        self.assertEqual(lock.ticket, "ticket-0", "kept for a retry")

    def test_timeout_on_a_reused_connection_is_not_resent(self):
        fake = self.fake("answer", "hang")
        lock = lockcli.Lock(fake.url, "L", http_timeout=0.5)
        self.assertEqual(lock.query("x"), "ticket-0")
        t0 = time.monotonic()
        with self.assertRaises(lockcli.LockUnreachable) as cm:
            lock.check()
        self.assertLess(time.monotonic() - t0, 3)
        self.assertIn("within 0.5 s", str(cm.exception))
        self.assertEqual(fake.methods(), ["lock.query", "lock.check"])

    def test_connection_of_a_call_that_failed_is_not_reused(self):
        fake = self.fake("answer", ("late", 1.0))
        lock = lockcli.Lock(fake.url, "L", http_timeout=0.3)
        self.assertEqual(lock.query("x"), "ticket-0")
        with self.assertRaises(lockcli.LockUnreachable):
            lock.renew()                            # its answer (True) comes after the timeout
        st = lock.check()                           # must not read that late answer
        self.assertEqual(st["n"], 2)
        self.assertEqual(fake.connections, 2)
        self.assertEqual(fake.methods(), ["lock.query", "lock.renew", "lock.check"])

    def test_sent_again_at_most_once(self):
        # a request read whole and not answered on a reused connection looks like the idle
        # close to the client: sent again, once (the rule trusts the server to close only
        # between requests); a new connection failing the same way ends the call
        fake = self.fake("answer", "close", "close")
        lock = lockcli.Lock(fake.url, "L", http_timeout=5)
        self.assertEqual(lock.query("x"), "ticket-0")
        with self.assertRaises(lockcli.LockUnreachable):
            lock.renew()
        self.assertEqual(fake.methods(), ["lock.query", "lock.renew", "lock.renew"])
        self.assertEqual(fake.connections, 2)
        self.assertTrue(lock.renew())               # and the Lock still works


# ---------------------------------------------------------------------------
# lockrun

class LockrunTest(LockTestCase):

    def lockrun(self, args, env=None, timeout=15, cmd=None):
        started = time.monotonic()
        proc = subprocess.run((cmd or [LOCKRUN]) + args, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True,
                              env=env or child_env(), timeout=timeout)
        proc.elapsed = time.monotonic() - started
        self.assertNotIn("Traceback", proc.stderr)
        return proc

    def assertOneLine(self, text, contains):
        self.assertEqual(len(text.splitlines()), 1, "want one line on stderr, got %r" % text)
        self.assertIn(contains, text)

    def test_exit_status_passed_through_and_slot_released(self):
        name = new_lock(1, "status")
        p = self.lockrun(["--url", URL, "--lock", name, "--", "sh", "-c", "exit 3"])
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 0, "queued": 0})

    def test_command_runs_holding_the_slot(self):
        name = new_lock(1, "holds")
        code = ("import os, xmlrpc.client as x; "
                "print(x.ServerProxy(%r).lock.status(os.environ['LOCKRUN_LOCK'])['granted'], "
                "os.environ['LOCKRUN_TOKEN'], len(os.environ['LOCKRUN_TICKET']))" % URL)
        p = self.lockrun(["--url", URL, "--lock", name, sys.executable, "-c", code])
        self.assertEqual(p.returncode, 0, p.stderr)
        granted, token, ticket_len = p.stdout.split()
        self.assertEqual(granted, "1")
        self.assertTrue(token.isdigit(), token)
        self.assertEqual(ticket_len, "32")
        self.assertEqual(status(name)["granted"], 0)

    def test_default_info_names_host_and_command(self):
        name = new_lock(1, "info")
        code = ("import os, xmlrpc.client as x; "
                "print(x.ServerProxy(%r).lock.check(os.environ['LOCKRUN_TICKET'])['info'])" % URL)
        p = self.lockrun(["--url", URL, "--lock", name, sys.executable, "-c", code])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("lockrun on %s: " % socket.gethostname()), p.stdout)
        self.assertIn(" -c ", p.stdout)
        p = self.lockrun(["--url", URL, "--lock", name, "--info", "nightly job",
                          sys.executable, "-c", code])
        self.assertEqual(p.stdout.strip(), "nightly job")

    def test_waits_for_the_lock_then_runs(self):
        name = new_lock(1, "waits")
        holder = self.hold(name)
        proc = subprocess.Popen([LOCKRUN, "--url", URL, "--lock", name, "--", "sh", "-c", "exit 0"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                universal_newlines=True, env=child_env())
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        wait_until(lambda: status(name)["queued"] == 1, what="lockrun to queue")
        self.assertIsNone(proc.poll(), "lockrun must wait while the lock is full")
        self.assertTrue(rpc().lock.release(holder))
        out, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err, "", "no notice when stderr is not a terminal")
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 0, "queued": 0})

    def test_wait_timeout_exits_75(self):
        name = new_lock(1, "timeout")
        self.hold(name)
        p = self.lockrun(["--url", URL, "--lock", name, "--wait", "0.5", "--", "true"])
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertEqual(p.stderr, "lockrun: timed out after 0.5 s waiting for lock %s\n" % name)
        self.assertLess(p.elapsed, 8)
        self.assertEqual(status(name)["queued"], 0, "the queued ticket must be cancelled")
        # --wait 0: one try; --quiet: no message
        p = self.lockrun(["--url", URL, "--lock", name, "--wait", "0", "--quiet", "--", "true"])
        self.assertEqual(p.returncode, 75)
        self.assertEqual(p.stderr, "")
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 1, "queued": 0})

    def test_heartbeat_while_command_runs(self):
        name = new_lock(1, "runbeat")
        proxy = RecordingProxy(URL)
        self.addCleanup(proxy.close)
        with tempfile.TemporaryDirectory() as tmp:
            go = os.path.join(tmp, "go")
            proc = subprocess.Popen(
                [LOCKRUN, "--url", proxy.url, "--lock", name, "--heartbeat", "0.2", "--",
                 "sh", "-c", 'while [ ! -e "$0" ]; do sleep 0.05; done', go],
                stderr=subprocess.PIPE, universal_newlines=True, env=child_env())
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            # two checks before COMMAND starts (the grant's token, the time left), then heartbeats
            wait_until(lambda: proxy.count("lock.check") >= 4, what="2 heartbeats (lock.check) from lockrun")
            self.assertEqual(status(name)["granted"], 1)
            open(go, "w").close()
            _, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 0, err)
        self.assertEqual(err, "")
        self.assertEqual(status(name)["granted"], 0)
        self.assertEqual(proxy.calls[-1], "lock.release")

    def test_sigterm_while_command_runs(self):
        name = new_lock(1, "sigterm")
        with tempfile.TemporaryDirectory() as tmp:
            pidfile = os.path.join(tmp, "pid")
            proc = subprocess.Popen(
                [LOCKRUN, "--url", URL, "--lock", name, "--",
                 "sh", "-c", 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec sleep 30', pidfile],
                stderr=subprocess.PIPE, universal_newlines=True, env=child_env())
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            wait_until(lambda: os.path.exists(pidfile), what="the command to start")
            with open(pidfile) as f:
                child = int(f.read())
            self.assertEqual(status(name)["granted"], 1)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM, err)
        self.assertEqual(status(name)["granted"], 0, "the slot must be released")

        def child_gone():
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                return True
            return False
        wait_until(child_gone, timeout=5, what="the command to die of the forwarded signal")

    def test_signalled_command_status_wins(self):
        # a command that handles the forwarded signal decides the exit status
        name = new_lock(1, "trap")
        with tempfile.TemporaryDirectory() as tmp:
            ready = os.path.join(tmp, "ready")
            proc = subprocess.Popen(
                [LOCKRUN, "--url", URL, "--lock", name, "--", "sh", "-c",
                 'trap "exit 7" TERM; touch "$0"; while :; do sleep 0.1; done', ready],
                stderr=subprocess.PIPE, universal_newlines=True, env=child_env())
            self.addCleanup(lambda: proc.poll() is None and proc.kill())
            wait_until(lambda: os.path.exists(ready), what="the command to start")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 7, err)
        self.assertEqual(status(name)["granted"], 0)

    def test_sigterm_while_waiting_cancels_the_ticket(self):
        name = new_lock(1, "sigwait")
        self.hold(name)
        proc = subprocess.Popen([LOCKRUN, "--url", URL, "--lock", name, "--quiet", "--", "true"],
                                stderr=subprocess.PIPE, universal_newlines=True, env=child_env())
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        wait_until(lambda: status(name)["queued"] == 1, what="lockrun to queue")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
        self.assertEqual(proc.returncode, 128 + signal.SIGTERM, err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 1, "queued": 0})

    def test_command_not_found_127(self):
        name = new_lock(1, "notfound")
        p = self.lockrun(["--url", URL, "--lock", name, "--", "no-such-command-%s" % uuid.uuid4().hex])
        self.assertEqual(p.returncode, 127)
        self.assertOneLine(p.stderr, "command not found")
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 0, "queued": 0})

    def test_command_not_executable_126(self):
        name = new_lock(1, "noexec")
        with tempfile.TemporaryDirectory() as tmp:
            plain = os.path.join(tmp, "plain")
            with open(plain, "w") as f:
                f.write("echo hi\n")
            os.chmod(plain, 0o644)
            p = self.lockrun(["--url", URL, "--lock", name, "--", plain])
            self.assertEqual(p.returncode, 126)
            self.assertOneLine(p.stderr, "Permission denied")
            # executable, but the kernel cannot start it (no #! line): fails after the grant
            garbage = os.path.join(tmp, "garbage")
            with open(garbage, "wb") as f:
                f.write(b"\x7fELF\x00\x00garbage")
            os.chmod(garbage, 0o755)
            p = self.lockrun(["--url", URL, "--lock", name, "--", garbage])
            self.assertEqual(p.returncode, 126)
            self.assertOneLine(p.stderr, "garbage")
        self.assertEqual(counts(name), {"name": name, "size": 1, "granted": 0, "queued": 0})

    def test_server_unreachable_69(self):
        p = self.lockrun(["--url", free_url(), "--", "true"])
        self.assertEqual(p.returncode, 69)
        self.assertOneLine(p.stderr, "lockrun: cannot reach lockserver at http://127.0.0.1:")

    def test_unknown_lock_69(self):
        p = self.lockrun(["--url", URL, "--lock", "no-such-lock-" + uuid.uuid4().hex[:8], "--", "true"])
        self.assertEqual(p.returncode, 69)
        self.assertOneLine(p.stderr, "UNKNOWN_LOCK")

    def test_usage_errors_64(self):
        for args, env in [
            (["--url", URL], None),                                  # no command
            (["--", "true"], child_env()),                          # no URL
            (["--url", URL, "--wait", "soon", "--", "true"], None),
            (["--url", URL, "--wait", "-1", "--", "true"], None),
            (["--url", URL, "--bogus", "--", "true"], None),
            (["--url", "ftp://host/RPC2", "--", "true"], None),
        ]:
            p = self.lockrun(args, env=env)
            self.assertEqual(p.returncode, 64, "%s: %s" % (args, p.stderr))
            self.assertOneLine(p.stderr, "lockrun: ")

    def test_usage_error_names_the_option_or_variable_with_the_bad_value(self):
        for args, env, named in [
            (["--url", "ftp://host/RPC2", "--", "true"], None, "lockrun: --url: "),
            (["--", "true"], child_env(LOCKSERVER_URL="http://host:99999/RPC2"), "lockrun: $LOCKSERVER_URL: "),
            (["--url", URL, "--cafile", "/no/such/ca.pem", "--", "true"], None, "lockrun: --cafile: "),
            (["--url", URL, "--", "true"], child_env(LOCKSERVER_CAFILE="/no/such/ca.pem"),
             "lockrun: $LOCKSERVER_CAFILE: "),
            (["--url", URL, "--user", "a:b", "--", "true"], None, "lockrun: --user: "),
            (["--url", URL, "--wait", "soon", "--", "true"], None, "lockrun: argument -w/--wait: "),
        ]:
            p = self.lockrun(args, env=env)
            self.assertEqual(p.returncode, 64, "%s: %s" % (args, p.stderr))
            self.assertOneLine(p.stderr, named)
        p = self.lockrun(["--help"])
        self.assertEqual(p.returncode, 0)
        self.assertIn("LOCKSERVER_URL", p.stdout)

    def test_url_from_environment(self):
        name = new_lock(1, "env")
        p = self.lockrun(["--lock", name, "--", "sh", "-c", "exit 5"],
                         env=child_env(LOCKSERVER_URL=URL))
        self.assertEqual(p.returncode, 5, p.stderr)
        p = self.lockrun(["--", "sh", "-c", 'test "$LOCKRUN_LOCK" = "$0"', name],
                         env=child_env(LOCKSERVER_URL=URL, LOCKSERVER_LOCK=name))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(status(name)["granted"], 0)

    def test_default_lock_is_DefaultLock(self):
        p = self.lockrun(["--url", URL, "--", "sh", "-c", 'test "$LOCKRUN_LOCK" = DefaultLock'])
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_python_m_lockcli_run(self):
        name = new_lock(1, "module")
        p = self.lockrun(["-m", "lockcli", "run", "--url", URL, "--lock", name,
                          "--", "sh", "-c", "exit 4"],
                         cmd=[sys.executable], env=child_env(**CHILD_ENV))
        self.assertEqual(p.returncode, 4, p.stderr)
        self.assertEqual(status(name)["granted"], 0)
        p = self.lockrun(["-m", "lockcli", "run", "--url", free_url(), "--", "true"],
                         cmd=[sys.executable], env=child_env(**CHILD_ENV))
        self.assertEqual(p.returncode, 69)


def stop(proc, tmp):
    """Ends lockrun ``proc`` if it still runs, and its command's process group (the command
    wrote its pid to ``tmp``/pid): a killed lockrun cannot pass a signal on."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
    try:
        with open(os.path.join(tmp, "pid")) as f:
            os.killpg(int(f.read()), signal.SIGKILL)
    except (OSError, ValueError):
        pass                    # not started, or ended with its group


def alive(pid):
    """True while process ``pid`` runs (a zombie counts as ended)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


class StderrLines(object):
    """The lines child ``proc`` writes on its stderr (a pipe), read as they come by a thread."""

    def __init__(self, proc):
        self.proc = proc
        self.lines = []
        self._thread = threading.Thread(target=self._read, args=(proc.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            self.lines.append(line)

    def text(self):
        """What came so far; all of it once the child has ended."""
        if self.proc.poll() is not None:
            self._thread.join(10)
        return "".join(self.lines)


class LockrunLostSlotTest(LockTestCase):
    """lockrun's command when the slot is lost (--on-lost, --kill-after, exit 76) or revoked."""

    def start(self, script, *options, url=None, name=None):
        """lockrun running ``sh -c SCRIPT DIR`` with a heartbeat every 0.2 s, once the script
        has written its ticket and lock to DIR/ticket and DIR/lock and made DIR/ready; (process, DIR, stderr)."""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        argv = [LOCKRUN, "--url", url or URL, "--lock", name or new_lock(1, "lost"), "--heartbeat", "0.2"]
        argv += list(options) + ["--", "sh", "-c", 'echo $$ > "$0/pid"; echo "$LOCKRUN_TICKET" > "$0/ticket"; '
                                 'echo "$LOCKRUN_LOCK" > "$0/lock"; ' + script, tmp]
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE, universal_newlines=True, env=child_env())
        self.addCleanup(proc.stderr.close)
        self.addCleanup(stop, proc, tmp)
        err = StderrLines(proc)
        wait_until(lambda: os.path.exists(os.path.join(tmp, "ready")) or proc.poll() is not None,
                   what="the command to start")
        self.assertIsNone(proc.poll(), err.text())
        return proc, tmp, err

    @staticmethod
    def read(tmp, name):
        with open(os.path.join(tmp, name)) as f:
            return f.read().strip()

    def force_release(self, tmp):
        self.assertTrue(rpc().admin.release(self.read(tmp, "ticket")))

    # a shell that survives SIGTERM (and says it got one), with a child that does not
    STUBBORN = ('trap \'touch "$0/term"\' TERM; sleep 100 & echo $! > "$0/sleep"; touch "$0/ready"; '
                'while :; do sleep 0.1; done; touch "$0/after"')

    def test_lost_slot_sigterm_then_sigkill_after_kill_after_exit_76(self):
        proc, tmp, err = self.start(self.STUBBORN, "--kill-after", "1")
        sleeper = int(self.read(tmp, "sleep"))
        self.force_release(tmp)
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 76, err.text())
        self.assertEqual(lockcli.EX_LOST, 76)
        self.assertTrue(os.path.exists(os.path.join(tmp, "term")), "the command must get SIGTERM first")
        self.assertFalse(os.path.exists(os.path.join(tmp, "after")))
        wait_until(lambda: not alive(sleeper), timeout=5, what="the command's own child to end (its group)")
        self.assertIn("lockrun: lock %s: the slot is lost: stopping COMMAND (SIGTERM, SIGKILL in 1 s"
                      % self.read(tmp, "lock"), err.text())
        self.assertNotIn("already gone", err.text())

    def test_lost_slot_sigterm_stops_a_shell_and_what_it_started(self):
        proc, tmp, err = self.start('sleep 100 & echo $! > "$0/sleep"; touch "$0/ready"; wait; touch "$0/after"',
                                    "--kill-after", "600")
        sleeper = int(self.read(tmp, "sleep"))
        self.force_release(tmp)
        proc.wait(timeout=30)               # well before --kill-after: SIGTERM did it
        self.assertEqual(proc.returncode, 76, err.text())
        wait_until(lambda: not alive(sleeper), timeout=5, what="sleep 100 to end")
        self.assertFalse(os.path.exists(os.path.join(tmp, "after")))

    def test_on_lost_kill_sends_sigkill_at_once(self):
        proc, tmp, err = self.start(self.STUBBORN, "--on-lost", "kill", "--kill-after", "600")
        self.force_release(tmp)
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 76, err.text())
        self.assertFalse(os.path.exists(os.path.join(tmp, "term")), "no SIGTERM with --on-lost=kill")
        self.assertIn("SIGKILL", err.text())

    def test_on_lost_warn_lets_the_command_run_to_its_end(self):
        name = new_lock(1, "warn")
        proc, tmp, err = self.start('touch "$0/ready"; while [ ! -e "$0/go" ]; do sleep 0.05; done; '
                                    'touch "$0/after"; exit 5', "--on-lost", "warn", name=name)
        self.force_release(tmp)
        wait_until(lambda: "is gone" in err.text(), timeout=10, what="the warning of the lost slot")
        self.assertIsNone(proc.poll(), "--on-lost=warn must let the command run")
        open(os.path.join(tmp, "go"), "w").close()
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 5, err.text())
        self.assertTrue(os.path.exists(os.path.join(tmp, "after")))
        self.assertEqual(counts(name)["granted"], 0)

    def test_revocation_sends_sigterm_then_releases_with_the_commands_status(self):
        fake = HolderServer()                   # revocations on a real server: test_revoke_watch.py
        self.addCleanup(fake.close)
        proc, tmp, err = self.start('trap "exit 9" TERM; touch "$0/ready"; while :; do sleep 0.05; done',
                                    "--on-lost", "kill", url=fake.url, name="L")
        fake.extra = {"revoke": "disk swap at noon", "revoke_in": 60.0}
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 9, err.text())
        self.assertIn("disk swap at noon", err.text())
        self.assertEqual(fake.methods()[-1], "lock.release")

    def test_revocation_with_on_lost_warn_only_warns(self):
        fake = HolderServer()
        self.addCleanup(fake.close)
        proc, tmp, err = self.start('touch "$0/ready"; while [ ! -e "$0/go" ]; do sleep 0.05; done; exit 4',
                                    "--on-lost", "warn", url=fake.url, name="L")
        fake.extra = {"revoke": "disk swap at noon", "revoke_in": 60.0}
        wait_until(lambda: "disk swap at noon" in err.text(), timeout=10, what="the warning")
        self.assertIsNone(proc.poll())
        open(os.path.join(tmp, "go"), "w").close()
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 4, err.text())

    def test_option_errors_64_name_the_option(self):
        for args, named in [
            (["--permits", "0"], "argument --permits: "),
            (["--permits", "two"], "argument --permits: "),
            (["--priority", "10"], "argument --priority: "),
            (["--priority", "-1"], "argument --priority: "),
            (["--permits", "2", "--exclusive"], "lockrun: --permits and --exclusive"),
            (["--on-lost", "ignore"], "argument --on-lost: "),
            (["--kill-after", "-1"], "argument --kill-after: "),
        ]:
            p = subprocess.run([LOCKRUN, "--url", URL] + args + ["--", "true"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, universal_newlines=True, env=child_env(), timeout=15)
            self.assertEqual(p.returncode, 64, "%s: %s" % (args, p.stderr))
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
            self.assertIn(named, p.stderr)

    def test_help_documents_the_lost_slot_and_its_exit_status(self):
        p = subprocess.run([LOCKRUN, "--help"], stdout=subprocess.PIPE, universal_newlines=True, timeout=15)
        self.assertEqual(p.returncode, 0)
        for text in ("--on-lost", "--kill-after", "--permits", "--exclusive", "--priority", "\n  76 "):
            self.assertIn(text, p.stdout)


if __name__ == "__main__":
    unittest.main()
