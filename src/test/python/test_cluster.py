"""Tests of lockctl's cluster commands against a real three-node cluster and a single server.

``lockctl cluster`` asks every URL given for its node's view (admin.cluster) and exits 0
only when all answered and name the same leader; ``lockctl peers LIST`` changes the
members (admin.peers) through any node. The tests are skipped unless LOCKSERVER_CLUSTER
(the three nodes' URLs, comma-separated, all naming one leader already), LOCKSERVER_PEERS
(the cluster's PEERS list) and LOCKSERVER_SINGLE (a server without [cluster]) are set: the
JUnit test src/test/java/lockserver/client/PythonClusterTest.java starts them and sets them.

Run:  LOCKSERVER_CLUSTER=URL1,URL2,URL3 LOCKSERVER_PEERS=n1@127.0.0.1:P1,... LOCKSERVER_SINGLE=URL \\
      python3 -m unittest discover -s src/test/python -p test_cluster.py -v
"""

import os
import re
import socket
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
from client_under_test import LOCKCTL  # noqa: E402

NODES = [u for u in os.environ.get("LOCKSERVER_CLUSTER", "").split(",") if u]
PEERS = os.environ.get("LOCKSERVER_PEERS", "")
SINGLE = os.environ.get("LOCKSERVER_SINGLE", "")
SKIP_REASON = ("LOCKSERVER_CLUSTER, LOCKSERVER_PEERS and LOCKSERVER_SINGLE are not set: these tests need "
               "a three-node cluster and a single server (run by the JUnit test PythonClusterTest)")


def dead_url():
    """A URL at a loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d/RPC2" % s.getsockname()[1]


def lockctl(*args, url=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKSERVER_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [sys.executable, LOCKCTL] + (["--url", url] if url else []) + list(args)
    return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True, timeout=60)


# n1  leader    term 3  applied 1042  leader n1  http://127.0.0.1:PORT/RPC2
NODE_LINE = re.compile(r"(\S+) +(leader|follower|candidate) +term \d+ +applied -?\d+ +leader (\S+) +(\S+)\Z")


@unittest.skipUnless(len(NODES) == 3 and PEERS and SINGLE, SKIP_REASON)
class ClusterCommandsTest(unittest.TestCase):
    def assertOneLineError(self, r, rc):
        self.assertEqual(r.returncode, rc, r)
        self.assertEqual(r.stdout, "", r)
        self.assertEqual(len(r.stderr.splitlines()), 1, r)
        self.assertTrue(r.stderr.startswith("lockctl: "), r)
        self.assertNotIn("Traceback", r.stderr)

    def node_lines(self, out):
        return [NODE_LINE.match(line) for line in out.splitlines() if NODE_LINE.match(line)]

    def test_cluster_shows_each_nodes_view_naming_the_leader_and_exits_0(self):
        r = lockctl("cluster", url=",".join(NODES))
        self.assertEqual((r.returncode, r.stderr), (0, ""), r)
        lines = self.node_lines(r.stdout)
        self.assertEqual(len(lines), 3, r.stdout)
        self.assertEqual(len(r.stdout.splitlines()), 3, r.stdout)
        self.assertEqual([m.group(4) for m in lines], NODES, "one line per URL, in the order given")
        self.assertEqual(sorted(m.group(1) for m in lines), ["n1", "n2", "n3"])
        leaders = {m.group(3) for m in lines}
        self.assertEqual(len(leaders), 1, r.stdout)
        leader = leaders.pop()
        for m in lines:
            self.assertEqual(m.group(2), "leader" if m.group(1) == leader else "follower", r.stdout)

    def test_cluster_with_a_dead_url_prints_it_unreachable_and_exits_1(self):
        dead = dead_url()
        r = lockctl("cluster", url=",".join(NODES[:1] + [dead] + NODES[1:]))
        self.assertEqual(r.returncode, 1, r)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 4, r.stdout)
        self.assertTrue(lines[1].startswith("unreachable: "), r.stdout)
        self.assertIn(dead, lines[1])
        self.assertEqual(len(self.node_lines(r.stdout)), 3, r.stdout)

    def test_peers_with_a_malformed_list_is_one_line_naming_the_bad_entry(self):
        r = lockctl("peers", PEERS + ",n9@nowhere", url=",".join(NODES))
        self.assertOneLineError(r, 1)
        self.assertIn("n9@nowhere", r.stderr)

    def test_peers_with_the_current_members_prints_them(self):
        r = lockctl("peers", PEERS, url=",".join(NODES))
        self.assertEqual((r.returncode, r.stderr), (0, ""), r)
        for peer in PEERS.split(","):
            node, address = peer.split("@")
            self.assertRegex(r.stdout, r"(?m)^ +%s +%s$" % (re.escape(node), re.escape(address)))
        self.assertIn("PEERS=%s\n" % PEERS, r.stdout)

    def test_cluster_on_a_single_server_is_one_plain_line_and_exits_1(self):
        r = lockctl("cluster", url=SINGLE)
        self.assertOneLineError(r, 1)
        # then the server's own reason (no [cluster] section)
        self.assertTrue(r.stderr.startswith("lockctl: %s: no cluster view: " % SINGLE), r)


if __name__ == "__main__":
    unittest.main()
