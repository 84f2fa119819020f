package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import lockserver.core.Clock;
import lockserver.server.config.ServerConfig;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
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
    private final List<LockServer> nodes = new ArrayList<>();

    @After
    public void stop() throws Exception {
        for (LockServer n : nodes) {
            n.close();
        }
    }

    @Test(timeout = 120_000)
    public void theHoldersAndQueuesOfASingleServersDataDirReachEveryNode() throws Exception {
        UpgradeRestoreTest.Expected expected = UpgradeRestoreTest.Expected.read();
        Path first = tmp.newFolder("n1").toPath();
        try (Stream<Path> files = Files.list(UpgradeRestoreTest.resource("data"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, first.resolve(f.getFileName().toString()));
            }
        }
        String base = Files.readString(UpgradeRestoreTest.resource("lockserver.conf"), StandardCharsets.UTF_8);
        int[] raft = {freePort(), freePort(), freePort()};
        String peers = "n1@127.0.0.1:" + raft[0] + ",n2@127.0.0.1:" + raft[1] + ",n3@127.0.0.1:" + raft[2];
        for (int i = 1; i <= 3; i++) {
            String ini = TestServers.onLoopback(base).replace("[general]\n", "[general]\nLOG_FILE=-\nDATA_DIR="
                    + tmp.getRoot().toPath().resolve("n" + i) + "\n") + "\n[cluster]\nNODE_ID=n" + i + "\nPEERS="
                    + peers + "\n";
            nodes.add(LockServer.start(ServerConfig.parse("n" + i, new StringReader(ini)), Clock.SYSTEM));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < 3; i++) {
            XmlRpcClient admin = admin(i);
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

    private XmlRpcClient admin(int node) throws Exception {
        XmlRpcClientConfigImpl c = new XmlRpcClientConfigImpl();
        c.setServerURL(nodes.get(node).url().toURL());
        XmlRpcClient client = new XmlRpcClient();
        client.setConfig(c);
        return client;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
