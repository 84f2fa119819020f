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
 * @param version    the lock's version (lock.watch)
 * @param granted    holders, oldest grant first
 * @param queue      waiters, by priority asked for, then age
 * @param cooling    ended holders whose slots LOCK_DELAY keeps closed, oldest first
 */
public record LockImage(String name, LockSettings settings, boolean configured, boolean retired, long lastToken,
                        long version, List<TicketImage> granted, List<TicketImage> queue,
                        List<CoolingImage> cooling) {

    /**
     * One ticket. {@code grantedAt}, {@code graceFrom}, {@code token}, {@code claimed} and
     * {@code held} mean something for a holder only, {@code revokeAt} only with a {@code revoke} reason.
     *
     * @param key    the client's retry key, or null
     * @param revoke an admin's reason to ask the holder to let go, or null
     */
    public record TicketImage(String id, String info, String key, SlotRequest request, long queuedAt, long lastSeen,
                              long grantedAt, long graceFrom, long token, boolean claimed, int held, String revoke,
                              long revokeAt) {
    }

    /**
     * An ended holder's {@code slots}, closed until {@code until}; {@code queuedAt} is the
     * ticket's, which orders it among what a replica's tick ends.
     */
    public record CoolingImage(String id, long queuedAt, int slots, long until) {
    }
}
