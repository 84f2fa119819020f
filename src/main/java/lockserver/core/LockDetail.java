package lockserver.core;

import java.util.List;

/**
 * An immutable snapshot of one lock with its holders (oldest grant first) and its queue
 * (in order), for operators. Holds ticket ids: show them to administrators only.
 *
 * @param retired removed from the config: takes no queries, disappears once drained
 */
public record LockDetail(String name, LockSettings settings, boolean retired, List<Holder> holders,
                         List<Holder> queue) {

    /**
     * One ticket of the lock.
     *
     * @param ageNanos  time since the grant when granted, since the query when queued
     * @param idleNanos time since the holder's last call
     * @param leftNanos time until the ticket ends unless renewed
     */
    public record Holder(String ticket, String info, long token, boolean claimed, long ageNanos, long idleNanos,
                         long leftNanos) {
    }
}
