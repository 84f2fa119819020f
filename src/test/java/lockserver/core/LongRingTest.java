package lockserver.core;

import static org.junit.Assert.assertArrayEquals;

import org.junit.Test;

public class LongRingTest {
    @Test
    public void keepsTheLastCapacityValuesOldestFirst() {
        LongRing r = new LongRing(3);
        assertArrayEquals(new long[0], r.copy());
        r.add(1);
        r.add(2);
        assertArrayEquals(new long[] {1, 2}, r.copy());
        r.add(3);
        r.add(4);
        assertArrayEquals(new long[] {2, 3, 4}, r.copy());
        for (long v = 5; v <= 11; v++) {
            r.add(v);
        }
        assertArrayEquals(new long[] {9, 10, 11}, r.copy());
    }

    @Test
    public void zerosBeforeTheFirstOtherValueAreKept() {
        LongRing r = new LongRing(4);
        r.add(0);
        r.add(0);
        assertArrayEquals(new long[] {0, 0}, r.copy());
        r.add(-7);
        r.add(0);
        r.add(5);
        assertArrayEquals(new long[] {0, -7, 0, 5}, r.copy());
    }
}
