package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lockserver.server.LockServer;
import lockserver.server.TestCluster;
import lockserver.server.config.ClusterConfig;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What operators see of a three-node cluster (in this JVM): admin.cluster on every node
 * names the same leader and the three peers; a node whose lock settings differ from the
 * leader's says so; the status page and /metrics show role, leader and term; a node added
 * with admin.peers catches up; a node whose Raft server stops on its own stops as a whole.
 */
public class ClusterOperationsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private TestCluster cluster;

    @After
    public void stop() throws Exception {
        cluster.close();
    }

    @Test(timeout = 120_000)
    public void everyNodeShowsTheSameLeaderAndTheNodesWhoseSettingsDifferFromItsSayWhich() throws Exception {
        cluster = new TestCluster(tmp.getRoot().toPath(), 3);
        for (int i = 1; i <= 3; i++) {
            cluster.start(i, "[lock L]\nSIZE=" + (i == 3 ? 5 : 2) + "\n"); // n3's config differs
        }
        List<Map<?, ?>> views = awaitLeaderTakenOver(leader -> leader.equals("n3") ? 5 : 2);
        String leader = (String) views.get(0).get("leader");
        int sizeRuling = leader.equals("n3") ? 5 : 2;
        for (int i = 0; i < 3; i++) {
            Map<?, ?> v = views.get(i);
            assertEquals("n" + (i + 1), v.get("node"));
            assertEquals(leader, v.get("leader"));
            assertEquals(v.get("node").equals(leader) ? "leader" : "follower", v.get("role"));
            assertEquals(3, ((Object[]) v.get("peers")).length);
            boolean differs = (i == 2) != leader.equals("n3");
            assertEquals("node n" + (i + 1) + " under leader " + leader,
                    differs ? List.of("L") : List.of(), Arrays.asList((Object[]) v.get("settings_differ")));
            Map<?, ?> status = (Map<?, ?>) rpc(i).execute("lock.status", new Object[] {"L"});
            assertEquals(sizeRuling, status.get("size"));
        }

        String page = get(0, "/");
        assertTrue(page, page.contains("cluster node n1: <b>" + views.get(0).get("role") + "</b>, leader " + leader));
        String metrics = get(1, "/metrics");
        assertTrue(metrics, metrics.contains("lockserver_cluster_role{node=\"n2\",role=\"" + views.get(1).get("role")
                + "\"} 1"));
        assertTrue(metrics, metrics.contains("lockserver_cluster_leader{leader=\"" + leader + "\"} 1"));
        assertTrue(metrics, metrics.contains("lockserver_cluster_term "));
    }

    @Test(timeout = 150_000)
    public void aNodeAddedWithAdminPeersCatchesUpAndARemovedOneLeaves() throws Exception {
        cluster = new TestCluster(tmp.getRoot().toPath(), 4);
        String four = cluster.peers();
        String three = four.substring(0, four.lastIndexOf(','));
        for (int i = 1; i <= 3; i++) {
            cluster.startWithPeers(i, "[lock L]\nSIZE=2\n", three);
        }
        awaitLeaderTakenOver(leader -> 2);
        String held = (String) rpc(0).execute("lock.query", new Object[] {"L", "before n4"});
        cluster.start(4, "[lock L]\nSIZE=2\n");
        Map<?, ?> after = (Map<?, ?>) rpc(1).execute("admin.peers", new Object[] {four});
        assertEquals(4, ((Object[]) after.get("peers")).length);
        // admin.status is n4's own copy: the holder is there once n4 has caught up with the log
        awaitOn(3, () -> {
            for (Object lock : (Object[]) rpc(3).execute("admin.status", new Object[0])) {
                for (Object h : (Object[]) ((Map<?, ?>) lock).get("holders")) {
                    if (held.equals(((Map<?, ?>) h).get("ticket"))) {
                        return true;
                    }
                }
            }
            throw new org.apache.xmlrpc.XmlRpcException(0, "not there yet");
        });
        Map<?, ?> n4 = (Map<?, ?>) rpc(3).execute("admin.cluster", new Object[0]);
        assertTrue(n4.toString(), List.of("follower", "leader").contains(n4.get("role")));

        Map<?, ?> removed = (Map<?, ?>) rpc(0).execute("admin.peers", new Object[] {three});
        assertEquals(3, ((Object[]) removed.get("peers")).length);
        assertTrue((Boolean) rpc(1).execute("lock.release", new Object[] {held}));
        try {
            rpc(0).execute("admin.peers", new Object[] {"n1@nowhere"});
            org.junit.Assert.fail("a bad PEERS list was taken");
        } catch (org.apache.xmlrpc.XmlRpcException e) {
            assertEquals(3, e.code);
            assertTrue(e.getMessage(), e.getMessage().contains("'n1@nowhere' is not id@host:port"));
        }
    }

    /**
     * A node whose Raft server stops on its own (here an admin call removes the group from
     * it) stops as a whole and says it failed, so that systemd starts it again; the others go
     * on, and started again it catches up with what it missed.
     */
    @Test(timeout = 120_000)
    public void aNodeWhoseRaftServerStopsOnItsOwnStopsAndStartedAgainCatchesUp() throws Exception {
        cluster = new TestCluster(tmp.getRoot().toPath(), 3);
        for (int i = 1; i <= 3; i++) {
            cluster.start(i, "[lock L]\nSIZE=2\n");
        }
        awaitLeaderTakenOver(leader -> 2);
        String before = (String) cluster.call(1, "lock.query", "L", "before");
        LockServer n3 = cluster.node(3);
        int port = n3.port();
        List<RaftPeer> peers = new ArrayList<>();
        ClusterConfig.parsePeers(cluster.peers()).forEach((id, address) ->
                peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        try (RaftClient admin = RaftClient.newBuilder().setProperties(new RaftProperties())
                .setRaftGroup(RaftGroup.valueOf(ClusterNode.GROUP, peers)).build()) {
            assertTrue(admin.getGroupManagementApi(RaftPeerId.valueOf("n3")).remove(ClusterNode.GROUP, false, false)
                    .isSuccess());
        }
        n3.join(); // it stops within a lifecycle period
        assertTrue("n3 says it failed", n3.failed());
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            org.junit.Assert.fail("n3 still answers on port " + port);
        } catch (java.net.ConnectException expected) {
            // stopped: nothing listens there any more
        }

        String during = (String) cluster.call(1, "lock.query", "L", "while n3 is down"); // two of three serve
        cluster.start(3, "[lock L]\nSIZE=2\n");
        awaitOn(2, () -> { // admin.status is n3's own copy
            List<Object> holders = new ArrayList<>();
            for (Object lock : (Object[]) rpc(2).execute("admin.status", new Object[0])) {
                for (Object h : (Object[]) ((Map<?, ?>) lock).get("holders")) {
                    holders.add(((Map<?, ?>) h).get("ticket"));
                }
            }
            if (!holders.containsAll(List.of(before, during))) {
                throw new org.apache.xmlrpc.XmlRpcException(0, "n3 has not caught up yet: " + holders);
            }
            return true;
        });
        Map<?, ?> again = (Map<?, ?>) rpc(2).execute("admin.cluster", new Object[0]);
        assertTrue(again.toString(), List.of("follower", "leader").contains(again.get("role")));
    }

    private interface Call<T> {
        T call() throws Exception;
    }

    /** The first answer of {@code call} that is not a fault, polling node {@code node} for up to 60 s. */
    private static <T> T awaitOn(int node, Call<T> call) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return call.call();
            } catch (org.apache.xmlrpc.XmlRpcException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // polling with a deadline
            }
        }
    }

    /** admin.cluster of every node, once all name one leader and its settings have reached all. */
    private List<Map<?, ?>> awaitLeaderTakenOver(java.util.function.ToIntFunction<String> sizeUnder)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String leader = (String) ((Map<?, ?>) rpc(0).execute("admin.cluster", new Object[0])).get("leader");
            if (!leader.isEmpty() && sizeEverywhere(sizeUnder.applyAsInt(leader))) {
                // read after the settings arrived, so settings_differ is that of the leader's settings
                List<Map<?, ?>> views = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    views.add((Map<?, ?>) rpc(i).execute("admin.cluster", new Object[0]));
                }
                if (views.stream().allMatch(v -> leader.equals(v.get("leader")))) {
                    return views;
                }
            }
            assertFalse("no leader within 60 s", System.nanoTime() > deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling with a deadline
        }
    }

    /** Whether every node's own copy has lock L of that size (lock.list answers from it). */
    private boolean sizeEverywhere(int size) {
        for (int i = 0; i < 3; i++) {
            try {
                boolean found = false;
                for (Object lock : (Object[]) rpc(i).execute("lock.list", new Object[0])) {
                    Map<?, ?> l = (Map<?, ?>) lock;
                    found |= l.get("name").equals("L") && Integer.valueOf(size).equals(l.get("size"));
                }
                if (!found) {
                    return false;
                }
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    private XmlRpcClient rpc(int node) throws Exception {
        return cluster.rpc(node + 1);
    }

    private String get(int node, String path) throws Exception {
        URI uri = cluster.node(node + 1).url().resolve(path);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
