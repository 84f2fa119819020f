package lockserver.server.config;

import java.nio.file.Path;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code [cluster]} section: this node's id and every peer's Raft address, the same
 * list on every node. Immutable; validated by {@link ServerConfig}.
 *
 * @param peers              node id to Raft address (host:port), in the order of the config, this node among them
 * @param trustStore         with TLS_KEYSTORE: the PKCS12 trust store of the peers' certificates (mutual TLS on
 *                           the Raft port); null without TLS
 * @param leaderTimeoutNanos how long a call may wait for a leader before it is answered with fault 11
 * @param snapshotEvery      log entries between two snapshots (the log before a snapshot is then dropped)
 */
public record ClusterConfig(String nodeId, Map<String, String> peers, Path trustStore, String trustStorePassword,
                            long leaderTimeoutNanos, int snapshotEvery) {
    private static final Pattern PEER = Pattern.compile(
            "([A-Za-z0-9_.-]{1,64})@(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9_.-]+):([0-9]{1,5})");

    public String address() {
        return peers.get(nodeId);
    }

    /**
     * A PEERS list, {@code id@host:port} separated by commas, as node id to address in
     * its order; throws with a plain message naming what is wrong.
     */
    public static Map<String, String> parsePeers(String list) {
        Map<String, String> peers = new LinkedHashMap<>();
        for (String item : list.split("\\s*,\\s*")) {
            Matcher m = PEER.matcher(item.trim());
            if (!m.matches() || Integer.parseInt(m.group(3)) < 1 || Integer.parseInt(m.group(3)) > 65535) {
                throw new IllegalArgumentException("'" + item + "' is not id@host:port");
            }
            if (peers.put(m.group(1), m.group(2) + ":" + m.group(3)) != null) {
                throw new IllegalArgumentException("node id " + m.group(1) + " is listed twice");
            }
        }
        if (new HashSet<>(peers.values()).size() != peers.size()) {
            throw new IllegalArgumentException("two nodes have the same address");
        }
        return Collections.unmodifiableMap(peers);
    }
}
