"""Tests of the lockctl command: against a running lockserver, and against small
fake servers (for answers a real server does not give: faults on demand, junk,
silence).

Run:  LOCKSERVER_URL=http://127.0.0.1:PORT/RPC2 python3 -m unittest discover -s src/test/python -v

The live tests need a server with ALLOW_REMOTE_CREATE=true whose admin methods
this host may call (loopback): each test creates its own lock with lock.create,
so tests never share a lock. The fake-server tests need no server.
"""

import http.server
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import uuid
import xmlrpc.client
import xmlrpc.server

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from client_under_test import LOCKCTL  # noqa: E402  (before lockcli)

from lockcli import lockctl  # noqa: E402

URL = os.environ.get("LOCKSERVER_URL", "")


class Result(object):
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return "<exit %s, stdout %r, stderr %r>" % (self.rc, self.out, self.err)


def run(*args, url=None, env_url=None, timeout=60, **env_vars):
    """Runs lockctl ARGS in a child python3; url: given with --url; env_url: as $LOCKSERVER_URL;
    env_vars: more environment (LOCKSERVER_CAFILE=...)."""
    env = dict(os.environ)
    env.pop("LOCKSERVER_URL", None)
    env.pop("LOCKSERVER_CAFILE", None)
    if env_url is not None:
        env["LOCKSERVER_URL"] = env_url
    env.update(env_vars)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [sys.executable, LOCKCTL] + (["--url", url] if url is not None else []) + list(args)
    proc = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)
    return Result(proc)


def free_port():
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Transport(xmlrpc.client.Transport):
    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = 10.0
        return conn


def call(method, *args):
    """One XML-RPC call to the live server on its own connection, closed afterwards."""
    proxy = xmlrpc.client.ServerProxy(URL, transport=_Transport())
    try:
        return getattr(proxy, method)(*args)
    finally:
        proxy("close")()


# ---------------------------------------------------------------------------
# against the real server

class LiveServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not URL:
            raise RuntimeError(
                "LOCKSERVER_URL is not set: these tests need a running lockserver "
                "(with ALLOW_REMOTE_CREATE=true), e.g. LOCKSERVER_URL=http://127.0.0.1:9090/RPC2")
        call("server.ping")

    def setUp(self):
        self.lock = "lockctl-%s" % uuid.uuid4().hex[:12]
        self.assertTrue(call("lock.create", self.lock, 1))
        self.tickets = []

    def tearDown(self):
        for t in self.tickets:
            try:
                call("lock.release", t)
            except Exception:
                pass

    def query(self, info):
        ticket = call("lock.query", self.lock, info)
        self.tickets.append(ticket)
        return ticket

    def holder_and_waiter(self):
        holder = self.query("holder of %s" % self.lock)
        self.assertTrue(call("lock.wait", holder, 5))
        waiter = self.query("waiter of %s" % self.lock)
        return holder, waiter

    def assertOneLineError(self, r, rc):
        self.assertEqual(r.rc, rc, r)
        self.assertEqual(len(r.err.splitlines()), 1, r)
        self.assertTrue(r.err.startswith("lockctl: "), r)
        self.assertNotIn("Traceback", r.err)

    def test_ping_prints_ok(self):
        r = run("ping", env_url=URL)
        self.assertEqual((r.rc, r.out, r.err), (0, "ok\n", ""))

    def test_status_of_one_lock_shows_holders_and_queue(self):
        holder, waiter = self.holder_and_waiter()
        r = run("status", self.lock, env_url=URL)
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0], "%s: size 1, 1 granted, 1 queued, 1 used, 0 delayed" % self.lock)
        holders = r.out.index("holders:")
        queue = r.out.index("queue:")
        self.assertLess(holders, queue)
        held_part, queue_part = r.out[holders:queue], r.out[queue:]
        self.assertIn(holder, held_part)
        self.assertIn("holder of %s" % self.lock, held_part)
        self.assertIn("TOKEN", held_part)
        self.assertIn(waiter, queue_part)
        self.assertIn("waiter of %s" % self.lock, queue_part)
        row = [l for l in queue_part.splitlines() if waiter in l][0]
        self.assertEqual(row.split()[0], "1", row)        # position
        self.assertNotIn(self.lock.replace("lockctl", "nope"), r.out)

    def test_status_json(self):
        holder, waiter = self.holder_and_waiter()
        for args in (("status", self.lock, "--json"), ("--json", "status", self.lock)):
            r = run(*args, env_url=URL)
            self.assertEqual(r.rc, 0, r)
            lock = json.loads(r.out)
            self.assertEqual((lock["name"], lock["size"], lock["granted"], lock["queued"]),
                             (self.lock, 1, 1, 1))
            self.assertEqual(lock["holders"][0]["ticket"], holder)
            self.assertEqual(lock["queue"][0]["ticket"], waiter)
            self.assertEqual(lock["queue"][0]["position"], 1)
        r = run("status", "--json", env_url=URL)
        names = [l["name"] for l in json.loads(r.out)]
        self.assertIn(self.lock, names)
        self.assertIn("DefaultLock", names)

    def test_status_of_all_locks(self):
        r = run("status", env_url=URL)
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"(?m)^DefaultLock: size \d+, \d+ granted, \d+ queued, \d+ used, \d+ delayed$")
        self.assertRegex(r.out, r"(?m)^%s: size 1, 0 granted, 0 queued, 0 used, 0 delayed$" % self.lock)
        self.assertIn("holders: none", r.out)

    def test_status_of_unknown_lock_exits_1(self):
        r = run("status", "no-such-lock-%s" % uuid.uuid4().hex[:8], env_url=URL)
        self.assertOneLineError(r, 1)
        self.assertIn("no lock named", r.err)

    def test_release_held_ticket_passes_the_slot_on(self):
        holder, waiter = self.holder_and_waiter()
        r = run("release", holder, env_url=URL)
        self.assertEqual((r.rc, r.out), (0, "released %s\n" % holder), r)
        self.assertTrue(call("lock.wait", waiter, 5))
        self.assertEqual(call("lock.check", holder)["state"], "gone")
        again = run("release", holder, env_url=URL)
        self.assertEqual(again.rc, 1, again)
        self.assertIn("not found", again.out)

    def test_release_queued_ticket_and_uppercase_ticket(self):
        holder, waiter = self.holder_and_waiter()
        r = run("release", waiter.upper(), env_url=URL)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(call("lock.check", waiter)["state"], "gone")
        self.assertEqual(call("lock.check", holder)["state"], "granted")

    def test_release_json(self):
        holder, _ = self.holder_and_waiter()
        r = run("--json", "release", holder, env_url=URL)
        self.assertEqual((r.rc, json.loads(r.out)), (0, {"ticket": holder, "released": True}), r)

    def test_release_malformed_ticket_is_usage_error(self):
        for bad in ("xyz", "0" * 31, "g" * 32, "0" * 33):
            r = run("release", bad, env_url=URL)
            self.assertOneLineError(r, 64)
            self.assertIn("bad ticket", r.err)

    def test_reload_prints_changes_or_the_fault(self):
        r = run("reload", env_url=URL)
        if r.rc == 0:
            self.assertTrue(r.out.strip(), r)
        else:
            # a server started without a config file (the JUnit harness) refuses with BAD_CONFIG
            self.assertOneLineError(r, 1)
            self.assertIn("fault 9 (BAD_CONFIG)", r.err)

    def test_url_option_beats_environment(self):
        dead = "http://127.0.0.1:%d/RPC2" % free_port()
        r = run("ping", url=URL, env_url=dead)
        self.assertEqual((r.rc, r.out), (0, "ok\n"), r)
        r = run("ping", url=dead, env_url=URL)
        self.assertOneLineError(r, 69)


# ---------------------------------------------------------------------------
# against fake servers

class _QuietXMLRPCHandler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    rpc_paths = ("/RPC2",)

    def log_message(self, *args):
        pass


class FakeServer(object):
    """An XML-RPC server on a loopback port with the given functions, in a thread."""

    def __init__(self, functions):
        self.server = xmlrpc.server.SimpleXMLRPCServer(
            ("127.0.0.1", 0), requestHandler=_QuietXMLRPCHandler, logRequests=False, allow_none=False)
        for name, fn in functions.items():
            self.server.register_function(fn, name)
        self.url = "http://127.0.0.1:%d/RPC2" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FakeHttp(object):
    """A plain HTTP server answering every POST with (status, body), in a thread."""

    def __init__(self, status, body, content_type="text/xml"):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/RPC2" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def lock_detail(name="L", holders=(), queue=(), **extra):
    d = {"name": name, "size": 2, "granted": len(holders), "queued": len(queue), "retired": False,
         "grace_time": 10.0, "expiration_time": 1200.0, "max_lock_time": 3600.0,
         "holders": list(holders), "queue": list(queue)}
    d.update(extra)
    return d


def cluster_view(node, role, leader, term=3, differ=()):
    """An admin.cluster function answering as node ``node`` of n1, n2 and n3."""
    peers = [{"node": "n%d" % i, "address": "127.0.0.1:919%d" % i} for i in (1, 2, 3)]
    return lambda: {"node": node, "role": role, "leader": leader, "term": term, "applied": "1042",
                    "peers": peers, "settings_differ": list(differ)}


class FakeServerTest(unittest.TestCase):
    def assertOneLineError(self, r, rc):
        self.assertEqual(r.rc, rc, r)
        self.assertEqual(len(r.err.splitlines()), 1, r)
        self.assertTrue(r.err.startswith("lockctl: "), r)
        self.assertNotIn("Traceback", r.err)
        self.assertEqual(r.out, "", r)

    def test_fault_exits_1_with_code_and_message(self):
        def reload():
            raise xmlrpc.client.Fault(9, "/etc/lockserver.conf: [general] PORT=x: not a number")
        with FakeServer({"admin.reload": reload}) as s:
            r = run("reload", url=s.url)
        self.assertOneLineError(r, 1)
        self.assertIn("fault 9 (BAD_CONFIG): /etc/lockserver.conf: [general] PORT=x: not a number", r.err)

    def test_not_allowed_hints_at_credentials(self):
        def status():
            raise xmlrpc.client.Fault(6, "admin.status needs an admin")
        with FakeServer({"admin.status": status}) as s:
            r = run("status", url=s.url)
        self.assertOneLineError(r, 1)
        self.assertIn("fault 6 (NOT_ALLOWED): admin.status needs an admin", r.err)
        self.assertIn("USER:PASSWORD@", r.err)

    def test_reload_prints_each_change(self):
        changes = ["lock san02 added: size 4", "lock old retired"]
        with FakeServer({"admin.reload": lambda: changes}) as s:
            r = run("reload", url=s.url)
            self.assertEqual((r.rc, r.out), (0, "lock san02 added: size 4\nlock old retired\n"), r)
            r = run("--json", "reload", url=s.url)
            self.assertEqual(json.loads(r.out), {"changes": changes})
        with FakeServer({"admin.reload": lambda: []}) as s:
            r = run("reload", url=s.url)
        self.assertEqual((r.rc, r.out), (0, "reloaded: no changes\n"), r)

    def test_server_without_admin_methods(self):
        with FakeServer({"server.ping": lambda: True}) as s:
            r = run("status", url=s.url)
        self.assertOneLineError(r, 1)
        self.assertIn("admin.status", r.err)

    def test_status_table_and_escaped_control_characters(self):
        holder = {"ticket": "a" * 32, "info": "evil\u009b2J\x7fend\ttab", "token": "42",
                  "held": 75.5, "idle": 0.25, "claimed": False, "left": 7300.0}
        waiter = {"ticket": "b" * 32, "info": "second in line", "position": 1,
                  "waited": 3.0, "idle": 3.0, "left": 1197.0}
        locks = [lock_detail("Alpha", [holder], [waiter], retired=True), lock_detail("Beta")]
        with FakeServer({"admin.status": lambda: locks}) as s:
            r = run("status", url=s.url)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("Alpha: size 2, 1 granted, 1 queued (retired", r.out)
        self.assertIn("grace 10s, expiration 20m00s, max lock time 1h00m", r.out)
        self.assertIn("evil\\x9b2J\\x7fend\\x09tab", r.out)
        for c in "\u009b\x7f\t":
            self.assertNotIn(c, r.out)
        row = [l for l in r.out.splitlines() if "a" * 32 in l][0].split()
        self.assertEqual(row[:6], ["a" * 32, "42", "1m15s", "(unclaimed)", "0.2s", "2h01m"])
        row = [l for l in r.out.splitlines() if "b" * 32 in l][0].split()
        self.assertEqual(row[:5], ["1", "b" * 32, "3s", "3s", "19m57s"])
        self.assertIn("Beta: size 2, 0 granted, 0 queued\n", r.out)
        self.assertIn("  holders: none\n  queue: empty\n", r.out)

    def test_status_without_locks(self):
        with FakeServer({"admin.status": lambda: []}) as s:
            r = run("status", url=s.url)
            self.assertEqual((r.rc, r.out), (0, "no locks\n"), r)
            r = run("status", "--json", url=s.url)
            self.assertEqual((r.rc, json.loads(r.out)), (0, []), r)

    def test_unexpected_answers_are_unavailable(self):
        with FakeServer({"admin.status": lambda: "not a list", "admin.release": lambda t: 3,
                         "server.ping": lambda: False}) as s:
            for args in (("status",), ("release", "c" * 32), ("ping",)):
                r = run(*args, url=s.url)
                self.assertOneLineError(r, 69)
                self.assertIn("answer", r.err)

    def test_not_xmlrpc_is_unavailable(self):
        with FakeHttp(200, "<html>hello</html>", "text/html") as s:
            r = run("ping", url=s.url)
        self.assertOneLineError(r, 69)

    def test_http_error_is_unavailable_with_path_hint(self):
        with FakeHttp(404, "not here") as s:
            r = run("ping", url=s.url.replace("/RPC2", "/"))
        self.assertOneLineError(r, 69)
        self.assertIn("HTTP 404", r.err)
        self.assertIn("/RPC2", r.err)

    def test_http_401_is_a_refusal(self):
        with FakeHttp(401, "who are you") as s:
            r = run("ping", url=s.url.replace("127.0.0.1", "admin:s3cret@127.0.0.1"))
        self.assertOneLineError(r, 1)
        self.assertIn("HTTP 401", r.err)
        self.assertNotIn("s3cret", r.err)

    def test_unreachable_exits_69_and_hides_the_password(self):
        dead = "http://admin:s3cret@127.0.0.1:%d/RPC2" % free_port()
        for args in (("ping",), ("status",), ("release", "d" * 32), ("reload",)):
            r = run(*args, url=dead)
            self.assertOneLineError(r, 69)
            self.assertIn("cannot reach", r.err)
            self.assertNotIn("s3cret", r.err)
            self.assertIn("admin:***@", r.err)

    def test_silent_server_times_out(self):
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(5)          # accepts connections, never answers
        try:
            url = "http://127.0.0.1:%d/RPC2" % listener.getsockname()[1]
            start = time.monotonic()
            r = run("--timeout", "0.5", "ping", url=url)
            self.assertLess(time.monotonic() - start, 20)
        finally:
            listener.close()
        self.assertOneLineError(r, 69)
        self.assertIn("no answer", r.err)

    def test_cluster_line_per_node_with_settings_that_differ_and_exit_0(self):
        with FakeServer({"admin.cluster": cluster_view("n1", "leader", "n1")}) as a, \
                FakeServer({"admin.cluster": cluster_view("n2", "follower", "n1", differ=["L", "M\u009b"])}) as b:
            r = run("cluster", url="%s,%s" % (a.url, b.url))
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertEqual(r.out.splitlines(), [
            "n1  leader    term 3  applied 1042  leader n1  %s" % a.url,
            "n2  follower  term 3  applied 1042  leader n1  %s" % b.url,
            "n2  lock settings differ from the leader's: L, M\\x9b"])

    def test_cluster_without_one_leader_exits_1(self):
        with FakeServer({"admin.cluster": cluster_view("n1", "leader", "n1")}) as a, \
                FakeServer({"admin.cluster": cluster_view("n2", "candidate", "")}) as b, \
                FakeServer({"admin.cluster": cluster_view("n3", "leader", "n3", term=4)}) as c:
            r = run("cluster", url="%s,%s" % (a.url, b.url))
            self.assertEqual(r.rc, 1, r)
            self.assertIn("n2  candidate  term 3  applied 1042  no leader  %s\n" % b.url, r.out)
            r = run("cluster", url="%s,%s" % (a.url, c.url))
            self.assertEqual(r.rc, 1, r)
            r = run("--json", "cluster", url="%s,http://127.0.0.1:%d/RPC2" % (a.url, free_port()))
        self.assertEqual(r.rc, 1, r)
        answers = json.loads(r.out)
        self.assertEqual(answers[0]["cluster"]["leader"], "n1")
        self.assertIn("cannot reach", answers[1]["error"])

    def test_cluster_with_no_node_answering_is_one_line(self):
        dead1, dead2 = "http://127.0.0.1:%d/RPC2" % free_port(), "http://127.0.0.1:%d/RPC2" % free_port()
        r = run("cluster", url="%s,%s" % (dead1, dead2))
        self.assertOneLineError(r, 69)
        self.assertIn(dead1, r.err)
        self.assertIn(dead2, r.err)

        def not_allowed():
            raise xmlrpc.client.Fault(6, "admin.cluster needs an admin")
        with FakeServer({"admin.cluster": not_allowed}) as s:
            r = run("cluster", url=s.url)
        self.assertOneLineError(r, 1)
        self.assertEqual(r.err, "lockctl: %s: no cluster view: admin.cluster needs an admin\n" % s.url)

    def test_peers_prints_the_members_and_their_peers_line(self):
        asked = []

        def peers(members):
            asked.append(members)
            return cluster_view("n2", "follower", "n1")()
        with FakeServer({"admin.peers": peers}) as s:
            r = run("peers", "n1@127.0.0.1:9191,n2@127.0.0.1:9192,n3@127.0.0.1:9193", url=s.url)
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertEqual(asked, ["n1@127.0.0.1:9191,n2@127.0.0.1:9192,n3@127.0.0.1:9193"])
        self.assertEqual(r.out.splitlines(), [
            "cluster members now (as node n2 has them; leader n1):",
            "    n1  127.0.0.1:9191", "    n2  127.0.0.1:9192", "    n3  127.0.0.1:9193",
            "put this list in every node's [cluster] section: "
            "PEERS=n1@127.0.0.1:9191,n2@127.0.0.1:9192,n3@127.0.0.1:9193"])

    def test_peers_goes_past_a_node_without_leader(self):
        def no_leader(members):
            raise xmlrpc.client.Fault(11, "no leader")
        with FakeServer({"admin.peers": no_leader}) as cut_off, \
                FakeServer({"admin.peers": lambda m: cluster_view("n1", "leader", "n1")()}) as s:
            r = run("peers", "n1@127.0.0.1:9191", url="%s,%s" % (cut_off.url, s.url))
            self.assertEqual(r.rc, 0, r)
            r = run("peers", "n1@127.0.0.1:9191", url=cut_off.url)
        self.assertOneLineError(r, 1)
        self.assertIn("fault 11 (NO_LEADER)", r.err)

    def test_default_url(self):
        self.assertEqual(lockctl.DEFAULT_URL, "http://127.0.0.1:9090/RPC2")
        r = run("--help")
        self.assertIn("http://127.0.0.1:9090/RPC2", r.out)

    def test_revoke_sends_ticket_reason_and_seconds(self):
        got = []

        def revoke(ticket, reason, seconds):
            got.append((ticket, reason, seconds))
            return len(got) == 1
        ticket = "AB" * 16
        with FakeServer({"admin.revoke": revoke}) as s:
            r = run("revoke", ticket, "disk swap", "30", url=s.url)
            gone = run("--json", "revoke", ticket, "again", "0.5", url=s.url)
        self.assertEqual((r.rc, r.err), (0, ""), r)
        self.assertEqual(r.out, "revoked %s: the holder is asked to let go; force-released in 30s unless it does\n"
                         % ticket.lower())
        self.assertEqual(got, [(ticket.lower(), "disk swap", 30), (ticket.lower(), "again", 0.5)])
        self.assertEqual((gone.rc, json.loads(gone.out)), (1, {"ticket": ticket.lower(), "revoked": False}))

    def test_revoke_usage_errors_name_the_argument(self):
        for args, named in ((("revoke", "abc", "why", "1"), "bad ticket"),
                            (("revoke", "a" * 32, " ", "1"), "REASON must not be empty"),
                            (("revoke", "a" * 32, "why", "-1"), "argument SECONDS: "),
                            (("revoke", "a" * 32, "why"), "lockctl: "),
                            (("status", "--count", "2"), "--count goes with --watch"),
                            (("status", "--watch", "--count", "0"), "argument --count: ")):
            r = run(*args, url="http://127.0.0.1:%d/RPC2" % free_port())
            self.assertOneLineError(r, 64)
            self.assertIn(named, r.err)

    def test_shutdown_prints_and_its_refusal_gives_no_credentials_hint(self):
        with FakeServer({"admin.shutdown": lambda: True}) as s:
            r = run("shutdown", url=s.url)
        self.assertEqual((r.rc, r.out, r.err), (0, "shutting down\n", ""))

        def refuse():
            raise xmlrpc.client.Fault(6, "admin.shutdown: not allowed: ALLOW_REMOTE_SHUTDOWN is not set")
        with FakeServer({"admin.shutdown": refuse}) as s:
            r = run("shutdown", url=s.url)
        self.assertOneLineError(r, 1)
        self.assertIn("ALLOW_REMOTE_SHUTDOWN", r.err)
        self.assertNotIn("USER:PASSWORD@", r.err)

    def test_status_watch_prints_a_line_per_new_version(self):
        asked = []
        versions = ["1", "1", "2"]        # the second answer is a timeout: no change, no line

        def watch(name, since, timeout):
            asked.append((name, since, timeout))
            v = versions[min(len(asked), len(versions)) - 1]
            return {"name": name, "size": 2, "granted": int(v) - 1, "queued": 0, "used": 2 * (int(v) - 1),
                    "delayed": 0, "version": v}
        with FakeServer({"lock.watch": watch}) as s:
            r = run("status", "--watch", "--count", "2", "L", url=s.url)
        self.assertEqual((r.rc, r.err), (0, ""), r)
        lines = r.out.splitlines()
        self.assertEqual([line[9:] for line in lines], ["L: size 2, 0 granted, 0 queued, 0 used, 0 delayed",
                                                        "L: size 2, 1 granted, 0 queued, 2 used, 0 delayed"])
        self.assertTrue(all(re.match(r"\d\d:\d\d:\d\d ", line) for line in lines), lines)
        self.assertEqual(asked[:3], [("L", "", 30), ("L", "1", 30), ("L", "1", 30)])

    def test_usage_errors_exit_64(self):
        for args in ((), ("frobnicate",), ("release",), ("status", "a", "b"), ("--timeout", "-1", "ping"),
                     ("--timeout", "x", "ping"), ("--url", "ftp://host/RPC2", "ping"),
                     ("--url", "http://127.0.0.1:99999/RPC2", "ping"), ("--bogus", "ping")):
            r = run(*args)
            self.assertOneLineError(r, 64)
            self.assertIn("--help", r.err)

    def test_usage_error_names_the_option_or_variable_with_the_bad_value(self):
        https = "https://127.0.0.1:%d/RPC2" % free_port()
        for r, named in ((run("ping", url="ftp://host/RPC2"), "lockctl: --url: "),
                         (run("ping", env_url="http://host:99999/RPC2"), "lockctl: $LOCKSERVER_URL: "),
                         (run("--cafile", "/no/such/ca.pem", "ping", url=https), "lockctl: --cafile: "),
                         (run("ping", url=https, LOCKSERVER_CAFILE="/no/such/ca.pem"),
                          "lockctl: $LOCKSERVER_CAFILE: "),
                         (run("--timeout", "x", "ping"), "lockctl: argument --timeout: ")):
            self.assertOneLineError(r, 64)
            self.assertTrue(r.err.startswith(named), r)

    def test_faults_are_named_from_the_lockcli_table(self):
        def status():
            raise xmlrpc.client.Fault(10, "who are you?")

        def reload():
            raise xmlrpc.client.Fault(42, "a code of a newer server")
        with FakeServer({"admin.status": status, "admin.reload": reload}) as s:
            r = run("status", url=s.url)
            self.assertOneLineError(r, 1)
            self.assertIn("fault 10 (UNAUTHENTICATED): who are you?", r.err)
            r = run("reload", url=s.url)
            self.assertOneLineError(r, 1)
            self.assertIn("fault 42 (UNKNOWN): a code of a newer server", r.err)

    def test_help(self):
        r = run("--help")
        self.assertEqual(r.rc, 0, r)
        for word in ("status", "release", "ping", "reload", "cluster", "peers LIST", "LOCKSERVER_URL", "--json",
                     "69"):
            self.assertIn(word, r.out)
        r = run("status", "--help")
        self.assertEqual(r.rc, 0, r)
        self.assertIn("LOCK", r.out)

    def test_fmt_duration(self):
        f = lockctl.fmt_duration
        self.assertEqual([f(0), f(0.04), f(0.5), f(12.34), f(59.96), f(60), f(302), f(3599),
                          f(3600), f(7384), f(86400), f(200000), f(-1), f(None), f(float("nan"))],
                         ["0s", "0s", "0.5s", "12.3s", "60s", "1m00s", "5m02s", "59m59s",
                          "1h00m", "2h03m", "1d00h", "2d07h", "0s", "?", "?"])


if __name__ == "__main__":
    unittest.main()
