package lockserver.server.journal;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Reusable changes for one batching thread (the lifecycle tick makes thousands, and their
 * garbage made young collections start inside ticks). The writer gives written changes
 * back as a chain from any thread ({@link #giveBack}); the batching thread takes them one
 * at a time ({@link #take}), taking the whole chain at once when its own runs out. One
 * taking thread at a time, and {@link #forget} between two takers.
 */
final class ChangePool {
    private final AtomicReference<Change> returned = new AtomicReference<>();
    private Change spare; // the taker's: taken from returned, linked through next

    /** A change to fill: a returned one, or a new reusable one. Taker only. */
    Change take() {
        Change c = spare;
        if (c == null) {
            c = returned.getAndSet(null);
            if (c == null) {
                return new Change(true);
            }
        }
        spare = c.next;
        c.next = null;
        return c;
    }

    /** Drops what the taker holds (left to the collector), for a new taker. */
    void forget() {
        spare = null;
    }

    /** Gives back a chain of written changes, {@code first} to {@code last} through next. Any thread. */
    void giveBack(Change first, Change last) {
        Change top;
        do {
            top = returned.get();
            last.next = top;
        } while (!returned.compareAndSet(top, first));
    }
}
