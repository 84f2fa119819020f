package lockserver.server;

import java.io.IOException;
import java.io.StringReader;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lockserver.core.Clock;
import lockserver.server.config.ServerConfig;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;

/**
 * Cluster nodes n1..nN as real {@link LockServer}s in this JVM, for tests: each on an
 * ephemeral HTTP port, a free Raft port and its own DATA_DIR below {@code dir}. A node's
 * config is the caller's text with [general]'s loopback, logging and DATA_DIR lines and
 * the [cluster] section added. {@link #close()} stops every node still running.
 */
public final class TestCluster implements AutoCloseable {
    private final Path dir;
    private final String peers;
    private final LockServer[] nodes;

    public TestCluster(Path dir, int size) throws IOException {
        this.dir = dir;
        this.nodes = new LockServer[size];
        List<String> list = new ArrayList<>();
        for (int i = 1; i <= size; i++) {
            list.add("n" + i + "@127.0.0.1:" + freePort());
        }
        this.peers = String.join(",", list);
    }

    /** The PEERS list of the nodes. */
    public String peers() {
        return peers;
    }

    public Path dataDir(int i) {
        return dir.resolve("n" + i);
    }

    /**
     * Starts node n{@code i} (from 1) with {@code ini}: its [general] section (which must
     * come first, if any) gains SERVER, PORT, LOG_FILE, LOGLEVEL and DATA_DIR; {@code cluster}
     * are further [cluster] lines.
     */
    public LockServer start(int i, String ini, String... cluster) throws Exception {
        return startWithPeers(i, ini, peers, cluster);
    }

    /** {@link #start(int, String, String...)} with a PEERS list of the caller's. */
    public LockServer startWithPeers(int i, String ini, String peerList, String... cluster) throws Exception {
        String general = "[general]\nSERVER=127.0.0.1\nPORT=0\nLOG_FILE=-\nLOGLEVEL=warning\nDATA_DIR=" + dataDir(i)
                + "\n";
        String text = (ini.startsWith("[general]\n") ? general + ini.substring("[general]\n".length())
                : general + ini) + "\n[cluster]\nNODE_ID=n" + i + "\nPEERS=" + peerList + "\n"
                + String.join("\n", cluster) + "\n";
        LockServer node = LockServer.start(ServerConfig.parse("n" + i, new StringReader(text)), Clock.SYSTEM);
        nodes[i - 1] = node;
        return node;
    }

    public LockServer node(int i) {
        return nodes[i - 1];
    }

    /** Stops node n{@code i}. */
    public void stop(int i) throws Exception {
        nodes[i - 1].close();
        nodes[i - 1] = null;
    }

    /** A plain XML-RPC client of node n{@code i} (anonymous: the admin methods work on loopback). */
    public XmlRpcClient rpc(int i) throws Exception {
        return rpc(nodes[i - 1]);
    }

    public static XmlRpcClient rpc(LockServer server) throws Exception {
        XmlRpcClientConfigImpl c = new XmlRpcClientConfigImpl();
        c.setServerURL(server.url().toURL());
        XmlRpcClient client = new XmlRpcClient();
        client.setConfig(c);
        return client;
    }

    /** A call's answer, polling while it is fault 11 (no leader yet) or unanswered, for up to 60 s. */
    public Object call(int i, String method, Object... args) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return rpc(i).execute(method, args);
            } catch (XmlRpcException e) {
                if (e.code != 11 && e.code != 0 || System.nanoTime() > deadline) {
                    throw e;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // polling with a deadline
            }
        }
    }

    /** Polls until every running node names the same leader; returns it (fails after 60 s). */
    public String awaitLeader() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            String leader = null;
            boolean agreed = true;
            for (int i = 1; i <= nodes.length && agreed; i++) {
                if (nodes[i - 1] != null) {
                    String named = (String) ((Map<?, ?>) rpc(i).execute("admin.cluster", new Object[0])).get("leader");
                    agreed = !named.isEmpty() && (leader == null || leader.equals(named));
                    leader = named;
                }
            }
            if (agreed && leader != null) {
                return leader;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the nodes named no common leader within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // polling with a deadline
        }
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i] != null) {
                try {
                    nodes[i].close();
                } catch (Exception e) {
                    first = first == null ? e : first;
                }
                nodes[i] = null;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
