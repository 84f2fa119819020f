package lockserver.server.web;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.core.FakeClock;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import org.junit.Test;

public class HistoryTest {
    private static final long HOURS = TimeUnit.HOURS.toNanos(10);
    private final FakeClock clock = new FakeClock();
    private final LockRegistry locks = new LockRegistry(clock);
    private final History history = new History(clock, () -> locks);

    private static LockSettings size(int n) {
        return new LockSettings(n, HOURS, HOURS, HOURS, 100);
    }

    @Test
    public void samplesOncePerPeriodOfTheClock() {
        locks.create("a", size(2));
        history.sample();
        locks.query("a", "one");
        history.sample(); // not due: the first sample was just taken
        clock.advanceNanos(History.PERIOD_NANOS - 1);
        history.sample();
        assertArrayEquals(new int[] {0}, history.of("a").used());
        clock.advanceNanos(1);
        history.sample();
        assertArrayEquals(new int[] {0, 1}, history.of("a").used());
        clock.advanceNanos(History.PERIOD_NANOS * 3 / 2); // late by half a period: the next is still due on time
        history.sample();
        assertEquals(3, history.of("a").used().length);
        clock.advanceNanos(History.PERIOD_NANOS / 2);
        history.sample();
        assertEquals(4, history.of("a").used().length);
    }

    @Test
    public void samplesHoldSlotsUsedAndQueueLength() {
        locks.create("a", size(1));
        locks.query("a", "holds");
        locks.query("a", "waits");
        locks.query("a", "waits too");
        history.sample();
        History.Series s = history.of("a");
        assertArrayEquals(new int[] {1}, s.used());
        assertArrayEquals(new int[] {2}, s.queued());
    }

    @Test
    public void aRingKeepsTheLastHourAndNoMore() {
        locks.create("a", size(1000));
        for (int i = 1; i <= History.SAMPLES + 1; i++) {
            locks.query("a", "holder " + i); // sample i sees i holders
            history.sample();
            clock.advanceNanos(History.PERIOD_NANOS);
        }
        int[] used = history.of("a").used();
        assertEquals(History.SAMPLES, used.length);
        assertEquals(2, used[0]); // the first sample (1) is gone
        assertEquals(History.SAMPLES + 1, used[used.length - 1]);
    }

    @Test
    public void aRemovedLockLosesItsRingAndANewOneStartsEmpty() throws Exception {
        locks.configure(Map.of("old", size(1)));
        String holder = locks.query("old", "holds");
        history.sample();
        clock.advanceNanos(History.PERIOD_NANOS);
        history.sample();
        assertEquals(2, history.of("old").used().length);

        locks.configure(Map.of("new", size(3)));   // "old" drains: still sampled while it has a holder
        assertTrue(locks.release(locks.query("new", "in and out")));
        clock.advanceNanos(History.PERIOD_NANOS);
        history.sample();
        assertEquals(1, history.of("new").used().length);
        assertEquals(3, history.of("old").used().length);

        assertTrue(locks.release(holder)); // drained: the lock is gone
        clock.advanceNanos(History.PERIOD_NANOS);
        history.sample();
        assertEquals(0, history.of("old").used().length);
        assertEquals(2, history.of("new").used().length);
    }
}
