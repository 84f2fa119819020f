"""Tests of lockcli, lockrun and lockctl given several server URLs (the nodes of a cluster).

A call that gets no answer from one URL (or fault 11 NO_LEADER) goes to the next, starting
at the one that last answered; any other fault is the answer. The tests need two lockservers
with ALLOW_REMOTE_CREATE=true; they are skipped unless LOCKSERVER_FAILOVER_A and
LOCKSERVER_FAILOVER_B are set (the JUnit harness
src/test/java/lockserver/client/PythonFailoverTest.java starts both and sets them).
A TcpProxy in front of server A stands for a node that dies; two proxies in front of A for
two nodes that share the state.

Run:  LOCKSERVER_FAILOVER_A=http://127.0.0.1:PORT/RPC2 LOCKSERVER_FAILOVER_B=http://127.0.0.1:PORT2/RPC2 \\
      python3 -m unittest discover -s src/test/python -p test_failover.py -v
"""

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import unittest
import uuid
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)      # netfakes
from client_under_test import LOCKRUN, LOCKCTL  # noqa: E402  (before lockcli)

import lockcli  # noqa: E402
from netfakes import FaultServer, TcpProxy  # noqa: E402

A = os.environ.get("LOCKSERVER_FAILOVER_A", "")
B = os.environ.get("LOCKSERVER_FAILOVER_B", "")
SKIP_REASON = ("LOCKSERVER_FAILOVER_A and LOCKSERVER_FAILOVER_B are not set: these tests need two "
               "lockservers (run by the JUnit test PythonFailoverTest, which starts them)")


class _Transport(xmlrpc.client.Transport):
    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = 10.0
        return conn


def call(url, method, *args):
    """One plain XML-RPC call to the server at ``url``, on a connection of its own."""
    proxy = xmlrpc.client.ServerProxy(url, transport=_Transport())
    try:
        return getattr(proxy, method)(*args)
    finally:
        proxy("close")()


def tickets(url, name):
    st = call(url, "lock.status", name)
    return st["granted"] + st["queued"]


def dead_url():
    """A URL at a loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d/RPC2" % s.getsockname()[1]


def wait_until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))
        time.sleep(0.02)


def environment(**more):
    env = dict(os.environ)
    for name in ("LOCKSERVER_URL", "LOCKSERVER_LOCK", "LOCKSERVER_USER", "LOCKSERVER_PASSWORD",
                 "LOCKSERVER_CAFILE"):
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(more)
    return env


def run(command, args, timeout=30, **env):
    return subprocess.run([sys.executable, command] + args, env=environment(**env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout)


@unittest.skipUnless(A and B, SKIP_REASON)
class FailoverTest(unittest.TestCase):
    def setUp(self):
        self.closing = []
        self.name = "fo-%s" % uuid.uuid4().hex[:12]
        self.assertTrue(call(A, "lock.create", self.name, 1))

    def tearDown(self):
        for thing in reversed(self.closing):
            thing.close()

    def closed_later(self, thing):
        self.closing.append(thing)
        return thing

    def lock(self, urls, **kwargs):
        return self.closed_later(lockcli.Lock(urls, self.name, http_timeout=5, **kwargs))

    # -- lockcli ------------------------------------------------------------

    def test_dead_first_url_is_passed_over_to_take_and_release_a_slot(self):
        for urls in ("%s,%s" % (dead_url(), A), [dead_url(), A]):
            with self.lock(urls).acquired("failover test", timeout=10) as l:
                self.assertEqual(call(A, "lock.check", l.ticket)["state"], "granted")
            self.assertEqual(tickets(A, self.name), 0)

    def test_stopped_first_server_leaves_new_calls_to_the_second(self):
        self.assertTrue(call(B, "lock.create", self.name, 1))
        node = self.closed_later(TcpProxy(A))
        l = self.lock([node.url, B])
        l.query("before the stop")
        self.assertEqual(call(A, "lock.check", l.ticket)["state"], "granted")
        node.close()

        l.query("after the stop")      # (releasing the first ticket finds it gone on B)
        self.assertEqual(call(B, "lock.check", l.ticket)["state"], "granted")
        back = self.closed_later(TcpProxy(A, port=node.port))
        self.assertTrue(l.release())
        self.assertEqual(back.count(), 0, "the call went straight to the server that answered last")
        self.assertEqual(tickets(B, self.name), 0)

    def test_fault_other_than_no_leader_is_the_answer_and_not_retried(self):
        only_on_b = "fo-b-%s" % uuid.uuid4().hex[:12]
        self.assertTrue(call(B, "lock.create", only_on_b, 1))
        l = self.closed_later(lockcli.Lock([A, B], only_on_b, http_timeout=5))
        with self.assertRaises(lockcli.LockFault) as caught:
            l.query("not on server A")
        self.assertEqual(caught.exception.code, lockcli.Fault.UNKNOWN_LOCK)
        self.assertEqual(tickets(B, only_on_b), 0, "server B, which has the lock, got no query")

    def test_no_leader_fault_moves_the_call_to_the_next_server(self):
        cut_off = self.closed_later(FaultServer(lockcli.Fault.NO_LEADER))
        with self.lock([cut_off.url, A]).acquired("past a node without a leader", timeout=10) as l:
            self.assertEqual(call(A, "lock.check", l.ticket)["state"], "granted")
        self.assertEqual(cut_off.calls, ["lock.query"])

    def test_every_server_failing_raises_the_last_ones_error(self):
        cut_off = self.closed_later(FaultServer(lockcli.Fault.NO_LEADER))
        dead = dead_url()
        with self.assertRaises(lockcli.LockNoAnswer) as caught:
            self.lock([cut_off.url, dead]).query("nobody answers")
        self.assertIn("cannot reach lockserver at %s: " % dead, str(caught.exception))
        self.assertNotIn("\n", str(caught.exception))
        with self.assertRaises(lockcli.LockFault) as caught:
            self.lock([dead, cut_off.url]).query("nobody answers")
        self.assertEqual(caught.exception.code, lockcli.Fault.NO_LEADER)

    def test_blocked_wait_resumes_on_the_next_node_with_the_same_ticket(self):
        holder = call(A, "lock.query", self.name, "holder")
        self.assertTrue(call(A, "lock.wait", holder, 5))
        node1 = self.closed_later(TcpProxy(A))
        node2 = self.closed_later(TcpProxy(A))
        waiter = self.lock([node1.url, node2.url])
        ticket = waiter.query("waiter")
        sent = node1.to_server
        result = []
        thread = threading.Thread(target=lambda: result.append(waiter.wait(30)), daemon=True)
        thread.start()
        wait_until(lambda: node1.to_server > sent, what="the wait to pass node 1")
        node1.close()
        self.assertTrue(call(A, "lock.release", holder))

        thread.join(20)
        self.assertEqual(result, [True])
        self.assertEqual(waiter.ticket, ticket)
        self.assertEqual(call(A, "lock.check", ticket)["state"], "granted")
        self.assertGreater(node2.count(), 0)
        self.assertTrue(waiter.release())

    def test_query_retried_after_an_answer_lost_with_a_node_leaves_one_ticket(self):
        node1 = self.closed_later(TcpProxy(A))
        node2 = self.closed_later(TcpProxy(A))
        node1.die_on_next_answer()
        l = self.lock([node1.url, node2.url])
        l.query("answer lost")
        self.assertGreater(node1.to_server, 0, "the query reached the server through node 1")
        self.assertEqual(call(A, "lock.check", l.ticket)["state"], "granted")
        self.assertEqual(tickets(A, self.name), 1, "one ticket, not two")
        self.assertTrue(l.release())

    # -- lockrun --------------------------------------------------------------

    def test_lockrun_url_option_takes_several_urls(self):
        r = run(LOCKRUN, ["--url", "%s,%s" % (dead_url(), A), "--lock", self.name, "--",
                          "sh", "-c", 'test -n "$LOCKRUN_TICKET"'])
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(tickets(A, self.name), 0)

    def test_lockrun_takes_several_urls_from_the_environment(self):
        r = run(LOCKRUN, ["--lock", self.name, "--", "true"], LOCKSERVER_URL="%s,%s" % (dead_url(), A))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(tickets(A, self.name), 0)

    def test_lockrun_empty_url_in_the_list_is_a_usage_error_naming_the_source(self):
        r = run(LOCKRUN, ["--url", "%s,,%s" % (A, B), "--", "true"])
        self.assertEqual(r.returncode, 64, r)
        self.assertTrue(r.stderr.startswith("lockrun: --url: bad lockserver URL list"), r.stderr)
        r = run(LOCKRUN, ["--", "true"], LOCKSERVER_URL="%s, " % A)
        self.assertEqual(r.returncode, 64, r)
        self.assertTrue(r.stderr.startswith("lockrun: $LOCKSERVER_URL: bad lockserver URL list"), r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_lockrun_heartbeat_and_command_go_on_across_a_node_change(self):
        node1 = self.closed_later(TcpProxy(A))
        node2 = self.closed_later(TcpProxy(A))
        proc = subprocess.Popen(
            [sys.executable, LOCKRUN, "--url", "%s,%s" % (node1.url, node2.url), "--lock", self.name,
             "--heartbeat", "0.1", "--http-timeout", "5", "--", "sh", "-c", 'read line; echo "$LOCKRUN_TICKET"'],
            env=environment(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True)
        try:
            wait_until(lambda: call(A, "lock.status", self.name)["granted"] == 1, what="the grant")
            node1.close()
            wait_until(lambda: node2.to_server > 0, what="a heartbeat through node 2")
            renewed = node2.to_server
            wait_until(lambda: node2.to_server > renewed, what="the next heartbeat through node 2")
            self.assertEqual(call(A, "lock.status", self.name)["granted"], 1, "the slot is still held")
            out, err = proc.communicate("go on\n", timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual((proc.returncode, err), (0, ""))
        self.assertEqual(call(A, "lock.check", out.strip())["state"], "gone", "released at the end")
        self.assertEqual(tickets(A, self.name), 0)

    # -- lockctl --------------------------------------------------------------

    def test_lockctl_url_option_takes_several_urls(self):
        r = run(LOCKCTL, ["--url", "%s,%s" % (dead_url(), A), "ping"])
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "ok\n", ""))

    def test_lockctl_takes_several_urls_from_the_environment(self):
        r = run(LOCKCTL, ["status", self.name], LOCKSERVER_URL="%s,%s" % (dead_url(), A))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertTrue(r.stdout.startswith("%s: size 1, 0 granted, 0 queued" % self.name), r.stdout)

    def test_lockctl_fails_with_the_last_servers_error_in_one_line(self):
        dead1, dead2 = dead_url(), dead_url()
        r = run(LOCKCTL, ["--url", "%s,%s" % (dead1, dead2), "ping"])
        self.assertEqual(r.returncode, 69, r)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertIn("cannot reach lockserver at %s" % dead2, r.stderr)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    unittest.main()
