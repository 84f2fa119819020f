package lockserver.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

import java.util.concurrent.TimeUnit;
import org.junit.Test;

public class LockCountsTest {
    @Test
    public void aWaitOnABucketBoundGoesInThatBucket() {
        LockCounts c = new LockCounts();
        c.granted(TimeUnit.MILLISECONDS.toNanos(1)); // le 0.001
        c.granted(TimeUnit.MILLISECONDS.toNanos(1) + 1); // le 0.01
        c.granted(0); // le 0.001
        c.granted(TimeUnit.HOURS.toNanos(3)); // +Inf
        assertArrayEquals(new long[] {2, 1, 0, 0, 0, 0, 0, 0, 0, 1}, c.waitBuckets());
        assertEquals(4, c.grants());
        assertEquals(2000 + TimeUnit.HOURS.toMicros(3), c.get(LockCounts.WAIT_MICROS)); // whole microseconds
    }

    @Test
    public void eachEventCountsOnlyItsOwnSeries() {
        LockCounts c = new LockCounts();
        c.add(LockCounts.RELEASES);
        c.add(LockCounts.RELEASES);
        c.add(LockCounts.CANCELS);
        c.add(LockCounts.EXPIRIES + 1);
        assertEquals(0, c.grants());
        assertEquals(2, c.get(LockCounts.RELEASES));
        assertEquals(1, c.get(LockCounts.CANCELS));
        assertEquals(0, c.get(LockCounts.EXPIRIES));
        assertEquals(1, c.get(LockCounts.EXPIRIES + 1));
        assertEquals(0, c.get(LockCounts.WAIT_MICROS));
    }

    @Test
    public void recentWaitsKeepTheLatestGrantsOnly() {
        LockCounts c = new LockCounts();
        for (int i = 1; i <= LockCounts.RECENT_WAITS + 2; i++) {
            c.granted(i);
        }
        long[] recent = c.recentWaits();
        assertEquals(LockCounts.RECENT_WAITS, recent.length);
        assertEquals(3, recent[0]); // the first two fell out
        assertEquals(LockCounts.RECENT_WAITS + 2, recent[recent.length - 1]);
        assertEquals(LockCounts.RECENT_WAITS + 2, c.grants()); // the histogram still counts all
    }
}
