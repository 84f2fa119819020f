package lockserver.client;

import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import lockserver.core.Clock;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import lockserver.server.config.ServerConfig;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Runs the Python tests of lockctl's cluster commands (src/test/python/test_cluster.py:
 * lockctl cluster and lockctl peers) against a real three-node cluster in this JVM, once
 * every node names the same leader, and a single server. The module skips itself without
 * them, so this test also checks that it really ran.
 */
public class PythonClusterTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private final List<LockServer> servers = new ArrayList<>();
    private String peers;

    @Before
    public void start() throws Exception {
        List<String> list = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            list.add("n" + i + "@127.0.0.1:" + freePort());
        }
        peers = String.join(",", list);
        for (int i = 1; i <= 3; i++) {
            String ini = "[general]\nSERVER=127.0.0.1\nPORT=0\nLOG_FILE=-\nLOGLEVEL=warning\n"
                    + "DATA_DIR=" + tmp.getRoot().toPath().resolve("n" + i) + "\n"
                    + "[lock L]\nSIZE=2\n"
                    + "[cluster]\nNODE_ID=n" + i + "\nPEERS=" + peers + "\n";
            servers.add(LockServer.start(ServerConfig.parse("n" + i, new StringReader(ini)), Clock.SYSTEM));
        }
        servers.add(TestServers.start(TestServers.issueConfig()));
        awaitOneLeader();
    }

    @After
    public void stop() throws Exception {
        for (LockServer s : servers) {
            s.close();
        }
    }

    @Test(timeout = 120_000)
    public void lockctlClusterCommandsPassAgainstThreeNodesAndASingleServer() throws Exception {
        String nodes = servers.subList(0, 3).stream().map(s -> s.url().toString()).collect(Collectors.joining(","));
        PythonSuite.assertAllPass("test_cluster.py", Map.of("LOCKSERVER_CLUSTER", nodes, "LOCKSERVER_PEERS", peers,
                "LOCKSERVER_SINGLE", servers.get(3).url().toString()), Duration.ofMinutes(1));
    }

    /** Polls admin.cluster on the three nodes until all name the same leader (60 s at most). */
    private void awaitOneLeader() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Set<Object> leaders = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                try {
                    Object view = rpc(servers.get(i)).execute("admin.cluster", new Object[0]);
                    leaders.add(((Map<?, ?>) view).get("leader"));
                } catch (org.apache.xmlrpc.XmlRpcException e) {
                    leaders.add(null);
                }
            }
            if (leaders.size() == 1 && !leaders.contains(null) && !leaders.contains("")) {
                return;
            }
            assertTrue("no leader named by all three nodes within 60 s: " + leaders, System.nanoTime() < deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling with a deadline
        }
    }

    private static XmlRpcClient rpc(LockServer server) throws Exception {
        XmlRpcClientConfigImpl c = new XmlRpcClientConfigImpl();
        c.setServerURL(server.url().toURL());
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
