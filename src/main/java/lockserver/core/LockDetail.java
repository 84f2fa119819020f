package lockserver.core;

import java.util.List;

/**
 * An immutable snapshot of one lock with its holders (oldest grant first) and its queue
 * (in the order it will be granted), for operators. Holds ticket ids: show them to
 * administrators only.
 *
 * @param retired removed from the config: takes no queries, disappears once drained
 * @param used    slots taken by the holders
 * @param delays  slots closed by LOCK_DELAY after their holder was ended, soonest to open first
 */
public record LockDetail(String name, LockSettings settings, boolean retired, List<Holder> holders,
                         List<Holder> queue, int used, List<Delay> delays) {

    /** Slots closed by LOCK_DELAY, in use by nobody we know of. */
    public int delayed() {
        int n = 0;
        for (Delay d : delays) {
            n += d.slots();
        }
        return n;
    }

    /**
     * One ticket of the lock.
     *
     * @param ageNanos      time since the grant when granted, since the query when queued
     * @param idleNanos     time since the holder's last call
     * @param leftNanos     time until the ticket ends unless renewed
     * @param slots         slots it takes (holders) or asks for (waiters)
     * @param priority      its effective priority (asked for, plus aging while queued)
     * @param revoke        an admin's reason to ask the holder to let go; "" when none
     * @param revokeInNanos time until a revoked ticket is ended; 0 when not revoked
     */
    public record Holder(String ticket, String info, long token, boolean claimed, long ageNanos, long idleNanos,
                         long leftNanos, int slots, long priority, String revoke, long revokeInNanos) {
    }

    /** {@code slots} closed by LOCK_DELAY for {@code leftNanos} more, freed by the end of {@code ticket}. */
    public record Delay(String ticket, int slots, long leftNanos) {
    }
}
