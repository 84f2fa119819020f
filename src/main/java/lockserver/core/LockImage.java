package lockserver.core;

import java.util.List;

/**
 * One lock exactly as it stands, every time included, so that a cluster node that loads
 * it from a snapshot and then applies the same log entries ends in the same state as one
 * that applied them all. Times are readings of the registry's clock.
 *
 * @param configured from the config file (not lock.create)
 * @param retired    removed from the config: takes no queries, leaves once drained
 * @param lastToken  the fencing token of the lock's latest grant
 * @param granted    holders, oldest grant first
 * @param queue      waiters, in order
 */
public record LockImage(String name, LockSettings settings, boolean configured, boolean retired, long lastToken,
                        List<TicketImage> granted, List<TicketImage> queue) {

    /**
     * One ticket. {@code grantedAt}, {@code graceFrom}, {@code token} and {@code claimed}
     * mean something for a holder only.
     *
     * @param key the client's retry key, or null
     */
    public record TicketImage(String id, String info, String key, long queuedAt, long lastSeen, long grantedAt,
                              long graceFrom, long token, boolean claimed) {
    }
}
