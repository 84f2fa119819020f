package lockserver.core;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tickets filed by the time they next need looking at, so the lifecycle touches only what
 * is due. Times are rounded up to a multiple of {@link #GRANULARITY_NANOS}: a ticket comes
 * up at most that much after the time it was filed for, never before it. Tickets due
 * within the same interval share a bucket (as in ZooKeeper's ExpiryQueue), so filing,
 * moving and unfiling a ticket cost O(1) in the usual case and allocate nothing.
 *
 * <p>Thread-safe. {@link #lock} guards the buckets and every ticket's expiry links; it is
 * held for O(1) work per ticket, never while a ticket is processed. Callers file and
 * unfile a ticket under its semaphore's lock, so the lock order is semaphore, then queue.
 * Times are {@link Clock#nanoTime} values, assumed not to wrap within a server's life.
 */
final class ExpiryQueue {
    private static final int GRANULARITY_SHIFT = 24;
    /** About 16.8 ms: fine next to expiry times of seconds, coarse enough to share buckets. */
    static final long GRANULARITY_NANOS = 1L << GRANULARITY_SHIFT;

    /** Tickets due in one interval, linked through {@link Ticket#expiryNext}; guarded by the queue's lock. */
    static final class Bucket {
        final long key; // due at key * GRANULARITY_NANOS
        Ticket head;

        Bucket(long key) {
            this.key = key;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private final TreeMap<Long, Bucket> buckets = new TreeMap<>(); // none empty but recent
    private Bucket recent; // the bucket filed into last: tickets filed together skip the map
    private int size;

    /** Files {@code t} to come up at {@code at}, rounded up; moves it if it was filed for another time. */
    void schedule(Ticket t, long at) {
        long key = ((at - 1) >> GRANULARITY_SHIFT) + 1; // ceil(at / GRANULARITY_NANOS)
        lock.lock();
        try {
            if (t.expiryBucket != null) {
                if (t.expiryKey == key) { // without reaching the bucket: most grants keep their deadline
                    return;
                }
                unlink(t);
            } else {
                size++;
            }
            link(t, bucket(key));
        } finally {
            lock.unlock();
        }
    }

    /** Unfiles {@code t}; does nothing if it is not filed. */
    void cancel(Ticket t) {
        lock.lock();
        try {
            if (t.expiryBucket != null) {
                unlink(t);
                size--;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Unfiles up to {@code out.length} tickets that are due at {@code now} and puts them in
     * {@code out}; returns how many. Zero means none is due.
     */
    int pollDue(long now, Ticket[] out) {
        long lastDue = now >> GRANULARITY_SHIFT; // a bucket is due if key * GRANULARITY_NANOS <= now
        lock.lock();
        try {
            int n = 0;
            while (n < out.length && !buckets.isEmpty()) {
                Map.Entry<Long, Bucket> first = buckets.firstEntry();
                if (first.getKey() > lastDue) {
                    break;
                }
                Bucket b = first.getValue();
                while (n < out.length && b.head != null) {
                    Ticket t = b.head;
                    unlink(t);
                    size--;
                    out[n++] = t;
                }
                if (b.head == null) {
                    buckets.remove(b.key); // also when it is recent: it must not take tickets any more
                    if (b == recent) {
                        recent = null;
                    }
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /** How many buckets exist; for tests that pin that empty ones do not pile up. */
    int bucketCount() {
        lock.lock();
        try {
            return buckets.size();
        } finally {
            lock.unlock();
        }
    }

    // --- the rest runs under lock

    private Bucket bucket(long key) {
        Bucket r = recent;
        if (r != null && r.key == key) {
            return r;
        }
        Bucket b = buckets.get(key);
        if (b == null) {
            b = new Bucket(key);
            buckets.put(key, b);
        }
        if (r != null && r.head == null) {
            buckets.remove(r.key); // an empty bucket stays only while it is recent
        }
        recent = b;
        return b;
    }

    private static void link(Ticket t, Bucket b) {
        t.expiryBucket = b;
        t.expiryKey = b.key;
        t.expiryPrev = null;
        t.expiryNext = b.head;
        if (b.head != null) {
            b.head.expiryPrev = t;
        }
        b.head = t;
    }

    private void unlink(Ticket t) {
        Bucket b = t.expiryBucket;
        if (t.expiryPrev != null) {
            t.expiryPrev.expiryNext = t.expiryNext;
        } else {
            b.head = t.expiryNext;
        }
        if (t.expiryNext != null) {
            t.expiryNext.expiryPrev = t.expiryPrev;
        }
        t.expiryBucket = null;
        t.expiryPrev = null;
        t.expiryNext = null;
        if (b.head == null && b != recent) {
            buckets.remove(b.key);
        }
    }
}
