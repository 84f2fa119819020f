package lockserver.core;

/**
 * The immutable parameters of one named lock. Times are nanoseconds.
 *
 * @param size           how many slots the lock has (at least 1); a ticket takes one or more
 * @param graceNanos     how long a fresh grant may go unclaimed before it is withdrawn
 * @param idleNanos      how long a ticket may go without a sign of life from its holder
 * @param maxHoldNanos   how long a grant may last, whatever the holder does
 * @param maxQueue       how many tickets may wait in the queue
 * @param agingNanos     a waiting ticket's priority rises by one every this often (0: never)
 * @param lockDelayNanos how long the slots of a holder that was ended (expired, not released)
 *                       stay closed, since it may still be at work (0: none)
 */
public record LockSettings(int size, long graceNanos, long idleNanos, long maxHoldNanos, int maxQueue,
                           long agingNanos, long lockDelayNanos) {
    /** PRIORITY_AGING's default: 60 s. */
    public static final long DEFAULT_AGING_NANOS = 60_000_000_000L;

    public LockSettings {
        if (size < 1 || maxQueue < 1 || graceNanos <= 0 || idleNanos <= 0 || maxHoldNanos <= 0 || agingNanos < 0
                || lockDelayNanos < 0) {
            throw new IllegalArgumentException("invalid lock settings: " + size + ", " + graceNanos + ", "
                    + idleNanos + ", " + maxHoldNanos + ", " + maxQueue + ", " + agingNanos + ", " + lockDelayNanos);
        }
    }

    /** Settings with the default priority aging and no lock delay. */
    public LockSettings(int size, long graceNanos, long idleNanos, long maxHoldNanos, int maxQueue) {
        this(size, graceNanos, idleNanos, maxHoldNanos, maxQueue, DEFAULT_AGING_NANOS, 0);
    }

    public LockSettings withSize(int newSize) {
        return new LockSettings(newSize, graceNanos, idleNanos, maxHoldNanos, maxQueue, agingNanos, lockDelayNanos);
    }
}
