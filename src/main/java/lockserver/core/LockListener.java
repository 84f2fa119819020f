package lockserver.core;

/**
 * Hears what happens to tickets, for metrics. Called under the lock's monitor, so
 * implementations must be quick and must not block, do I/O or call back into the registry.
 */
public interface LockListener {
    /** A ticket was granted after waiting {@code waitedNanos} since its query. */
    default void granted(String lock, long waitedNanos) {
    }

    /** A holder released its slot, or a queued ticket was cancelled. */
    default void released(String lock, boolean wasGranted) {
    }

    /** The lifecycle ended a ticket. */
    default void expired(String lock, Expiry.Cause cause, boolean wasGranted) {
    }

    LockListener NONE = new LockListener() {
    };
}
