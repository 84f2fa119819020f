package lockserver.core;

import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What a {@link NamedSemaphore} shares with the other locks of its registry: the clock,
 * the listener that hears its changes, the expiry queue and ticket table all locks file
 * into, its counts by name, and where to report that it drained. Made once per registry.
 */
final class SemaphoreContext {
    final Clock clock;
    final LockListener listener;
    final ExpiryQueue expiryQueue;
    final TicketTable tickets;
    /**
     * A replica of a cluster's state: only committed entries change it, so a node's own
     * waits are no sign of life (the cluster layer sends one through the log instead).
     */
    final boolean replicated;
    private final Function<String, LockCounts> counts;
    private final Consumer<NamedSemaphore> drained;

    SemaphoreContext(Clock clock, LockListener listener, ExpiryQueue expiryQueue, TicketTable tickets,
                     boolean replicated, Function<String, LockCounts> counts, Consumer<NamedSemaphore> drained) {
        this.replicated = replicated;
        this.clock = clock;
        this.listener = listener;
        this.expiryQueue = expiryQueue;
        this.tickets = tickets;
        this.counts = counts;
        this.drained = drained;
    }

    /** The counts of the lock named {@code name}, kept across its removal and return. */
    LockCounts countsFor(String name) {
        return counts.apply(name);
    }

    /** Called by a retired semaphore, under its lock, once its last ticket is gone. */
    void drained(NamedSemaphore s) {
        drained.accept(s);
    }
}
