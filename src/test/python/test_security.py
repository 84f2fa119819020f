"""Tests of lockcli and lockrun with HTTP Basic auth and TLS.

The tests against a server need a lockserver with TLS and users; they are skipped
unless LOCKSERVER_SECURE_URL is set (the JUnit harness
src/test/java/lockserver/client/PythonSecurityTest.java starts such a server and
sets everything). Environment:

  LOCKSERVER_SECURE_URL           https://127.0.0.1:PORT/RPC2 of the server, without credentials
  LOCKSERVER_CAFILE               PEM file of the CA that signed the server's certificate
                                  (its certificate for both 127.0.0.1 and localhost)
  LOCKSERVER_TEST_CLIENT          a user of ROLE=client ...
  LOCKSERVER_TEST_CLIENT_PASSWORD ... and its password
  LOCKSERVER_TEST_CLIENT_LOCK     the only lock LOCKS allows that user (default DefaultLock)
  LOCKSERVER_TEST_OTHER_LOCK      an existing lock the client user may not use (default san02)
  LOCKSERVER_TEST_ADMIN           a user of ROLE=admin ...
  LOCKSERVER_TEST_ADMIN_PASSWORD  ... and its password
  The server must have ALLOW_REMOTE_CREATE=true (the admin creates a lock per test).

Run:  LOCKSERVER_SECURE_URL=... python3 -m unittest discover -s src/test/python -p test_security.py -v

The tests of the credentials sent (a fake HTTP server records the Authorization
header) need no server and always run.
"""

import base64
import http.server
import logging
import os
import pty
import select
import signal
import ssl
import subprocess
import sys
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
from client_under_test import LOCKRUN  # noqa: E402  (before lockcli)

import lockcli  # noqa: E402
import lockcli.pool  # noqa: E402
from netfakes import TcpProxy, wait_close_seen  # noqa: E402

SECURE_URL = os.environ.get("LOCKSERVER_SECURE_URL", "")
CAFILE = os.environ.get("LOCKSERVER_CAFILE", "")
CLIENT = os.environ.get("LOCKSERVER_TEST_CLIENT", "")
CLIENT_PW = os.environ.get("LOCKSERVER_TEST_CLIENT_PASSWORD", "")
CLIENT_LOCK = os.environ.get("LOCKSERVER_TEST_CLIENT_LOCK", "DefaultLock")
OTHER_LOCK = os.environ.get("LOCKSERVER_TEST_OTHER_LOCK", "san02")
ADMIN = os.environ.get("LOCKSERVER_TEST_ADMIN", "")
ADMIN_PW = os.environ.get("LOCKSERVER_TEST_ADMIN_PASSWORD", "")

SKIP_REASON = ("LOCKSERVER_SECURE_URL is not set: these tests need a lockserver with TLS and users "
               "(run by the JUnit test PythonSecurityTest, which starts one)")
WRONG_PW = "wrong-pw-" + uuid.uuid4().hex[:8]


def with_userinfo(url, user, password):
    """``url`` with user:password@ (percent-encoded) in it."""
    parts = urllib.parse.urlsplit(url)
    netloc = "%s:%s@%s" % (urllib.parse.quote(user, safe=""), urllib.parse.quote(password, safe=""),
                           parts.netloc)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class _SafeTransport(xmlrpc.client.SafeTransport):
    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = 10.0
        return conn


def admin(method, *args):
    """A plain xmlrpc.client call as the admin user (credentials in the URL), independent of lockcli."""
    transport = _SafeTransport(context=ssl.create_default_context(cafile=CAFILE))
    proxy = xmlrpc.client.ServerProxy(with_userinfo(SECURE_URL, ADMIN, ADMIN_PW), transport=transport)
    try:
        return getattr(proxy, method)(*args)
    except xmlrpc.client.ProtocolError as e:      # its text holds the URL, password and all
        raise AssertionError("%s as %s: HTTP %s %s" % (method, ADMIN, e.errcode, e.errmsg)) from None
    finally:
        proxy("close")()


def new_lock(size=1, tag="sec"):
    name = "pysec-%s-%s" % (tag[:20], uuid.uuid4().hex[:12])
    if admin("lock.create", name, size) is not True:
        raise AssertionError("lock.create(%r) failed" % name)
    return name


def granted(name):
    return admin("lock.status", name)["granted"]


def child_env(**extra):
    env = dict(os.environ)
    for var in ("LOCKSERVER_URL", "LOCKSERVER_LOCK", "LOCKSERVER_USER", "LOCKSERVER_PASSWORD",
                "LOCKSERVER_CAFILE", "LOCKSERVER_SECURE_URL", "LOCKSERVER_TEST_CLIENT_PASSWORD",
                "LOCKSERVER_TEST_ADMIN_PASSWORD"):
        env.pop(var, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def setUpModule():
    if not SECURE_URL:
        return      # the server tests skip themselves, with SKIP_REASON
    missing = [v for v, value in (("LOCKSERVER_CAFILE", CAFILE), ("LOCKSERVER_TEST_CLIENT", CLIENT),
                                  ("LOCKSERVER_TEST_CLIENT_PASSWORD", CLIENT_PW),
                                  ("LOCKSERVER_TEST_ADMIN", ADMIN),
                                  ("LOCKSERVER_TEST_ADMIN_PASSWORD", ADMIN_PW)) if not value]
    if missing:
        raise RuntimeError("LOCKSERVER_SECURE_URL is set but not %s" % ", ".join(missing))
    if not SECURE_URL.startswith("https://"):
        raise RuntimeError("LOCKSERVER_SECURE_URL must be an https:// URL, got %r" % SECURE_URL)
    try:
        admin("server.ping")
    except Exception as e:
        raise RuntimeError("lockserver at LOCKSERVER_SECURE_URL=%s does not answer server.ping as %s: %s"
                           % (SECURE_URL, ADMIN, e))


# ---------------------------------------------------------------------------
# the credentials sent: no server needed

class _RecordingServer(object):
    """A fake XML-RPC server that records the Authorization header and answers server.ping."""

    def __init__(self):
        self.headers = []
        me = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                me.headers.append(self.headers.get("Authorization"))
                body = xmlrpc.client.dumps(("0123456789abcdef0123456789abcdef",), methodresponse=True)
                data = body.encode("utf-8")
                self.send_response(200)
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

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CredentialsSentTest(unittest.TestCase):
    """What Authorization header lockcli sends (HTTP Basic), against a recording fake server."""

    @classmethod
    def setUpClass(cls):
        cls.fake = _RecordingServer()

    @classmethod
    def tearDownClass(cls):
        cls.fake.close()

    def sent(self, url, **kw):
        del self.fake.headers[:]
        lock = lockcli.Lock(url, "L", http_timeout=5, **kw)
        self.assertEqual(lock.query("x"), "0123456789abcdef0123456789abcdef", lock.last_error)
        self.assertEqual(len(self.fake.headers), 1)
        header = self.fake.headers[0]
        if header is None:
            return None
        self.assertTrue(header.startswith("Basic "), header)
        return base64.b64decode(header[6:]).decode("utf-8")

    def with_user(self, user, password):
        return with_userinfo(self.fake.url, user, password)

    def test_no_credentials_no_header(self):
        self.assertIsNone(self.sent(self.fake.url))

    def test_credentials_from_url_are_percent_decoded(self):
        self.assertEqual(self.sent(self.with_user("bob", "p w:@/,%é")), "bob:p w:@/,%é")

    def test_credentials_from_arguments(self):
        self.assertEqual(self.sent(self.fake.url, username="alice", password="s3:cr@t é"),
                         "alice:s3:cr@t é")

    def test_arguments_win_over_the_url(self):
        self.assertEqual(self.sent(self.with_user("bob", "bobs"), username="alice", password="alices"),
                         "alice:alices")
        # a password alone goes with the URL's user
        self.assertEqual(self.sent(self.with_user("bob", "old"), password="new"), "bob:new")
        self.assertEqual(self.sent(self.fake.url.replace("//", "//carol@"), password="pw"), "carol:pw")

    def test_bad_credential_arguments_are_refused(self):
        with self.assertRaises(ValueError):
            lockcli.Lock(self.fake.url, "L", password="no user")
        with self.assertRaises(ValueError):
            lockcli.Lock(self.fake.url, "L", username="a:b", password="x")

    def test_password_never_in_messages_or_logs(self):
        secret = "s3cr3t-" + uuid.uuid4().hex[:6]
        nobody = "http://127.0.0.1:1/RPC2"          # nothing listens on port 1
        for url, kw in ((self.fake.url, {"username": "alice", "password": secret}),
                        (self.with_user("alice", secret), {})):
            lock = lockcli.Lock(url, "L", **kw)
            self.assertNotIn(secret, repr(lock))
            self.assertNotIn(secret, lock.safe_url)
            self.assertIn("alice:***@", lock.safe_url)
            self.assertEqual(lock.username, "alice")
        for url, kw in ((nobody, {"username": "alice", "password": secret}),
                        (with_userinfo(nobody, "alice", secret), {})):
            lock = lockcli.Lock(url, "L", http_timeout=2, **kw)
            with self.assertLogs("lockcli", logging.DEBUG) as logs:
                self.assertFalse(lock.lock_query("x"))
            self.assertNotIn(secret, "\n".join(logs.output))
            self.assertNotIn(secret, str(lock.last_error))
            self.assertIn("alice:***@", str(lock.last_error))


# ---------------------------------------------------------------------------
# the library against the TLS server with users

@unittest.skipUnless(SECURE_URL, SKIP_REASON)
class SecureLibraryTest(unittest.TestCase):

    def lock(self, name=None, url=None, **kw):
        kw.setdefault("http_timeout", 10)
        return lockcli.Lock(url or SECURE_URL, name or CLIENT_LOCK, **kw)

    def test_query_wait_release_over_tls_with_cafile_and_credentials(self):
        lock = self.lock(username=CLIENT, password=CLIENT_PW, cafile=CAFILE)
        self.assertEqual(lock.cafile, CAFILE)
        self.assertTrue(lock.lock_query("python security test"), lock.last_error)
        self.addCleanup(lock.lock_release)
        self.assertTrue(lock.lock_wait(5), lock.last_error)
        self.assertTrue(lock.held)
        self.assertTrue(lock.token and lock.token.isdigit(), lock.token)
        self.assertEqual(lock.lock_check()["state"], "granted")
        self.assertTrue(lock.lock_renew())
        self.assertTrue(lock.lock_release())
        self.assertIsNone(lock.ticket)

    def test_credentials_in_the_url(self):
        name = new_lock(1, "url")
        lock = self.lock(name, url=with_userinfo(SECURE_URL, ADMIN, ADMIN_PW), cafile=CAFILE)
        self.assertNotIn(ADMIN_PW, lock.safe_url)
        with lock.acquired("credentials in the URL", timeout=5) as held:
            self.assertTrue(held.held)
            self.assertEqual(granted(name), 1)
        self.assertEqual(granted(name), 0)
        # user@ in the URL, the password as an argument; and arguments winning over the URL
        for url, kw in ((SECURE_URL.replace("//", "//%s@" % ADMIN), {"password": ADMIN_PW}),
                        (with_userinfo(SECURE_URL, ADMIN, WRONG_PW), {"username": ADMIN, "password": ADMIN_PW})):
            lock = self.lock(name, url=url, cafile=CAFILE, **kw)
            self.assertTrue(lock.lock_query("x"), lock.last_error)
            self.assertTrue(lock.lock_wait(5), lock.last_error)
            self.assertTrue(lock.lock_release())

    def test_ssl_context_and_host_name(self):
        context = lockcli.tls_context(CAFILE)
        self.assertTrue(context.check_hostname)
        self.assertEqual(context.verify_mode, ssl.CERT_REQUIRED)
        lock = self.lock(username=CLIENT, password=CLIENT_PW, ssl_context=context,
                         url=SECURE_URL.replace("127.0.0.1", "localhost"))
        self.assertTrue(lock.lock_query("by host name"), lock.last_error)
        self.assertTrue(lock.lock_release())
        own = self.lock(username=CLIENT, password=CLIENT_PW, cafile=CAFILE)
        self.assertTrue(own.ssl_context.check_hostname)
        self.assertEqual(own.ssl_context.verify_mode, ssl.CERT_REQUIRED)
        with self.assertRaises(ValueError):
            self.lock(username=CLIENT, password=CLIENT_PW, cafile=CAFILE, ssl_context=context)

    def test_wrong_or_missing_password_is_fault_10(self):
        for kw in ({"username": CLIENT, "password": WRONG_PW}, {"username": "nobody-" + WRONG_PW[-4:],
                                                                 "password": CLIENT_PW}, {}):
            lock = self.lock(cafile=CAFILE, **kw)
            with self.assertLogs("lockcli", logging.WARNING) as logs:
                self.assertFalse(lock.lock_query("x"))
            self.assertIsNone(lock.ticket)
            error = lock.last_error
            self.assertIsInstance(error, lockcli.LockFault)
            self.assertEqual(error.code, lockcli.FAULT_UNAUTHENTICATED)
            self.assertEqual(error.code, 10)
            self.assertEqual(error.name, "UNAUTHENTICATED")
            self.assertTrue(str(error).startswith("authentication failed: "), str(error))
            logged = "\n".join(logs.output)
            self.assertIn("authentication failed", logged)
            for text in (logged, str(error), repr(lock)):
                self.assertNotIn(WRONG_PW, text)
                self.assertNotIn(CLIENT_PW, text)
        self.assertIn("no user name and password sent", str(error))
        with self.assertRaises(lockcli.LockFault) as cm:
            with self.lock(cafile=CAFILE, username=CLIENT, password=WRONG_PW).acquired("x", timeout=1):
                self.fail("acquired with a wrong password")
        self.assertEqual(cm.exception.code, 10)

    def test_lock_the_client_may_not_use_is_fault_6(self):
        lock = self.lock(OTHER_LOCK, username=CLIENT, password=CLIENT_PW, cafile=CAFILE)
        with self.assertLogs("lockcli", logging.WARNING) as logs:
            self.assertFalse(lock.lock_query("x"))
        error = lock.last_error
        self.assertIsInstance(error, lockcli.LockFault)
        self.assertEqual(error.code, lockcli.FAULT_NOT_ALLOWED)
        self.assertEqual(error.code, 6)
        self.assertTrue(str(error).startswith("not allowed: "), str(error))
        self.assertIn(repr(CLIENT), str(error))
        self.assertIn("not allowed", "\n".join(logs.output))
        self.assertEqual(granted(OTHER_LOCK), 0)

    def test_no_cafile_is_a_certificate_failure(self):
        lock = self.lock(username=CLIENT, password=CLIENT_PW)
        with self.assertLogs("lockcli", logging.WARNING) as logs:
            t0 = time.monotonic()
            self.assertFalse(lock.lock_query("x"))
        self.assertLess(time.monotonic() - t0, 5.0)
        error = lock.last_error
        self.assertIsInstance(error, lockcli.LockUnreachable)
        self.assertTrue(str(error).startswith("certificate verify failed"), str(error))
        self.assertIn("cafile", str(error))
        self.assertIn("certificate verify failed", "\n".join(logs.output))
        self.assertNotIn(CLIENT_PW, str(error))
        with self.assertRaises(lockcli.LockUnreachable):
            with lock.acquired("x", timeout=1):
                self.fail("acquired without trusting the certificate")

    def test_unusable_cafile_is_a_value_error(self):
        for path in (os.path.join(HERE, "no-such-ca-%s.pem" % uuid.uuid4().hex[:6]), __file__):
            with self.assertRaises(ValueError) as cm:
                self.lock(cafile=path)
            self.assertIn(path, str(cm.exception))

    def test_plain_http_to_the_tls_port(self):
        lock = self.lock(url=SECURE_URL.replace("https:", "http:"), username=CLIENT, password=CLIENT_PW)
        self.assertFalse(lock.lock_query("x"))
        self.assertIsInstance(lock.last_error, lockcli.LockError)
        self.assertNotIn(CLIENT_PW, str(lock.last_error))

    def test_heartbeat_over_tls(self):
        name = new_lock(1, "hb")
        lock = self.lock(name, username=ADMIN, password=ADMIN_PW, cafile=CAFILE, heartbeat=0.2)
        with lock.acquired("heartbeat over TLS", timeout=5):
            deadline = time.monotonic() + 5
            while lock.renewals < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertGreaterEqual(lock.renewals, 2)
            self.assertFalse(lock.lost)
        self.assertEqual(granted(name), 0)

    def test_keep_alive_over_tls(self):
        name = new_lock(1, "keepalive")
        proxy = TcpProxy(SECURE_URL)                # counts the TLS connections lockcli opens
        self.addCleanup(proxy.close)
        lock = self.lock(name, url=proxy.url, username=ADMIN, password=ADMIN_PW, cafile=CAFILE)
        self.assertTrue(lock.query("keep-alive over TLS"))
        self.assertTrue(lock.wait(5))
        self.assertEqual(lock.check()["state"], "granted")
        self.assertTrue(lock.renew())
        self.assertEqual(proxy.count(), 1, "one TLS connection for all the calls")
        proxy.drop()                                # closed by the server: seen, a new one
        wait_close_seen(lock)
        self.assertTrue(lock.renew())
        self.assertEqual(proxy.count(), 2)
        proxy.drop()                                # closed, unseen: sent again on a new one
        with unittest.mock.patch.object(lockcli.pool, "_has_input", return_value=False):
            self.assertTrue(lock.release())
        self.assertEqual(proxy.count(), 3)
        self.assertEqual(granted(name), 0)
        # the certificate and host name are checked on every new connection
        lock = self.lock(name, url=proxy.url.replace("127.0.0.1", "localhost"), username=ADMIN,
                         password=ADMIN_PW, ssl_context=lockcli.tls_context(CAFILE))
        self.assertTrue(lock.lock_query("by host name"), lock.last_error)
        proxy.drop()
        self.assertTrue(lock.lock_release(), lock.last_error)
        unverified = self.lock(name, url=proxy.url, username=ADMIN, password=ADMIN_PW)
        self.assertFalse(unverified.lock_query("x"))
        self.assertTrue(str(unverified.last_error).startswith("certificate verify failed"))


# ---------------------------------------------------------------------------
# lockrun against the TLS server with users

@unittest.skipUnless(SECURE_URL, SKIP_REASON)
class SecureLockrunTest(unittest.TestCase):

    def lockrun(self, args, env=None, timeout=20):
        proc = subprocess.run([sys.executable, LOCKRUN] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                              env=env if env is not None else child_env(), timeout=timeout)
        self.assertNotIn("Traceback", proc.stderr)
        for secret in (CLIENT_PW, ADMIN_PW, WRONG_PW):
            self.assertNotIn(secret, proc.stderr)
            self.assertNotIn(secret, proc.stdout)
        return proc

    def assertOneLine(self, text, starts):
        self.assertEqual(len(text.splitlines()), 1, "want one line on stderr, got %r" % text)
        self.assertTrue(text.startswith(starts), "want %r..., got %r" % (starts, text))

    def test_runs_command_over_tls_with_user_and_password_from_environment(self):
        # COMMAND runs holding the slot, gets a token, and not the password
        p = self.lockrun(["--url", SECURE_URL, "--cafile", CAFILE, "--user", CLIENT, "--lock", CLIENT_LOCK,
                          "--", "sh", "-c", 'test -n "$LOCKRUN_TOKEN" || exit 90; '
                                            'test -z "${LOCKSERVER_PASSWORD+set}" || exit 91; exit 7'],
                         env=child_env(LOCKSERVER_PASSWORD=CLIENT_PW))
        self.assertEqual(p.returncode, 7, p.stderr)
        self.assertEqual(p.stderr, "")

    def test_everything_from_the_environment(self):
        name = new_lock(1, "env")
        p = self.lockrun(["--lock", name, "--", "sh", "-c", "exit 0"],
                         env=child_env(LOCKSERVER_URL=SECURE_URL, LOCKSERVER_CAFILE=CAFILE,
                                       LOCKSERVER_USER=ADMIN, LOCKSERVER_PASSWORD=ADMIN_PW))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        self.assertEqual(granted(name), 0)
        # credentials in $LOCKSERVER_URL; and --user winning over them
        p = self.lockrun(["--cafile", CAFILE, "--lock", name, "--", "sh", "-c", "exit 3"],
                         env=child_env(LOCKSERVER_URL=with_userinfo(SECURE_URL, ADMIN, ADMIN_PW)))
        self.assertEqual(p.returncode, 3, p.stderr)
        p = self.lockrun(["--cafile", CAFILE, "--user", CLIENT, "--lock", CLIENT_LOCK, "--", "true"],
                         env=child_env(LOCKSERVER_URL=with_userinfo(SECURE_URL, ADMIN, WRONG_PW),
                                       LOCKSERVER_PASSWORD=CLIENT_PW))
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_wrong_password_exits_69_with_one_line(self):
        p = self.lockrun(["--url", SECURE_URL, "--cafile", CAFILE, "--user", CLIENT, "--", "touch", "/nonexistent/x"],
                         env=child_env(LOCKSERVER_PASSWORD=WRONG_PW))
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertOneLine(p.stderr, "lockrun: authentication failed: ")
        self.assertIn("UNAUTHENTICATED", p.stderr)
        self.assertIn("%s:***@" % CLIENT, p.stderr)
        p = self.lockrun(["--url", SECURE_URL, "--cafile", CAFILE, "--", "true"])
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertOneLine(p.stderr, "lockrun: authentication failed: ")

    def test_lock_not_allowed_exits_69_with_one_line(self):
        p = self.lockrun(["--url", SECURE_URL, "--cafile", CAFILE, "--user", CLIENT, "--lock", OTHER_LOCK,
                          "--", "true"], env=child_env(LOCKSERVER_PASSWORD=CLIENT_PW))
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertOneLine(p.stderr, "lockrun: not allowed: ")
        self.assertIn(OTHER_LOCK, p.stderr)

    def test_without_cafile_exits_69_certificate_verify_failed(self):
        p = self.lockrun(["--url", SECURE_URL, "--user", CLIENT, "--", "true"],
                         env=child_env(LOCKSERVER_PASSWORD=CLIENT_PW))
        self.assertEqual(p.returncode, 69, p.stderr)
        self.assertOneLine(p.stderr, "lockrun: certificate verify failed")
        self.assertIn("--cafile", p.stderr)

    def test_usage_errors_64(self):
        cases = [
            # --user without $LOCKSERVER_PASSWORD and stdin not a terminal: no prompt, no hang
            (["--url", SECURE_URL, "--cafile", CAFILE, "--user", CLIENT, "--", "true"], "LOCKSERVER_PASSWORD"),
            (["--url", SECURE_URL, "--cafile", os.path.join(HERE, "no-such-ca.pem"), "--", "true"], "no-such-ca.pem"),
            (["--url", SECURE_URL, "--cafile", CAFILE, "--user", "a:b", "--", "true"], "user name"),
        ]
        for args, contains in cases:
            p = self.lockrun(args)
            self.assertEqual(p.returncode, 64, "%s: %s" % (args, p.stderr))
            self.assertOneLine(p.stderr, "lockrun: ")
            self.assertIn(contains, p.stderr)
        p = self.lockrun(["--help"])
        self.assertEqual(p.returncode, 0)
        for text in ("--user", "--cafile", "LOCKSERVER_USER", "LOCKSERVER_PASSWORD", "LOCKSERVER_CAFILE"):
            self.assertIn(text, p.stdout)
        self.assertNotIn("--password", p.stdout)

    def test_password_prompt_on_a_terminal(self):
        # lockrun asks for the password on its terminal, without echo, when $LOCKSERVER_PASSWORD is unset
        argv = [sys.executable, LOCKRUN, "--url", SECURE_URL, "--cafile", CAFILE, "--user", CLIENT,
                "--lock", CLIENT_LOCK, "--", "sh", "-c", "exit 6"]
        env = child_env()
        pid, fd = pty.fork()
        if pid == 0:                                      # the child: lockrun on the pty
            try:
                os.execve(sys.executable, argv, env)
            finally:
                os._exit(120)
        output = b""
        try:
            deadline = time.monotonic() + 15
            answered = False
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.2)
                if ready:
                    try:
                        chunk = os.read(fd, 1024)
                    except OSError:                       # EIO: the child closed the pty
                        break
                    if not chunk:
                        break
                    output += chunk
                if not answered and b"password" in output.lower() and output.rstrip().endswith(b":"):
                    os.write(fd, CLIENT_PW.encode() + b"\n")
                    answered = True
            else:
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(fd)
        text = output.decode("utf-8", "replace")
        self.assertIn("password of %s at" % CLIENT, text)
        self.assertNotIn(CLIENT_PW, text)
        self.assertNotIn("Traceback", text)
        self.assertTrue(os.WIFEXITED(status), text)
        self.assertEqual(os.WEXITSTATUS(status), 6, text)


if __name__ == "__main__":
    unittest.main()
