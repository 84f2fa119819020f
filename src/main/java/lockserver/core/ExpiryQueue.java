package lockserver.core;

import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tickets ordered by the time they next need looking at, so the lifecycle touches only
 * what is due. An entry may be early (the ticket showed signs of life since it was
 * scheduled) but never late: whoever moves a ticket's deadline earlier reschedules it.
 * Thread-safe; any thread may schedule or cancel, one thread polls.
 */
final class ExpiryQueue {

    record Entry(long at, long seq, Ticket ticket) implements Comparable<Entry> {
        @Override
        public int compareTo(Entry o) {
            int c = Long.compare(at, o.at);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final ConcurrentSkipListSet<Entry> entries = new ConcurrentSkipListSet<>();
    private final AtomicLong seq = new AtomicLong();

    Entry schedule(Ticket ticket, long at) {
        Entry e = new Entry(at, seq.incrementAndGet(), ticket);
        entries.add(e);
        return e;
    }

    void cancel(Entry e) {
        if (e != null) {
            entries.remove(e);
        }
    }

    /** Removes and returns the earliest entry due at {@code now}, or null if none is due. */
    Entry pollDue(long now) {
        while (true) {
            Entry first = entries.isEmpty() ? null : firstOrNull();
            if (first == null || first.at - now > 0) {
                return null;
            }
            if (entries.remove(first)) {
                return first;
            }
            // cancelled concurrently: look again
        }
    }

    private Entry firstOrNull() {
        try {
            return entries.first();
        } catch (java.util.NoSuchElementException raced) {
            return null;
        }
    }

    int size() {
        return entries.size();
    }
}
