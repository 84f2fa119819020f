package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * A client given several URLs (the nodes of a cluster) takes the next one when a server gives
 * no answer or fault 11 NO_LEADER, remembers the one that answered, and takes any other fault
 * as the answer. Real servers on loopback; a proxy in front of one stands for a node that
 * dies, two proxies in front of one server for two nodes that share the state.
 */
public class FailoverTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Rule
    public Timeout timeout = Timeout.seconds(60);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @After
    public void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    public void deadFirstUrlIsPassedOverToTakeAndReleaseASlot() throws Exception {
        LockServer live = server(TestServers.issueConfig());
        try (Lock lock = new Lock(List.of(deadUrl(), live.url().toString()), "DefaultLock")) {
            assertTrue(lock.acquire("failover test", TIMEOUT));
            assertEquals(1, direct(live).status("DefaultLock").granted());
            assertTrue(lock.release());
        }
        assertEquals(0, direct(live).status("DefaultLock").granted());
    }

    @Test
    public void stoppedFirstServerLeavesNewCallsToTheSecond() throws Exception {
        LockServer first = server(TestServers.issueConfig());
        LockServer second = server(TestServers.issueConfig());
        LockClient client = new LockClient(List.of(first.url().toString(), second.url().toString()), TIMEOUT);
        String onFirst = client.query("DefaultLock", "before the stop");
        assertTrue(direct(first).check(onFirst).isGranted());
        first.close();

        String onSecond = client.query("DefaultLock", "after the stop");
        assertTrue(direct(second).check(onSecond).isGranted());
        assertTrue(client.release(onSecond));
        assertEquals(0, direct(second).status("DefaultLock").granted());
    }

    @Test
    public void laterCallsStartAtTheServerThatLastAnswered() throws Exception {
        LockServer first = server(TestServers.issueConfig());
        LockServer second = server(TestServers.issueConfig());
        TcpProxy node = proxy(first);
        LockClient client = new LockClient(List.of(node.url(), second.url().toString()), TIMEOUT);
        node.stop();
        client.query("DefaultLock", "first node down");
        node.restart();

        String ticket = client.query("DefaultLock", "first node back");
        assertTrue(direct(second).check(ticket).isGranted());
        assertEquals(2, direct(second).status("DefaultLock").granted());
        assertEquals("the call went straight to the node that answered last", 0, node.accepted());
        assertEquals(0, direct(first).status("DefaultLock").granted());
    }

    @Test
    public void faultOtherThanNoLeaderIsTheAnswerAndNotRetried() throws Exception {
        LockServer first = server(TestServers.issueConfig());
        LockServer second = server(TestServers.issueConfig() + "\n[lock OnlyOnSecond]\nSIZE=1\n");
        LockClient client = new LockClient(List.of(first.url().toString(), second.url().toString()), TIMEOUT);
        try {
            client.query("OnlyOnSecond", "not on the first server");
            fail("the second server was asked");
        } catch (LockServerException e) {
            assertEquals(LockServerException.UNKNOWN_LOCK, e.faultCode());
        }
        LockInfo onSecond = direct(second).status("OnlyOnSecond");
        assertEquals("the second server, which has the lock, got no query", 0, onSecond.granted() + onSecond.queued());
    }

    @Test
    public void noLeaderFaultMovesTheCallToTheNextServer() throws Exception {
        NoLeaderNode cutOff = closing(new NoLeaderNode());
        LockServer live = server(TestServers.issueConfig());
        try (Lock lock = new Lock(new LockClient(List.of(cutOff.url(), live.url().toString()), TIMEOUT),
                "DefaultLock")) {
            assertTrue(lock.acquire("past a node without a leader", TIMEOUT));
            assertTrue(direct(live).check(lock.ticket()).isGranted());
        }
        assertEquals(1, cutOff.calls());
    }

    @Test
    public void everyServerFailingFailsWithTheLastOnesError() throws Exception {
        NoLeaderNode cutOff = closing(new NoLeaderNode());
        String dead = deadUrl();
        try {
            new LockClient(List.of(cutOff.url(), dead), TIMEOUT).ping();
            fail("no server answered");
        } catch (LockServerException e) {
            assertEquals(LockServerException.UNREACHABLE, e.faultCode());
            assertTrue(e.getMessage(), e.getMessage().startsWith("server.ping: cannot reach lockserver at " + dead + ": "));
            assertFalse(e.getMessage(), e.getMessage().contains("\n"));
        }
        try {
            new LockClient(List.of(dead, cutOff.url()), TIMEOUT).ping();
            fail("no server answered");
        } catch (LockServerException e) {
            assertEquals(LockServerException.NO_LEADER, e.faultCode());
        }
    }

    @Test
    public void blockedWaitResumesOnTheNextNodeWithTheSameTicket() throws Exception {
        LockServer cluster = server(TestServers.issueConfig().replace("DEFAULT_LOCK_SIZE=6", "DEFAULT_LOCK_SIZE=1"));
        TcpProxy node1 = proxy(cluster);
        TcpProxy node2 = proxy(cluster);
        Lock holder = new Lock(direct(cluster), "DefaultLock");
        assertTrue(holder.acquire("holder", TIMEOUT));
        Lock waiter = new Lock(new LockClient(List.of(node1.url(), node2.url()), TIMEOUT), "DefaultLock");
        String ticket = waiter.query("waiter");
        long sent = node1.bytesToServer();

        CompletableFuture<Boolean> granted = CompletableFuture.supplyAsync(() -> waiter.await(Duration.ofSeconds(30)));
        node1.awaitBytesToServer(sent, TIMEOUT); // the wait is on its way to the server through node 1
        node1.stop();
        holder.release();

        assertTrue(granted.get(20, TimeUnit.SECONDS));
        assertEquals(ticket, waiter.ticket());
        assertTrue(direct(cluster).check(ticket).isGranted());
        assertEquals(0, direct(cluster).status("DefaultLock").queued());
        assertTrue(node2.accepted() > 0);
        waiter.release();
    }

    @Test
    public void queryRetriedAfterAnAnswerLostWithANodeLeavesOneTicket() throws Exception {
        LockServer cluster = server(TestServers.issueConfig());
        TcpProxy node1 = proxy(cluster);
        TcpProxy node2 = proxy(cluster);
        node1.dieOnNextAnswer();
        LockClient client = new LockClient(List.of(node1.url(), node2.url()), TIMEOUT);

        String ticket = client.query("DefaultLock", "answer lost");
        assertTrue("the query reached the server through node 1", node1.bytesToServer() > 0);
        assertTrue(direct(cluster).check(ticket).isGranted());
        LockInfo status = direct(cluster).status("DefaultLock");
        assertEquals("one ticket, not two", 1, status.granted() + status.queued());
    }

    @Test
    public void acquireRetriedAfterAnAnswerLostWithANodeLeavesOneTicket() throws Exception {
        LockServer cluster = server(TestServers.issueConfig());
        TcpProxy node1 = proxy(cluster);
        TcpProxy node2 = proxy(cluster);
        node1.dieOnNextAnswer();
        try (Lock lock = new Lock(new LockClient(List.of(node1.url(), node2.url()), TIMEOUT), "DefaultLock")) {
            assertTrue(lock.acquire("answer lost", TIMEOUT));
            LockInfo status = direct(cluster).status("DefaultLock");
            assertEquals("one ticket, not two", 1, status.granted() + status.queued());
        }
        assertEquals(0, direct(cluster).status("DefaultLock").granted());
    }

    private LockServer server(String ini) throws Exception {
        return closing(TestServers.start(ini));
    }

    private TcpProxy proxy(LockServer server) throws IOException {
        return closing(new TcpProxy(server.url()));
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    /** A client of that server alone, to see its state. */
    private static LockClient direct(LockServer server) {
        return new LockClient(server.url().toString(), TIMEOUT);
    }

    /** A URL at a loopback port nobody listens on. */
    static String deadUrl() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort() + "/RPC2";
        }
    }
}
