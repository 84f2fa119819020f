package lockserver.server.web;

/**
 * A cluster node's place in its cluster at one moment, for the status page and metrics.
 *
 * @param role   leader, follower or candidate
 * @param leader the leader's node id, "" when none is known
 */
public record ClusterStatus(String node, String role, String leader, long term) {
}
