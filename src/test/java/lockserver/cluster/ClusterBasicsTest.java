package lockserver.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.TicketInfo;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A three-node cluster as its clients see it: every node answers every call with the same
 * state (a ticket made through one node is seen at once through the others), a release
 * through one node wakes a waiter blocked on another at once, a retried query with the same
 * key is the same ticket whichever node takes it, and every node names the same leader.
 * One cluster of real JVMs for the class; each test uses its own lock.
 */
public class ClusterBasicsTest {
    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();
    private static ClusterProcesses cluster;
    private static final List<LockClient> clients = new ArrayList<>();
    private static final List<Wire> wires = new ArrayList<>();

    private static final String LOCKS = """
            [lock seen]
            SIZE=1
            [lock handoff]
            SIZE=1
            [lock keyed]
            SIZE=2
            [lock shortidle]
            SIZE=1
            EXPIRATION_TIME=1.5
            GRACE_TIME=10
            MAX_LOCK_TIME=60
            """;

    /** the faults lock.status of a configured lock got while the cluster started */
    private static List<String> startFaults;

    @BeforeClass
    public static void startCluster() throws Exception {
        cluster = new ClusterProcesses(tmp.getRoot().toPath(), 3, "LIFECYCLE_PERIOD=0.1\nLOGLEVEL=info\n", LOCKS, "");
        cluster.startAll();
        startFaults = cluster.awaitServing("seen", Duration.ofSeconds(60));
        cluster.awaitLeader(Duration.ofSeconds(30));
        for (String url : cluster.urls()) {
            clients.add(new LockClient(url, Duration.ofSeconds(10)));
            wires.add(new Wire(url, Duration.ofSeconds(10)));
        }
    }

    @AfterClass
    public static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test(timeout = 30_000)
    public void everyNodeNamesTheSameLeaderAndListsTheThreePeers() {
        Set<String> leaders = new TreeSet<>();
        int leading = 0;
        for (int i = 0; i < 3; i++) {
            Map<?, ?> v = (Map<?, ?>) wires.get(i).call("admin.cluster");
            assertEquals(v.toString(), cluster.node(i).id, v.get("node"));
            leaders.add((String) v.get("leader"));
            if ("leader".equals(v.get("role"))) {
                leading++;
                assertEquals(v.toString(), cluster.node(i).id, v.get("leader"));
            } else {
                assertEquals(v.toString(), "follower", v.get("role"));
            }
            Object[] peers = (Object[]) v.get("peers");
            assertEquals(v.toString(), 3, peers.length);
            for (int p = 0; p < 3; p++) {
                Map<?, ?> peer = (Map<?, ?>) peers[p];
                assertEquals(cluster.node(p).id, peer.get("node"));
                assertEquals("127.0.0.1:" + cluster.node(p).raftPort, peer.get("address"));
            }
            assertEquals(v.toString(), 0, ((Object[]) v.get("settings_differ")).length);
        }
        assertEquals("one leader named by all: " + leaders, 1, leaders.size());
        assertFalse(leaders.contains(""));
        assertEquals("nodes that say they lead", 1, leading);
    }

    /**
     * Until the cluster serves, a node answers fault 11 (no leader), never fault 1 (unknown
     * lock) for a lock in its config: a client takes fault 1 as final.
     */
    @Test
    public void aStartingClusterNeverCallsAConfiguredLockUnknown() {
        assertFalse("faults of lock.status(seen) while the cluster started (node: code): " + startFaults,
                startFaults.stream().anyMatch(f -> f.endsWith(": " + lockserver.client.LockServerException.UNKNOWN_LOCK)));
    }

    @Test(timeout = 30_000)
    public void aTicketQueriedOnOneNodeIsSeenAtOnceOnTheOthers() {
        String first = clients.get(0).query("seen", "queried on n1");
        TicketInfo onB = clients.get(1).check(first);
        TicketInfo onC = clients.get(2).check(first);
        assertEquals("granted", onB.state());
        assertEquals("queried on n1", onB.info());
        assertEquals("seen", onB.lock());
        assertTrue(onB.token() > 0);
        assertEquals(onB.state(), onC.state());
        assertEquals(onB.token(), onC.token());

        String second = clients.get(0).query("seen", "second, queried on n1");
        assertEquals("queued", clients.get(2).check(second).state());
        assertEquals(1, clients.get(1).check(second).position());
        LockInfo status = clients.get(2).status("seen");
        assertEquals(1, status.granted());
        assertEquals(1, status.queued());

        assertTrue(clients.get(1).release(first));
        TicketInfo next = clients.get(2).check(second);
        assertEquals("granted", next.state());
        assertTrue("tokens grow: " + next.token() + " after " + onB.token(), next.token() > onB.token());
        assertEquals("gone", clients.get(0).check(first).state());
        assertTrue(clients.get(0).release(second));
        assertEquals(0, clients.get(1).status("seen").granted());
    }

    @Test(timeout = 30_000)
    public void aReleaseOnOneNodeHandsTheSlotAtOnceToAWaiterBlockedOnAnother() throws Exception {
        LockClient.Acquired holder = clients.get(0).acquire("handoff", "holder on n1", Duration.ofSeconds(5));
        assertTrue(holder.granted());
        String waiter = clients.get(1).query("handoff", "waiter on n2");
        CountDownLatch sending = new CountDownLatch(1);
        CompletableFuture<Long> grantedAt = CompletableFuture.supplyAsync(() -> {
            sending.countDown();
            boolean granted = (Boolean) wires.get(1).call("lock.wait", waiter, 20);
            return granted ? System.nanoTime() : -1L;
        });
        assertTrue(sending.await(10, TimeUnit.SECONDS));
        long sent = System.nanoTime();
        // the wait's sign of life reaches the state first: once n2 shows the ticket idle for
        // less time than since the wait was sent, the wait is parked on n2
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(idleSeconds(1, "handoff", waiter) < (System.nanoTime() - sent) / 1e9)) {
            assertTrue("the wait never reached n2", System.nanoTime() - giveUp < 0);
            TimeUnit.MILLISECONDS.sleep(20); // polling the server's state
        }
        assertFalse("no grant while the holder holds", grantedAt.isDone());
        long release = System.nanoTime();
        assertTrue(clients.get(2).release(holder.ticket()));
        long woken = grantedAt.get(10, TimeUnit.SECONDS);
        assertTrue("the wait on n2 answered true", woken > 0);
        long lag = (woken - release) / 1_000_000;
        assertTrue("the waiter on n2 was woken " + lag + " ms after the release on n3 was sent", lag < 1_000);
        TicketInfo w = clients.get(0).check(waiter);
        assertEquals("granted", w.state());
        assertTrue(w.token() > holder.token());
        assertTrue(clients.get(0).release(waiter));
    }

    private static double idleSeconds(int node, String lock, String ticket) {
        for (Object o : (Object[]) wires.get(node).call("admin.status")) {
            Map<?, ?> l = (Map<?, ?>) o;
            if (lock.equals(l.get("name"))) {
                for (Object q : (Object[]) l.get("queue")) {
                    Map<?, ?> t = (Map<?, ?>) q;
                    if (ticket.equals(t.get("ticket"))) {
                        return ((Number) t.get("idle")).doubleValue();
                    }
                }
            }
        }
        return Double.MAX_VALUE;
    }

    @Test(timeout = 30_000)
    public void aRetriedQueryWithTheSameKeyIsTheSameTicketOnEveryNode() {
        Map<String, Object> key = Map.of("key", "client-7-attempt-1");
        String onA = (String) wires.get(0).call("lock.query", "keyed", "retried", key);
        String onB = (String) wires.get(1).call("lock.query", "keyed", "retried", key);
        String onC = (String) wires.get(2).call("lock.query", "keyed", "retried", key);
        assertEquals(onA, onB);
        assertEquals(onA, onC);
        String other = (String) wires.get(2).call("lock.query", "keyed", "another", Map.of("key", "client-8"));
        assertNotEquals(onA, other);
        assertEquals("one ticket per key", 2, clients.get(0).status("keyed").granted()
                + clients.get(0).status("keyed").queued());
        assertTrue(clients.get(1).release(onA));
        assertTrue(clients.get(1).release(other));
    }

    /**
     * docs/API.md: "a blocked wait keeps its ticket alive for as long as it blocks". A waiter
     * that makes one long lock.wait on a lock whose EXPIRATION_TIME is shorter than the wait
     * must still be queued when the wait times out.
     */
    @Test(timeout = 30_000)
    public void aBlockedWaitKeepsItsQueuedTicketAliveBeyondTheExpirationTime() throws Exception {
        LockClient.Acquired holder = clients.get(0).acquire("shortidle", "holder", Duration.ofSeconds(5));
        assertTrue(holder.granted());
        CompletableFuture<Void> holding = CompletableFuture.runAsync(() -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
            while (System.nanoTime() - until < 0) {
                if (!clients.get(0).renew(holder.ticket())) {
                    throw new AssertionError("the holder's ticket went while it renewed");
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(300); // the holder's renewal rhythm, well within 1.5 s
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        });
        String waiter = clients.get(1).query("shortidle", "waiter in one long wait");
        long sent = System.nanoTime();
        boolean granted = (Boolean) wires.get(1).call("lock.wait", waiter, 3);
        long waited = (System.nanoTime() - sent) / 1_000_000;
        assertFalse("not granted: the holder still holds", granted);
        TicketInfo after = clients.get(2).check(waiter);
        holding.get(10, TimeUnit.SECONDS);
        clients.get(0).release(holder.ticket());
        clients.get(0).release(waiter);
        assertEquals("the waiter's ticket after one lock.wait of 3 s (answered after " + waited + " ms) on a lock "
                + "with EXPIRATION_TIME=1.5", "queued", after.state());
    }
}
