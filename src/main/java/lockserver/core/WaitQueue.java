package lockserver.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The queued tickets of one lock, in the order they are granted: higher effective priority
 * first, then the older ticket. A ticket's effective priority is the priority it asked for
 * plus one for every aging period (PRIORITY_AGING, counted on the clock from its origin)
 * that has begun since its query: so no ticket waits forever behind newer ones of higher
 * priority, and since every waiting ticket gains at the same moments, the order of two
 * tickets never changes while they wait; it changes only when tickets come and go. That
 * keeps it a plain list per priority (FIFO within each), the head one of at most ten
 * list heads, and needs no timer.
 *
 * <p>Not thread-safe: the owning {@link NamedSemaphore}'s lock guards it.
 */
final class WaitQueue implements Iterable<Ticket> {
    private final TicketList[] byPriority = new TicketList[SlotRequest.MAX_PRIORITY + 1];
    private int nonEmpty; // bit p set when byPriority[p] has tickets
    private int size;

    WaitQueue() {
        for (int p = 0; p < byPriority.length; p++) {
            byPriority[p] = new TicketList();
        }
    }

    void add(Ticket t) {
        byPriority[t.priority].addLast(t);
        nonEmpty |= 1 << t.priority;
        size++;
    }

    /** Removes {@code t}, which must be queued here. */
    void remove(Ticket t) {
        TicketList list = byPriority[t.priority];
        list.remove(t);
        if (list.isEmpty()) {
            nonEmpty &= ~(1 << t.priority);
        }
        size--;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The ticket to grant next, or null when none waits. */
    Ticket head(long agingNanos) {
        if ((nonEmpty & (nonEmpty - 1)) == 0) { // one priority only (or none): its oldest
            return nonEmpty == 0 ? null : byPriority[Integer.numberOfTrailingZeros(nonEmpty)].first();
        }
        Ticket best = null;
        for (int p = byPriority.length - 1; p >= 0; p--) {
            Ticket t = byPriority[p].first();
            if (t != null && (best == null || ahead(t, best, agingNanos))) {
                best = t;
            }
        }
        return best;
    }

    /** How many tickets will be granted before {@code t}, which must be queued here. */
    int ahead(Ticket t, long agingNanos) {
        int n = 0;
        for (int p = 0; p < byPriority.length; p++) {
            for (Ticket o : byPriority[p]) {
                if (o == t || p != t.priority && !ahead(o, t, agingNanos)) {
                    break; // the rest of this list is younger still
                }
                n++;
            }
        }
        return n;
    }

    /** Every queued ticket in the order they will be granted (for operators and tests; not on a hot path). */
    List<Ticket> inOrder(long agingNanos) {
        List<Ticket> all = new ArrayList<>(size);
        Ticket[] next = new Ticket[byPriority.length];
        for (int p = 0; p < next.length; p++) {
            next[p] = byPriority[p].first();
        }
        while (all.size() < size) {
            int best = -1;
            for (int p = next.length - 1; p >= 0; p--) {
                if (next[p] != null && (best < 0 || ahead(next[p], next[best], agingNanos))) {
                    best = p;
                }
            }
            all.add(next[best]);
            next[best] = next[best].next;
        }
        return all;
    }

    /** {@code t}'s priority after aging, at {@code now}. */
    static long effectivePriority(Ticket t, long now, long agingNanos) {
        return t.priority + period(now, agingNanos) - period(t.queuedAt, agingNanos);
    }

    /**
     * Whether {@code a} goes before {@code b}, tickets of different priorities. Both compare
     * their priority at the same moment, so the aging since that moment cancels out: what
     * counts is the priority asked for less the aging period of the query. Two that tie there
     * were queued in different periods, so the older goes first. (Within one priority the
     * list's order decides.)
     */
    private static boolean ahead(Ticket a, Ticket b, long agingNanos) {
        long ra = a.priority - period(a.queuedAt, agingNanos);
        long rb = b.priority - period(b.queuedAt, agingNanos);
        return ra != rb ? ra > rb : a.queuedAt < b.queuedAt;
    }

    private static long period(long time, long agingNanos) {
        return agingNanos == 0 ? 0 : Math.floorDiv(time, agingNanos);
    }

    /** Every queued ticket, by priority (lowest first) and then age; for work on all of them. */
    @Override
    public Iterator<Ticket> iterator() {
        return new Iterator<>() {
            private int p = -1;
            private Ticket at;

            @Override
            public boolean hasNext() {
                while (at == null && p + 1 < byPriority.length) {
                    at = byPriority[++p].first();
                }
                return at != null;
            }

            @Override
            public Ticket next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                Ticket t = at;
                at = t.next;
                return t;
            }
        };
    }
}
