package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import lockserver.core.FakeClock;
import lockserver.core.LockRegistry;
import lockserver.core.TicketState;
import lockserver.server.config.ServerConfig;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A single server's DATA_DIR (the 0.1.0 fixture of {@link UpgradeRestoreTest}) becomes
 * the first node of a new three-node cluster: every holder (token, claim, info) and every
 * queued ticket reaches all three nodes, and the journal files are moved aside so they
 * are never imported twice. Three nodes in this JVM.
 */
public class SingleServerToClusterTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private TestCluster cluster;

    @After
    public void stop() throws Exception {
        cluster.close();
    }

    @Test(timeout = 120_000)
    public void theHoldersAndQueuesOfASingleServersDataDirReachEveryNode() throws Exception {
        UpgradeRestoreTest.Expected expected = UpgradeRestoreTest.Expected.read();
        cluster = new TestCluster(tmp.getRoot().toPath(), 3);
        Path first = Files.createDirectories(cluster.dataDir(1));
        try (Stream<Path> files = Files.list(UpgradeRestoreTest.resource("data"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, first.resolve(f.getFileName().toString()));
            }
        }
        String base = Files.readString(UpgradeRestoreTest.resource("lockserver.conf"), StandardCharsets.UTF_8);
        String ini = base.substring(base.indexOf("[general]\n")).replaceAll("(?m)^(SERVER|PORT)=.*\n", "");
        for (int i = 1; i <= 3; i++) {
            cluster.start(i, ini);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < 3; i++) {
            XmlRpcClient admin = cluster.rpc(i + 1);
            while (!UpgradeRestoreTest.actualLines(admin, expected, "holder").equals(expected.lines("holder"))) {
                assertFalse("node n" + (i + 1) + " did not get the imported holders within 60 s",
                        System.nanoTime() > deadline);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling with a deadline
            }
            assertEquals(expected.lines("queued"), UpgradeRestoreTest.actualLines(admin, expected, "queued"));
        }
        assertTrue(Files.exists(first.resolve("imported-single-server").resolve("snapshot")));
        assertFalse(Files.exists(first.resolve("snapshot")));
    }

    /**
     * The retry keys and revocations of a single server's tickets and the slots its
     * LOCK_DELAY still kept closed come along too: every node counts the slot as delayed, the
     * client's retry with its key gets its ticket, not a second one, and it is still asked
     * to let go.
     */
    @Test(timeout = 120_000)
    public void retryKeysAndSlotsStillDelayedComeAlong() throws Exception {
        cluster = new TestCluster(tmp.getRoot().toPath(), 3);
        String lock = "[lock L]\nSIZE=2\nGRACE_TIME=10\nLOCK_DELAY=600\n";
        FakeClock clock = new FakeClock();
        String single = "[general]\nSERVER=127.0.0.1\nPORT=0\nLOG_FILE=-\nLOGLEVEL=warning\nLIFECYCLE_PERIOD=0.01\n"
                + "DATA_DIR=" + Files.createDirectories(cluster.dataDir(1)) + "\n" + lock;
        String keyed;
        try (LockServer server = LockServer.start(ServerConfig.parse("single", new StringReader(single)), clock)) {
            LockRegistry reg = server.registry();
            String silent = reg.query("L", "never looks");
            keyed = reg.query("L", "keyed", "retry-9");
            assertTrue(reg.await(keyed, 0));
            clock.advanceSeconds(11); // past silent's grace time: ended, its slot cools for 600 s
            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reg.peek(silent).state() != TicketState.GONE) {
                assertTrue("the lifecycle did not end the silent holder", System.nanoTime() < giveUp);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the lifecycle ticks every 10 ms
            }
            assertEquals(1, reg.status("L").delayed());
            assertTrue(reg.revoke(keyed, "maintenance", TimeUnit.SECONDS.toNanos(600)));
        }
        for (int i = 1; i <= 3; i++) {
            cluster.start(i, lock);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 1; i <= 3; i++) {
            while (true) {
                Map<?, ?> status = (Map<?, ?>) cluster.call(i, "lock.status", "L");
                if (Integer.valueOf(1).equals(status.get("granted")) && Integer.valueOf(1).equals(status.get("delayed"))) {
                    break;
                }
                assertFalse("node n" + i + " did not get the import within 60 s: " + status,
                        System.nanoTime() > deadline);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling with a deadline
            }
        }
        assertEquals(keyed, cluster.call(2, "lock.query", "L", "keyed, retried", Map.of("key", "retry-9")));
        assertEquals(1, ((Map<?, ?>) cluster.call(3, "lock.status", "L")).get("granted"));
        assertEquals("maintenance", ((Map<?, ?>) cluster.call(1, "lock.check", keyed)).get("revoke"));
    }
}
