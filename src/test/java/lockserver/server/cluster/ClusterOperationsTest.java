package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lockserver.core.Clock;
import lockserver.server.LockServer;
import lockserver.server.config.ServerConfig;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What operators see of a three-node cluster (in this JVM): admin.cluster on every node
 * names the same leader and the three peers; a node whose lock settings differ from the
 * leader's says so; the status page and /metrics show role, leader and term.
 */
public class ClusterOperationsTest {
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
    public void everyNodeShowsTheSameLeaderAndTheNodesWhoseSettingsDifferFromItsSayWhich() throws Exception {
        Path dir = tmp.getRoot().toPath();
        int[] raft = {freePort(), freePort(), freePort()};
        String peers = "n1@127.0.0.1:" + raft[0] + ",n2@127.0.0.1:" + raft[1] + ",n3@127.0.0.1:" + raft[2];
        for (int i = 1; i <= 3; i++) {
            String ini = "[general]\nSERVER=127.0.0.1\nPORT=0\nLOG_FILE=-\nLOGLEVEL=warning\n"
                    + "DATA_DIR=" + dir.resolve("n" + i) + "\n"
                    + "[lock L]\nSIZE=" + (i == 3 ? 5 : 2) + "\n" // n3's config differs
                    + "[cluster]\nNODE_ID=n" + i + "\nPEERS=" + peers + "\n";
            nodes.add(LockServer.start(ServerConfig.parse("n" + i, new StringReader(ini)), Clock.SYSTEM));
        }
        List<Map<?, ?>> views = awaitLeaderTakenOver();
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

    /** admin.cluster of every node, once all name one leader and its settings have reached all. */
    private List<Map<?, ?>> awaitLeaderTakenOver() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<Map<?, ?>> views = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                views.add((Map<?, ?>) rpc(i).execute("admin.cluster", new Object[0]));
            }
            String leader = (String) views.get(0).get("leader");
            boolean agreed = !leader.isEmpty() && views.stream().allMatch(v -> leader.equals(v.get("leader")));
            if (agreed && lockKnownEverywhere()) {
                return views;
            }
            assertFalse("no leader within 60 s: " + views, System.nanoTime() > deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling with a deadline
        }
    }

    private boolean lockKnownEverywhere() {
        for (int i = 0; i < 3; i++) {
            try {
                if (((Object[]) rpc(i).execute("lock.list", new Object[0])).length == 0) {
                    return false;
                }
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    private XmlRpcClient rpc(int node) throws Exception {
        XmlRpcClientConfigImpl c = new XmlRpcClientConfigImpl();
        c.setServerURL(nodes.get(node).url().toURL());
        XmlRpcClient client = new XmlRpcClient();
        client.setConfig(c);
        return client;
    }

    private String get(int node, String path) throws Exception {
        URI uri = nodes.get(node).url().resolve(path);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
