package lockserver.core;

import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Tickets in the order they were added, linked through {@link Ticket#prev} and
 * {@link Ticket#next}: adding, removing and taking the first are O(1) and allocate
 * nothing. A ticket is in at most one list at a time. Not thread-safe: the owning
 * {@link NamedSemaphore}'s lock guards it.
 */
final class TicketList implements Iterable<Ticket> {
    private Ticket head;
    private Ticket tail;
    private int size;

    void addLast(Ticket t) {
        t.prev = tail;
        t.next = null;
        if (tail == null) {
            head = t;
        } else {
            tail.next = t;
        }
        tail = t;
        size++;
    }

    /** Removes {@code t}, which must be in this list. */
    void remove(Ticket t) {
        if (t.prev == null) {
            head = t.next;
        } else {
            t.prev.next = t.next;
        }
        if (t.next == null) {
            tail = t.prev;
        } else {
            t.next.prev = t.prev;
        }
        t.prev = null;
        t.next = null;
        size--;
    }

    /** The oldest ticket, or null. */
    Ticket first() {
        return head;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Iterates oldest first; the list must not change meanwhile. */
    @Override
    public Iterator<Ticket> iterator() {
        return new Iterator<>() {
            private Ticket at = head;

            @Override
            public boolean hasNext() {
                return at != null;
            }

            @Override
            public Ticket next() {
                if (at == null) {
                    throw new NoSuchElementException();
                }
                Ticket t = at;
                at = t.next;
                return t;
            }
        };
    }
}
