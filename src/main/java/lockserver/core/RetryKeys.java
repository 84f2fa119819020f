package lockserver.core;

import java.util.HashMap;
import java.util.Map;

/**
 * The live tickets of one lock by the retry key of their query (lock.query's options): a
 * retried query gets the ticket its first try made instead of queuing another. A ticket
 * is here from its query to its end. Not thread-safe: guarded by the owning semaphore's
 * monitor. No map until a query brings a key.
 */
final class RetryKeys {
    private Map<String, Ticket> byKey;

    /** The live ticket queried with {@code key}, or null (also for a null key). */
    Ticket get(String key) {
        return key == null || byKey == null ? null : byKey.get(key);
    }

    void remember(Ticket t) {
        if (t.key != null) {
            if (byKey == null) {
                byKey = new HashMap<>();
            }
            byKey.put(t.key, t);
        }
    }

    /** Forgets {@code t}, ended; a later ticket of the same key stays. */
    void forget(Ticket t) {
        if (t.key != null) {
            byKey.remove(t.key, t);
        }
    }
}
