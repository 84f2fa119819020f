package lockserver.core;

/**
 * The immutable parameters of one named lock. Times are nanoseconds.
 *
 * @param size         how many tickets may be granted at once (at least 1)
 * @param graceNanos   how long a fresh grant may go unclaimed before it is withdrawn
 * @param idleNanos    how long a ticket may go without a sign of life from its holder
 * @param maxHoldNanos how long a grant may last, whatever the holder does
 * @param maxQueue     how many tickets may wait in the queue
 */
public record LockSettings(int size, long graceNanos, long idleNanos, long maxHoldNanos, int maxQueue) {
    public LockSettings {
        if (size < 1 || maxQueue < 1 || graceNanos <= 0 || idleNanos <= 0 || maxHoldNanos <= 0) {
            throw new IllegalArgumentException("invalid lock settings: " + size + ", " + graceNanos + ", "
                    + idleNanos + ", " + maxHoldNanos + ", " + maxQueue);
        }
    }

    public LockSettings withSize(int newSize) {
        return new LockSettings(newSize, graceNanos, idleNanos, maxHoldNanos, maxQueue);
    }
}
