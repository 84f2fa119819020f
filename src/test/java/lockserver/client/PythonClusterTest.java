package lockserver.client;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import lockserver.server.LockServer;
import lockserver.server.TestCluster;
import lockserver.server.TestServers;
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
    private TestCluster cluster;
    private LockServer single;

    @Before
    public void start() throws Exception {
        cluster = new TestCluster(tmp.getRoot().toPath(), 3);
        for (int i = 1; i <= 3; i++) {
            cluster.start(i, "[lock L]\nSIZE=2\n");
        }
        single = TestServers.start(TestServers.issueConfig());
        cluster.awaitLeader();
    }

    @After
    public void stop() throws Exception {
        try {
            cluster.close();
        } finally {
            single.close();
        }
    }

    @Test(timeout = 120_000)
    public void lockctlClusterCommandsPassAgainstThreeNodesAndASingleServer() throws Exception {
        String nodes = Stream.of(1, 2, 3).map(i -> cluster.node(i).url().toString()).collect(Collectors.joining(","));
        PythonSuite.assertAllPass("test_cluster.py", Map.of("LOCKSERVER_CLUSTER", nodes, "LOCKSERVER_PEERS",
                cluster.peers(), "LOCKSERVER_SINGLE", single.url().toString()), Duration.ofMinutes(1));
    }
}
