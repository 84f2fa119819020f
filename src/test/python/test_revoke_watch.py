"""Tests of the client side of issue 16 against real servers that have its methods: the
options of a ticket (permits, exclusive, priority), revocations (admin.revoke, seen by
lockcli's heartbeat and lockrun), lock.watch (lockctl status --watch) and admin.shutdown
(lockctl shutdown).

The tests are skipped unless LOCKSERVER_REVOKE_URL (a server with ALLOW_REMOTE_CREATE=true
whose admin methods this host may call, without ALLOW_REMOTE_SHUTDOWN) and
LOCKSERVER_SHUTDOWN_URL (a server with ALLOW_REMOTE_SHUTDOWN=true, which one test stops)
are set: the JUnit test src/test/java/lockserver/client/PythonRevokeWatchTest.java starts
them and sets them.

Run:  LOCKSERVER_REVOKE_URL=URL LOCKSERVER_SHUTDOWN_URL=URL2 \\
      python3 -m unittest discover -s src/test/python -p test_revoke_watch.py -v
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)      # test_lockcli's helpers
from client_under_test import LOCKRUN, LOCKCTL  # noqa: E402  (before lockcli)

import lockcli  # noqa: E402
from test_lockcli import stop, wait_until  # noqa: E402

URL = os.environ.get("LOCKSERVER_REVOKE_URL", "")
SHUTDOWN_URL = os.environ.get("LOCKSERVER_SHUTDOWN_URL", "")
SKIP_REASON = ("LOCKSERVER_REVOKE_URL and LOCKSERVER_SHUTDOWN_URL are not set: these tests need servers "
               "with the methods of issue 16 (run by the JUnit test PythonRevokeWatchTest)")


class _Transport(xmlrpc.client.Transport):
    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = 10.0
        return conn


def call(method, *args, url=None):
    """One XML-RPC call on its own connection, closed afterwards."""
    proxy = xmlrpc.client.ServerProxy(url or URL, transport=_Transport())
    try:
        return getattr(proxy, method)(*args)
    finally:
        proxy("close")()


def new_lock(size):
    name = "py16-%s" % uuid.uuid4().hex[:12]
    assert call("lock.create", name, size) is True
    return name


def env():
    e = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSERVER_")}
    e["PYTHONDONTWRITEBYTECODE"] = "1"
    return e


def lockctl(*args, url=None):
    return subprocess.run([sys.executable, LOCKCTL, "--url", url or URL] + list(args), env=env(),
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)


class Output(object):
    """The lines a child writes to a pipe, read as they come by a thread."""

    def __init__(self, proc, stream):
        self.proc = proc
        self.lines = []
        self._thread = threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True)
        self._thread.start()

    def text(self):
        if self.proc.poll() is not None:
            self._thread.join(10)
        return "".join(self.lines)


@unittest.skipUnless(URL and SHUTDOWN_URL, SKIP_REASON)
class TicketOptionsTest(unittest.TestCase):
    def test_permits_take_that_many_slots(self):
        name = new_lock(3)
        lock = lockcli.Lock(URL, name)
        with lock.acquired("two", timeout=5, permits=2):
            st = call("lock.status", name)
            self.assertEqual((st["granted"], st["used"]), (1, 2))
            self.assertEqual(lock.check()["permits"], 2)
        self.assertEqual(call("lock.status", name)["used"], 0)

    def test_exclusive_takes_every_slot(self):
        name = new_lock(3)
        lock = lockcli.Lock(URL, name)
        with lock.acquired("all", timeout=5, exclusive=True):
            self.assertEqual(call("lock.status", name)["used"], 3)
            self.assertIs(lock.check()["exclusive"], True)

    def test_higher_priority_is_granted_first(self):
        name = new_lock(1)
        holder = lockcli.Lock(URL, name)
        self.assertTrue(holder.lock_query("holder") and holder.lock_wait(5))
        low, high = lockcli.Lock(URL, name), lockcli.Lock(URL, name)
        self.assertTrue(low.lock_query("low"))
        self.assertTrue(high.lock_query("high", priority=9))
        self.assertEqual(high.check()["priority"], 9)
        self.assertTrue(holder.lock_release())
        self.assertTrue(high.lock_wait(5))
        self.assertEqual(low.check()["state"], "queued")
        high.lock_release()
        self.assertTrue(low.lock_wait(5))
        low.lock_release()

    def test_check_without_options_or_revocation(self):
        lock = lockcli.Lock(URL, new_lock(1))
        with lock.acquired("plain", timeout=5):
            st = lock.check()
        self.assertEqual((st["permits"], st["exclusive"], st["priority"], st["revoke"], st["revoke_in"]),
                         (1, False, 0, "", 0.0))
        self.assertIsNone(lock.revoked)

    def test_status_tells_used_delayed_and_version(self):
        name = new_lock(2)
        before = call("lock.status", name)
        self.assertEqual((before["used"], before["delayed"]), (0, 0))
        self.assertIsInstance(before["version"], str)
        with lockcli.Lock(URL, name).acquired("v", timeout=5):
            self.assertNotEqual(call("lock.status", name)["version"], before["version"])

    def test_lockrun_passes_the_options(self):
        name = new_lock(3)
        code = ("import os, xmlrpc.client as x; st = x.ServerProxy(%r).lock.status(os.environ['LOCKRUN_LOCK']); "
                "print(st['used'])" % URL)
        for options, used in ((["--permits", "2"], "2"), (["--exclusive"], "3"), (["--priority", "5"], "1")):
            p = subprocess.run([LOCKRUN, "--url", URL, "--lock", name] + options + ["--", sys.executable, "-c", code],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                               env=env(), timeout=30)
            self.assertEqual((p.returncode, p.stdout.strip()), (0, used), p.stderr)


@unittest.skipUnless(URL and SHUTDOWN_URL, SKIP_REASON)
class RevokeTest(unittest.TestCase):
    def test_heartbeat_sees_the_revocation_then_the_loss_at_the_deadline(self):
        name = new_lock(1)
        revoked, lost = [], []
        lock = lockcli.Lock(URL, name, heartbeat=0.2, on_revoke=revoked.append, on_lost=lost.append)
        self.assertTrue(lock.lock_query("to be revoked") and lock.lock_wait(5))
        self.assertIs(call("admin.revoke", lock.ticket, "disk swap", 2), True)
        wait_until(lambda: revoked, what="the revocation notice")
        self.assertEqual(lock.revoked.reason, "disk swap")
        self.assertLessEqual(lock.revoked.seconds, 2.0)
        wait_until(lambda: lost, timeout=15, what="the force-release at the deadline")
        self.assertEqual((revoked, lost), ([lock], [lock]))
        self.assertEqual(call("lock.status", name)["granted"], 0)

    def test_revoke_of_a_gone_ticket_is_false(self):
        self.assertIs(call("admin.revoke", uuid.uuid4().hex, "nothing", 1), False)
        r = lockctl("revoke", uuid.uuid4().hex, "nothing", "1")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("not found", r.stdout)

    def start_lockrun(self, script, *options):
        """lockrun of ``sh -c SCRIPT DIR`` once the script has written DIR/ticket and DIR/ready."""
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        self.name = new_lock(1)
        proc = subprocess.Popen([LOCKRUN, "--url", URL, "--lock", self.name, "--heartbeat", "0.2"] + list(options)
                                + ["--", "sh", "-c", 'echo $$ > "$0/pid"; echo "$LOCKRUN_TICKET" > "$0/ticket"; ' + script, tmp],
                                stderr=subprocess.PIPE, universal_newlines=True, env=env())
        self.addCleanup(proc.stderr.close)
        self.addCleanup(stop, proc, tmp)
        err = Output(proc, proc.stderr)
        wait_until(lambda: os.path.exists(os.path.join(tmp, "ready")), what="the command to start")
        with open(os.path.join(tmp, "ticket")) as f:
            return proc, tmp, f.read().strip(), err

    def test_lockctl_revoke_makes_lockrun_stop_its_command_and_release(self):
        proc, tmp, ticket, err = self.start_lockrun(
            'trap "exit 9" TERM; touch "$0/ready"; while :; do sleep 0.05; done')
        r = lockctl("revoke", ticket, "disk swap at noon", "60")
        self.assertEqual(r.returncode, 0, r)
        self.assertTrue(r.stdout.startswith("revoked %s" % ticket), r)
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 9, err.text())
        self.assertIn("disk swap at noon", err.text())
        self.assertEqual(call("lock.status", self.name)["granted"], 0, "lockrun releases the slot")

    def test_revoke_deadline_passed_is_a_lost_slot_exit_76(self):
        proc, tmp, ticket, err = self.start_lockrun(
            'trap \'touch "$0/term"\' TERM; touch "$0/ready"; while :; do sleep 0.05; done', "--kill-after", "1")
        self.assertIs(call("admin.revoke", ticket, "now", 1), True)
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, 76, err.text())
        self.assertTrue(os.path.exists(os.path.join(tmp, "term")))
        self.assertIn("the slot is lost", err.text())


@unittest.skipUnless(URL and SHUTDOWN_URL, SKIP_REASON)
class WatchTest(unittest.TestCase):
    def test_status_watch_prints_a_line_then_one_per_change(self):
        name = new_lock(2)
        proc = subprocess.Popen([sys.executable, LOCKCTL, "--url", URL, "status", "--watch", "--count", "2", name],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, env=env())
        self.addCleanup(proc.stdout.close)  # cleanups run last first: after the kill below
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        out = Output(proc, proc.stdout)
        wait_until(lambda: out.lines, what="the first line")
        self.assertTrue(out.lines[0].rstrip().endswith(" %s: size 2, 0 granted, 0 queued, 0 used, 0 delayed" % name),
                        out.lines)
        ticket = call("lock.query", name, "watched")
        self.addCleanup(call, "lock.release", ticket)
        proc.wait(timeout=40)  # not communicate(): Output's thread is the one reader of stdout
        err = proc.stderr.read()
        proc.stderr.close()
        self.assertEqual(proc.returncode, 0, err)
        wait_until(lambda: len(out.text().splitlines()) >= 2, what="the second line")
        self.assertEqual(len(out.text().splitlines()), 2, out.text())
        self.assertIn(" %s: size 2, 1 granted, 0 queued, 1 used, 0 delayed" % name, out.text().splitlines()[1])

    def test_status_watch_json_is_the_struct(self):
        name = new_lock(1)
        r = lockctl("--json", "status", "--watch", "--count", "1", name)
        self.assertEqual(r.returncode, 0, r)
        import json
        st = json.loads(r.stdout)
        self.assertEqual((st["name"], st["size"], st["granted"], st["used"]), (name, 1, 0, 0))
        self.assertIsInstance(st["version"], str)


@unittest.skipUnless(URL and SHUTDOWN_URL, SKIP_REASON)
class ShutdownTest(unittest.TestCase):
    def test_shutdown_refused_without_allow_remote_shutdown(self):
        r = lockctl("shutdown")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("NOT_ALLOWED", r.stderr)
        self.assertIs(call("server.ping"), True)

    def test_shutdown_stops_a_server_that_allows_it(self):
        r = lockctl("shutdown", url=SHUTDOWN_URL)
        self.assertEqual((r.returncode, r.stdout), (0, "shutting down\n"), r)

        def stopped():
            try:
                call("server.ping", url=SHUTDOWN_URL)
            except (OSError, xmlrpc.client.Error):
                return True
            return False
        wait_until(stopped, timeout=30, what="the server to stop")


if __name__ == "__main__":
    unittest.main()
