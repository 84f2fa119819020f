package lockserver.server.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;
import lockserver.server.config.ClusterConfig;
import lockserver.server.config.ServerConfig;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/**
 * How a cluster node's Ratis server and client are set up from the config: where the log
 * lives, the Raft port and its mutual TLS, election and request timeouts, snapshots, and
 * what Ratis may keep in the heap. Every choice that differs from Ratis' default says why.
 */
final class RaftSettings {
    private RaftSettings() {
    }

    static RaftProperties properties(ServerConfig c, ClusterConfig cluster) throws IOException {
        RaftProperties props = new RaftProperties();
        Path dir = c.dataDir().resolve("raft");
        Files.createDirectories(dir);
        RaftServerConfigKeys.setStorageDir(props, List.of(dir.toFile()));
        String address = cluster.address();
        int colon = address.lastIndexOf(':');
        GrpcConfigKeys.Server.setPort(props, Integer.parseInt(address.substring(colon + 1)));
        // a leader that cannot reach a majority must not answer reads from its own state
        RaftServerConfigKeys.Read.setOption(props, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        // elections: long enough that a busy two-core machine does not start them for nothing
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(400, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(800, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, cluster.snapshotEvery());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgeGap(props, Math.min(1024, cluster.snapshotEvery()));
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(3, TimeUnit.SECONDS));
        // what Ratis keeps in the heap, bounded for a 128 MB heap (with the defaults, up to 200 MB
        // of log entries and a minute of replies filled it, and RSS grew with it): two recent
        // log segments, and replies for as long as a node's client retries a call
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf("4MB"));
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(props, 2);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(props, SizeInBytes.valueOf("8MB"));
        RaftServerConfigKeys.RetryCache.setExpiryTime(props, TimeDuration.valueOf(
                Math.max(10_000, 2 * TimeUnit.NANOSECONDS.toMillis(cluster.leaderTimeoutNanos())), TimeUnit.MILLISECONDS));
        // the calls a leaderless cluster piles up wait in the client's window, not on the caller
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(props, 10_000);
        return props;
    }

    /** With TLS_KEYSTORE set: mutual TLS between the peers on the Raft port. */
    static Parameters parameters(ServerConfig c, ClusterConfig cluster) throws IOException {
        Parameters parameters = new Parameters();
        if (c.tlsKeystore() != null) {
            GrpcTlsConfig tls = tls(c, cluster);
            GrpcConfigKeys.Server.setTlsConf(parameters, tls);
            GrpcConfigKeys.Client.setTlsConf(parameters, tls);
            GrpcConfigKeys.Admin.setTlsConf(parameters, tls);
        }
        return parameters;
    }

    /** Mutual TLS on the Raft port: our key, and only the peers' certificates trusted. */
    private static GrpcTlsConfig tls(ServerConfig c, ClusterConfig cluster) throws IOException {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(keyStore(c.tlsKeystore(), c.tlsKeystorePassword()), c.tlsKeystorePassword().toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(keyStore(cluster.trustStore(), cluster.trustStorePassword()));
            return new GrpcTlsConfig(keys.getKeyManagers()[0], trust.getTrustManagers()[0], true);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use TLS_KEYSTORE or [cluster] TLS_TRUSTSTORE: " + e.getMessage(), e);
        }
    }

    private static KeyStore keyStore(Path file, String password) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, password.toCharArray());
        }
        return ks;
    }
}
