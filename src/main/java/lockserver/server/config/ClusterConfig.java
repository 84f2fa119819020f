package lockserver.server.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The {@code [cluster]} section: this node's id and every peer's Raft address, the same
 * list on every node. Immutable; validated by {@link ServerConfig}.
 *
 * @param peers              node id to Raft address (host:port), in the order of the config, this node among them
 * @param trustStore         with TLS_KEYSTORE: the PKCS12 trust store of the peers' certificates (mutual TLS on
 *                           the Raft port); null without TLS
 * @param leaderTimeoutNanos how long a call may wait for a leader before it is answered with fault 11
 */
public record ClusterConfig(String nodeId, Map<String, String> peers, Path trustStore, String trustStorePassword,
                            long leaderTimeoutNanos) {
    public String address() {
        return peers.get(nodeId);
    }
}
