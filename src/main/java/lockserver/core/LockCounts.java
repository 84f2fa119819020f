package lockserver.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * The running counts of one lock name for the metrics: releases, cancels, expiries by cause
 * and a histogram of wait times, whose count is the number of grants; and for the status
 * page the waits of the last {@value #RECENT_WAITS} grants. The registry keeps
 * one per name for its whole life, so a lock removed and added again goes on counting
 * (a counter series must not reset).
 *
 * <p>Only the lock's semaphore writes them, under its lock, so each count has one writer at
 * a time: a plain add published with a release store, no atomic instruction (the lifecycle
 * tick counts thousands of expiries and grants at a time). Any thread may read them; a
 * reader may see one grant's counts half applied, which a monotonic counter tolerates.
 */
public final class LockCounts {
    public static final int RELEASES = 0;
    public static final int CANCELS = 1;
    public static final int EXPIRIES = 2; // one slot per Expiry.Cause, by ordinal
    // microseconds, not nanoseconds: a queue of 100 waiters adds 100 s a second, which would
    // overflow a long of nanoseconds in three years
    public static final int WAIT_MICROS = EXPIRIES + Expiry.Cause.values().length;
    private static final int FIRST_BUCKET = WAIT_MICROS + 1;

    /** Upper bounds of the wait histogram's buckets, in seconds, ending with +Inf. */
    public static final double[] BOUNDS_SECONDS = {0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 7200,
        Double.POSITIVE_INFINITY};
    private static final long[] BOUNDS_NANOS = new long[BOUNDS_SECONDS.length - 1];
    private static final VarHandle COUNT = MethodHandles.arrayElementVarHandle(long[].class);

    static {
        for (int i = 0; i < BOUNDS_NANOS.length; i++) {
            BOUNDS_NANOS[i] = (long) (BOUNDS_SECONDS[i] * TimeUnit.SECONDS.toNanos(1));
        }
    }

    /** How many of the latest grants' waits {@link #recentWaits} keeps. */
    public static final int RECENT_WAITS = 64;

    private final long[] counts = new long[FIRST_BUCKET + BOUNDS_SECONDS.length];
    private final LongRing waits = new LongRing(RECENT_WAITS); // nanoseconds; no array until a grant waited

    /** Under the semaphore's lock. */
    void add(int index) {
        addTo(index, 1);
    }

    /** A grant after {@code waitedNanos} in the queue; under the semaphore's lock. */
    void granted(long waitedNanos) {
        int bucket = 0;
        while (bucket < BOUNDS_NANOS.length && waitedNanos > BOUNDS_NANOS[bucket]) {
            bucket++;
        }
        addTo(WAIT_MICROS, waitedNanos / 1000);
        addTo(FIRST_BUCKET + bucket, 1);
        waits.add(waitedNanos);
    }

    private void addTo(int index, long n) {
        COUNT.setRelease(counts, index, counts[index] + n);
    }

    public long get(int index) {
        return (long) COUNT.getAcquire(counts, index);
    }

    /** Grants so far: the wait histogram's count. */
    public long grants() {
        long sum = 0;
        for (int i = 0; i < BOUNDS_SECONDS.length; i++) {
            sum += get(FIRST_BUCKET + i);
        }
        return sum;
    }

    /** The observations in each bucket (not cumulative), in the order of {@link #BOUNDS_SECONDS}. */
    public long[] waitBuckets() {
        long[] b = new long[BOUNDS_SECONDS.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = get(FIRST_BUCKET + i);
        }
        return b;
    }

    /** The waits from query to grant of the latest grants (at most {@value #RECENT_WAITS}), oldest first, in nanoseconds. */
    public long[] recentWaits() {
        return waits.copy();
    }

    /** Whether anything was counted yet: the metrics show a lock's counts from its first event. */
    public boolean any() {
        for (int i = 0; i < counts.length; i++) {
            if (get(i) != 0) {
                return true;
            }
        }
        return false;
    }
}
