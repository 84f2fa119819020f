package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.TicketInfo;
import lockserver.server.TestCluster;
import lockserver.server.config.ClusterConfig;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A three-node cluster with TLS: the Raft port takes mutual TLS, so only the peers (whose
 * certificates are in TLS_TRUSTSTORE) can reach it; a stranger's Raft client, with a
 * certificate of its own or with none, cannot change the lock state. Three nodes in this JVM.
 */
public class ClusterTlsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private TestCluster cluster;

    @After
    public void stop() throws Exception {
        cluster.close();
    }

    @Test(timeout = 120_000)
    public void onlyPeersReachTheRaftPortUnderMutualTls() throws Exception {
        Path dir = tmp.getRoot().toPath();
        String[] ids = {"n1", "n2", "n3", "stranger"};
        for (String id : ids) {
            keytool("-genkeypair", "-alias", id, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                    "-dname", "CN=" + id, "-ext", "san=ip:127.0.0.1,dns:localhost",
                    "-keystore", dir.resolve(id + ".p12").toString(), "-storetype", "PKCS12", "-storepass", "changeit");
            keytool("-exportcert", "-rfc", "-alias", id, "-keystore", dir.resolve(id + ".p12").toString(),
                    "-storepass", "changeit", "-file", dir.resolve(id + ".pem").toString());
        }
        for (String id : List.of("n1", "n2", "n3")) { // the peers' trust store: the three nodes, not the stranger
            keytool("-importcert", "-noprompt", "-alias", id, "-file", dir.resolve(id + ".pem").toString(),
                    "-keystore", dir.resolve("peers.p12").toString(), "-storetype", "PKCS12", "-storepass", "changeit");
        }
        cluster = new TestCluster(dir.resolve("data"), 3);
        for (int i = 1; i <= 3; i++) {
            cluster.start(i, "TLS_KEYSTORE=" + dir.resolve("n" + i + ".p12") + "\nTLS_KEYSTORE_PASSWORD=changeit\n"
                    + "[lock L]\nSIZE=1\n", "TLS_TRUSTSTORE=" + dir.resolve("peers.p12"), "TLS_TRUSTSTORE_PASSWORD=changeit");
        }
        LockClient n1 = client(0, dir.resolve("n1.pem"));
        LockClient n2 = client(1, dir.resolve("n2.pem"));
        LockClient.Acquired held = acquireWithinDeadline(n1);
        assertTrue(held.granted());
        TicketInfo seen = n2.check(held.ticket());
        assertTrue(seen.isGranted());

        try (RaftClient peer = raftClient(dir, "n3")) { // the control: a peer's key gets through
            assertTrue(peer.io().send(Message.valueOf(ByteString.copyFrom(Command.encodeAll(List.of(
                    new Command.Renew(held.ticket(), 0)))))).isSuccess());
        }
        for (String key : new String[] {"stranger", null}) {
            try (RaftClient stranger = raftClient(dir, key)) {
                stranger.io().send(Message.valueOf(ByteString.copyFrom(Command.encodeAll(List.of(
                        new Command.Release(held.ticket(), 0))))));
                fail("a Raft client that is not a peer changed the lock state");
            } catch (IOException refused) {
                // the TLS handshake fails: not a peer
            }
        }
        LockInfo status = n2.status("L");
        assertEquals(1, status.granted());
        assertTrue(n1.check(held.ticket()).isGranted());
    }

    private LockClient client(int node, Path cert) throws Exception {
        return new LockClient(cluster.node(node + 1).url().toString(), Duration.ofSeconds(10),
                LockClient.trusting(cert));
    }

    /** The first call waits for the cluster to elect a leader. */
    private static LockClient.Acquired acquireWithinDeadline(LockClient client) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return client.acquire("L", "peer", Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    /** A Raft client with the key of {@code keyOf} (null: plain, no TLS) that trusts the nodes. */
    private RaftClient raftClient(Path dir, String keyOf) throws Exception {
        List<RaftPeer> peers = new ArrayList<>();
        ClusterConfig.parsePeers(cluster.peers()).forEach((id, address) ->
                peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        Parameters parameters = new Parameters();
        if (keyOf != null) {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(load(dir.resolve(keyOf + ".p12")), "changeit".toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(load(dir.resolve("peers.p12"))); // it trusts the nodes; they trust only their peers
            GrpcTlsConfig tls = new GrpcTlsConfig(keys.getKeyManagers()[0], trust.getTrustManagers()[0], true);
            GrpcConfigKeys.Client.setTlsConf(parameters, tls);
            GrpcConfigKeys.Admin.setTlsConf(parameters, tls);
        }
        RaftProperties properties = new RaftProperties();
        org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(properties,
                org.apache.ratis.util.TimeDuration.valueOf(2, TimeUnit.SECONDS));
        return RaftClient.newBuilder().setProperties(properties).setParameters(parameters)
                .setRaftGroup(RaftGroup.valueOf(ClusterNode.GROUP, peers))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
                        org.apache.ratis.util.TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, "changeit".toCharArray());
        }
        return ks;
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(out, 0, p.exitValue());
    }
}
