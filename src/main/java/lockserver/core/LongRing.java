package lockserver.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The last {@code capacity} longs added, oldest dropped first, in memory that does not grow:
 * one array, allocated at the first value that is not zero (a ring that saw only zeros is a
 * few bytes). One writer at a time (the caller's lock or thread), with release stores and no
 * atomic instruction; any thread may take a {@link #copy}, which a write during the copy may
 * leave holding one value newer than the rest.
 */
public final class LongRing {
    private static final VarHandle VALUE = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle ADDED;

    static {
        try {
            ADDED = MethodHandles.lookup().findVarHandle(LongRing.class, "added", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int capacity;
    private long[] values; // null while every value added was 0; published by the store of added
    private long added; // written with a release store after the value it counts

    public LongRing(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
    }

    public void add(long value) {
        long n = added;
        if (values == null) {
            if (value == 0) {
                ADDED.setRelease(this, n + 1);
                return;
            }
            values = new long[capacity]; // what came before was all zeros
        }
        VALUE.setRelease(values, (int) (n % capacity), value);
        ADDED.setRelease(this, n + 1);
    }

    /** The values held (at most capacity), oldest first. */
    public long[] copy() {
        long n = (long) ADDED.getAcquire(this);
        int size = (int) Math.min(n, capacity);
        long[] out = new long[size];
        long[] v = values;
        if (v != null) {
            for (int i = 0; i < size; i++) {
                out[i] = (long) VALUE.getAcquire(v, (int) ((n - size + i) % capacity));
            }
        }
        return out;
    }
}
