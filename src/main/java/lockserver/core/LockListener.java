package lockserver.core;

/**
 * Hears every change of ticket state, for the journal. Called under the
 * lock's monitor, in the order the changes happen on that lock, so implementations must
 * be quick: no blocking, no I/O, no calls back into the registry (hand work to another
 * thread instead).
 */
public interface LockListener {
    /** A ticket joined the queue, asking for {@code request}; {@code key}: its query's retry key, or null. */
    default void queued(String lock, String ticket, String info, String key, SlotRequest request) {
    }

    /** A ticket was granted after waiting {@code waitedNanos} since its query. */
    default void granted(String lock, String ticket, long token, long waitedNanos) {
    }

    /** The holder saw its grant (by wait or check), so the grace time no longer applies. */
    default void claimed(String lock, String ticket) {
    }

    /** A holder released its slot, or a queued ticket was cancelled. */
    default void released(String lock, String ticket, boolean wasGranted) {
    }

    /** The lifecycle ended a ticket. */
    default void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
    }

    /**
     * The holder {@code ticket}, just ended by the lifecycle, keeps its {@code slots} closed
     * for {@code delayNanos} (LOCK_DELAY), since it may still be at work.
     */
    default void delayed(String lock, String ticket, int slots, long delayNanos) {
    }

    /** An admin asked the holder of {@code ticket} to let go; it is ended {@code afterNanos} from now unless released. */
    default void revoked(String lock, String ticket, String reason, long afterNanos) {
    }

    LockListener NONE = new LockListener() {
    };
}
