package lockserver.server;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import lockserver.core.Expiry;

/**
 * The running counts of one lock for the metrics: grants, releases, cancels, expiries by
 * cause and a histogram of wait times. Thread-safe and lock-free; each event is one or
 * two atomic additions (the grants are the histogram's count, not a counter of their own:
 * the lifecycle tick makes thousands of grants at a time). A scrape may see one grant's
 * counts half applied, which a monotonic counter tolerates.
 */
final class LockCounts {
    static final int RELEASES = 0;
    static final int CANCELS = 1;
    static final int EXPIRIES = 2; // one slot per Expiry.Cause, by ordinal
    // microseconds, not nanoseconds: a queue of 100 waiters adds 100 s a second, which would
    // overflow a long of nanoseconds in three years
    static final int WAIT_MICROS = EXPIRIES + Expiry.Cause.values().length;
    private static final int FIRST_BUCKET = WAIT_MICROS + 1;

    /** Upper bounds of the wait histogram's buckets, in seconds, ending with +Inf. */
    static final double[] BOUNDS_SECONDS = {0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 7200, Double.POSITIVE_INFINITY};
    private static final long[] BOUNDS_NANOS = new long[BOUNDS_SECONDS.length - 1];

    static {
        for (int i = 0; i < BOUNDS_NANOS.length; i++) {
            BOUNDS_NANOS[i] = (long) (BOUNDS_SECONDS[i] * TimeUnit.SECONDS.toNanos(1));
        }
    }

    private final AtomicLongArray counts = new AtomicLongArray(FIRST_BUCKET + BOUNDS_SECONDS.length);

    void add(int index) {
        counts.getAndIncrement(index);
    }

    void granted(long waitedNanos) {
        int bucket = 0;
        while (bucket < BOUNDS_NANOS.length && waitedNanos > BOUNDS_NANOS[bucket]) {
            bucket++;
        }
        counts.getAndAdd(WAIT_MICROS, waitedNanos / 1000);
        counts.getAndIncrement(FIRST_BUCKET + bucket);
    }

    long get(int index) {
        return counts.get(index);
    }

    /** Grants so far: the wait histogram's count. */
    long grants() {
        long sum = 0;
        for (int i = 0; i < BOUNDS_SECONDS.length; i++) {
            sum += counts.get(FIRST_BUCKET + i);
        }
        return sum;
    }

    /** The observations in each bucket (not cumulative), in the order of {@link #BOUNDS_SECONDS}. */
    long[] waitBuckets() {
        long[] b = new long[BOUNDS_SECONDS.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = counts.get(FIRST_BUCKET + i);
        }
        return b;
    }
}
