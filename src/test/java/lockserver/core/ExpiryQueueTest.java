package lockserver.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.Test;

public class ExpiryQueueTest {
    private static final long G = ExpiryQueue.GRANULARITY_NANOS;
    private static final long SECOND = 1_000_000_000L;

    private final ExpiryQueue queue = new ExpiryQueue();
    private final Ticket[] out = new Ticket[16];

    private static Ticket ticket(String id) {
        return new Ticket(id, -1, "", null, SlotRequest.ONE, null, 0);
    }

    private int poll(long now) {
        return queue.pollDue(now, out);
    }

    @Test
    public void ticketComesUpNeverBeforeItsTimeAndLessThanOneGranuleAfter() {
        for (long at : new long[] {0, 1, G - 1, G, G + 1, 5 * SECOND + 12_345, -7 * SECOND - 1, -G, Long.MIN_VALUE / 2}) {
            Ticket t = ticket("t");
            queue.schedule(t, at);
            assertEquals("at " + at, 0, poll(at - 1));
            long comesUp = Math.floorDiv(at - 1, G) * G + G; // the first multiple of G at or after at
            assertTrue(comesUp >= at && comesUp - at < G);
            assertEquals("at " + at, 0, poll(comesUp - 1));
            assertEquals("at " + at, 1, poll(comesUp));
            assertSame(t, out[0]);
            assertEquals(0, queue.size());
        }
    }

    @Test
    public void schedulingAgainMovesTheTicketAndItComesUpOnce() {
        Ticket t = ticket("t");
        queue.schedule(t, 10 * SECOND);
        queue.schedule(t, 5 * SECOND);
        assertEquals(1, queue.size());
        assertEquals(1, poll(6 * SECOND));
        assertSame(t, out[0]);
        assertEquals(0, poll(60 * SECOND));
        assertNull(t.expiryBucket);
    }

    @Test
    public void cancelledTicketNeverComesUp() {
        Ticket a = ticket("a");
        Ticket b = ticket("b");
        queue.schedule(a, SECOND);
        queue.schedule(b, SECOND);
        queue.cancel(a);
        queue.cancel(a); // twice is harmless
        assertEquals(1, poll(2 * SECOND));
        assertSame(b, out[0]);
        assertEquals(0, queue.size());
    }

    @Test
    public void ticketsTakenFromTheMiddleOfABucketLeaveTheRestToComeUpOnce() {
        Set<Ticket> expected = new HashSet<>();
        List<Ticket> moved = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Ticket t = ticket("t" + i);
            queue.schedule(t, SECOND); // all in one bucket
            if (i % 3 == 0) {
                queue.cancel(t);
            } else if (i % 3 == 1) {
                moved.add(t);
            } else {
                expected.add(t);
            }
        }
        for (Ticket t : moved) {
            queue.schedule(t, 10 * SECOND); // out of the bucket, into a later one
        }
        Set<Ticket> seen = new HashSet<>();
        int n;
        while ((n = poll(2 * SECOND)) > 0) {
            for (int i = 0; i < n; i++) {
                assertTrue("twice: " + out[i].id, seen.add(out[i]));
            }
        }
        assertEquals(expected, seen);
        assertEquals(moved.size(), queue.size());
        seen.clear();
        while ((n = poll(11 * SECOND)) > 0) {
            for (int i = 0; i < n; i++) {
                assertTrue("twice: " + out[i].id, seen.add(out[i]));
            }
        }
        assertEquals(new HashSet<>(moved), seen);
        assertEquals(0, queue.bucketCount());
    }

    @Test
    public void pollHandsOutAtMostItsArrayAndTheNextPollGoesOn() {
        Set<Ticket> all = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            Ticket t = ticket("t" + i);
            all.add(t);
            queue.schedule(t, i * SECOND / 1000); // spread over many buckets
        }
        Set<Ticket> seen = new HashSet<>();
        int n;
        while ((n = poll(2 * SECOND)) > 0) {
            assertTrue(n <= out.length);
            for (int i = 0; i < n; i++) {
                assertTrue("twice: " + out[i].id, seen.add(out[i]));
            }
        }
        assertEquals(all, seen);
        assertEquals(0, queue.bucketCount());
    }

    @Test
    public void emptyBucketsDoNotPileUp() {
        for (int i = 0; i < 10_000; i++) {
            Ticket t = ticket("t" + i);
            queue.schedule(t, i * G);     // each in a bucket of its own
            queue.cancel(t);
        }
        assertTrue(queue.bucketCount() <= 1);
        Ticket t = ticket("moved");
        for (int i = 0; i < 10_000; i++) {
            queue.schedule(t, i * G);
        }
        assertTrue(queue.bucketCount() <= 2);
    }

    @Test
    public void neverComesUpWhenTheTimeIsLongMax() {
        queue.schedule(ticket("t"), Long.MAX_VALUE);
        assertEquals(0, poll(Long.MAX_VALUE - 1));
        assertEquals(1, queue.size());
    }
}
