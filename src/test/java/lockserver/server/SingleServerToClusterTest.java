package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
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
}
