package lockserver.core;

import lockserver.wire.Fault;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.Before;
import org.junit.Test;

/**
 * The slot rules one at a time on the single-server registry: several permits, exclusive,
 * priority and its aging, LOCK_DELAY, revoke, a smaller size on reload, watch. Fake clock,
 * no sleeps; {@link LockModelTest} checks the same rules at random.
 */
public class SlotRulesTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    /** The most a ticket may come up after its deadline (the expiry queue rounds times up). */
    private static final long ROUNDING = ExpiryQueue.GRANULARITY_NANOS;
    private static final long LONG = 1000 * SECOND;

    private final FakeClock clock = new FakeClock();
    private final List<String> ended = new ArrayList<>();
    private final LockRegistry registry = new LockRegistry(clock, new LockListener() {
        @Override
        public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
            ended.add(ticket + " " + cause);
        }
    });

    /** Size slots, grace 5 s; idle and max hold time long enough not to matter. */
    private static LockSettings settings(int size, long agingNanos, long lockDelayNanos) {
        return new LockSettings(size, 5 * SECOND, LONG, LONG, 100, agingNanos, lockDelayNanos);
    }

    private void configure(LockSettings settings) {
        registry.configure(Map.of("L", settings));
    }

    private String query(int permits, int priority) {
        return registry.query("L", "", null, new SlotRequest(permits, false, priority));
    }

    private String exclusive() {
        return registry.query("L", "", null, new SlotRequest(1, true, 0));
    }

    private TicketState state(String ticket) {
        return registry.peek(ticket).state();
    }

    @Before
    public void setUp() {
        configure(settings(3, 0, 0));
    }

    @Test
    public void aLargeRequestAtTheHeadBlocksSmallerOnesBehindIt() {
        String holder = query(2, 0);
        String large = query(2, 0);
        String small = query(1, 0);
        assertEquals(TicketState.QUEUED, state(small)); // one slot is free, but the head needs two
        assertEquals(2, registry.peek(small).position());
        assertEquals(2, registry.status("L").used());

        registry.release(holder);
        assertEquals(TicketState.GRANTED, state(large));
        assertEquals(TicketState.GRANTED, state(small));
        assertEquals(3, registry.status("L").used());
    }

    @Test
    public void exclusiveTakesEverySlotAndWaitsForAllToBeFree() {
        String a = query(1, 0);
        String b = query(1, 0);
        String writer = exclusive();
        registry.release(a);
        assertEquals(TicketState.QUEUED, state(writer));

        registry.release(b);
        assertEquals(TicketState.GRANTED, state(writer));
        assertEquals(3, registry.peek(writer).permits());
        assertEquals(3, registry.status("L").used());
        assertEquals(TicketState.QUEUED, state(query(1, 0)));
    }

    @Test
    public void higherPriorityIsGrantedFirst() {
        configure(settings(1, 0, 0));
        String holder = query(1, 0);
        String low = query(1, 1);
        String high = query(1, 5);
        assertEquals(1, registry.peek(high).position());

        registry.release(holder);
        assertEquals(TicketState.GRANTED, state(high));
        assertEquals(TicketState.QUEUED, state(low));
    }

    @Test
    public void agingLetsAnOldLowPriorityTicketPassNewerHighOnes() {
        configure(settings(1, 10 * SECOND, 0));
        String holder = query(1, 0);
        String old = query(1, 0);
        clock.advanceNanos(30 * SECOND); // three aging periods: old now ranks as priority 3
        String newer = query(1, 2);
        assertEquals(1, registry.peek(old).position());

        registry.release(holder);
        assertEquals(TicketState.GRANTED, state(old));
        assertEquals(TicketState.QUEUED, state(newer));
    }

    @Test
    public void agingZeroKeepsStrictPriority() {
        configure(settings(1, 0, 0));
        String holder = query(1, 0);
        String old = query(1, 0);
        clock.advanceNanos(300 * SECOND);
        String newer = query(1, 1);

        registry.release(holder);
        assertEquals(TicketState.GRANTED, state(newer));
        assertEquals(TicketState.QUEUED, state(old));
    }

    @Test
    public void lockDelayKeepsAnExpiredHoldersSlotsClosed() {
        configure(settings(1, 0, 20 * SECOND));
        String holder = query(1, 0); // never claimed: withdrawn after the 5 s grace
        String waiter = query(1, 0);
        clock.advanceNanos(5 * SECOND + ROUNDING);
        registry.tick();
        assertEquals(List.of(holder + " GRACE"), ended);
        assertEquals(TicketState.QUEUED, state(waiter));
        assertEquals(1, registry.status("L").delayed());

        clock.advanceNanos(15 * SECOND); // the delay is not over yet
        registry.tick();
        assertEquals(TicketState.QUEUED, state(waiter));

        clock.advanceNanos(5 * SECOND + ROUNDING);
        registry.tick();
        assertEquals(TicketState.GRANTED, state(waiter));
        assertEquals(0, registry.status("L").delayed());
    }

    @Test
    public void releaseFreesAtOnceDespiteLockDelay() {
        configure(settings(1, 0, 20 * SECOND));
        String holder = query(1, 0);
        String waiter = query(1, 0);
        assertTrue(registry.release(holder));
        assertEquals(TicketState.GRANTED, state(waiter));
        assertEquals(0, registry.status("L").delayed());
    }

    @Test
    public void revokeShowsReasonAndEndsTheHolderAfterTheTimeGiven() {
        configure(settings(1, 0, 20 * SECOND)); // a revoked holder's slot is not delayed
        String holder = query(1, 0);
        String waiter = query(1, 0);
        registry.check(holder);
        assertTrue(registry.revoke(holder, "maintenance", 10 * SECOND));
        assertEquals("maintenance", registry.check(holder).revoke());
        assertEquals(10 * SECOND, registry.check(holder).revokeInNanos());

        clock.advanceNanos(9 * SECOND);
        registry.check(holder); // a sign of life does not put the deadline off
        registry.tick();
        assertEquals(TicketState.GRANTED, state(holder));

        clock.advanceNanos(SECOND + ROUNDING);
        registry.tick();
        assertEquals(List.of(holder + " REVOKED"), ended);
        assertEquals(TicketState.GONE, state(holder));
        assertEquals(TicketState.GRANTED, state(waiter));
        assertEquals(0, registry.status("L").delayed());
    }

    @Test
    public void releaseBeforeTheRevokeDeadlineEndsNothing() {
        String holder = query(1, 0);
        registry.check(holder);
        registry.revoke(holder, "maintenance", 10 * SECOND);
        clock.advanceNanos(5 * SECOND);
        assertTrue(registry.release(holder));

        clock.advanceNanos(5 * SECOND + ROUNDING);
        assertEquals(List.of(), registry.tick());
        assertEquals(List.of(), ended);
    }

    @Test
    public void shrinkingSizeEndsQueuedRequestsThatNoLongerFit() {
        configure(settings(4, 0, 0));
        String holder = query(3, 0);
        String four = query(4, 0);
        String two = query(2, 0);
        String writer = exclusive();

        configure(settings(2, 0, 0));
        assertEquals(List.of(four + " RESIZED"), ended);
        assertEquals(TicketState.GONE, state(four));
        assertEquals(TicketState.QUEUED, state(two));
        assertEquals(TicketState.QUEUED, state(writer)); // it asks for every slot, however many
        assertEquals(2, registry.peek(writer).permits());
        assertEquals(TicketState.GRANTED, state(holder)); // a holder keeps its slots
        assertEquals(3, registry.status("L").used());
    }

    @Test
    public void aRemovedLockStaysWhileItsSlotsCoolSoOneAddedAgainKeepsTheDelay() {
        configure(settings(1, 0, 20 * SECOND));
        String holder = query(1, 0); // never claimed: withdrawn after the 5 s grace, its slot cools
        clock.advanceNanos(5 * SECOND + ROUNDING);
        registry.tick();
        assertEquals(List.of(holder + " GRACE"), ended);

        registry.configure(Map.of()); // removed while its slot cools: it stays, taking no queries
        assertEquals(1, registry.status("L").delayed());
        configure(settings(1, 0, 20 * SECOND)); // added again within the delay
        String next = query(1, 0);
        assertEquals(TicketState.QUEUED, state(next));

        clock.advanceNanos(10 * SECOND);
        registry.tick();
        assertEquals("the delay goes on", TicketState.QUEUED, state(next));
        clock.advanceNanos(10 * SECOND + ROUNDING);
        registry.tick();
        assertEquals(TicketState.GRANTED, state(next));
    }

    @Test
    public void aRemovedLockWhoseLastHolderExpiresStaysWhileTheSlotCools() {
        configure(settings(1, 0, 20 * SECOND));
        String holder = query(1, 0); // never claimed
        registry.configure(Map.of()); // removed first: it drains
        clock.advanceNanos(5 * SECOND + ROUNDING);
        registry.tick(); // the holder is withdrawn: the lock holds no ticket, but its slot cools
        assertEquals(List.of(holder + " GRACE"), ended);
        assertEquals(1, registry.status("L").delayed());

        configure(settings(1, 0, 20 * SECOND));
        String next = query(1, 0);
        assertEquals(TicketState.QUEUED, state(next));
        clock.advanceNanos(20 * SECOND + ROUNDING);
        registry.tick();
        assertEquals(TicketState.GRANTED, state(next));
    }

    @Test
    public void aRemovedLockLeavesWhenItsLastSlotStopsCooling() {
        configure(settings(1, 0, 20 * SECOND));
        query(1, 0);
        clock.advanceNanos(5 * SECOND + ROUNDING);
        registry.tick();
        registry.configure(Map.of());
        assertEquals(1, registry.list().size());

        clock.advanceNanos(20 * SECOND + ROUNDING);
        registry.tick();
        assertEquals(List.of(), registry.list());
    }

    @Test
    public void aListenerFailingOnAResizedTicketStopsNeitherTheOthersNorTheQueue() {
        List<String> told = new ArrayList<>();
        LockRegistry failing = new LockRegistry(clock, new LockListener() {
            @Override
            public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
                told.add(ticket);
                throw new IllegalStateException("journal full");
            }
        });
        failing.configure(Map.of("L", settings(4, 0, 0)));
        String holder = failing.query("L", "", null, new SlotRequest(2, false, 0));
        String three = failing.query("L", "", null, new SlotRequest(3, false, 0));
        String four = failing.query("L", "", null, new SlotRequest(4, false, 0));
        String one = failing.query("L", "", null, new SlotRequest(1, false, 0));
        try {
            failing.configure(Map.of("L", settings(2, 0, 0)));
            fail("the listener's failure was swallowed");
        } catch (IllegalStateException expected) {
            assertEquals(1, expected.getSuppressed().length);
        }
        assertEquals(List.of(three, four), told);
        assertEquals(TicketState.GONE, failing.peek(three).state());
        assertEquals(TicketState.GONE, failing.peek(four).state());
        assertTrue(failing.release(holder));
        assertEquals("the queue goes on at the new size", TicketState.GRANTED, failing.peek(one).state());
    }

    @Test
    public void permitsAboveSizeAreRefused() {
        try {
            query(4, 0);
            fail("a query for 4 of 3 slots was queued");
        } catch (LockException e) {
            assertEquals(Fault.BAD_ARGUMENT, e.fault());
        }
        assertEquals(0, registry.ticketCount());
        assertEquals(TicketState.GRANTED, state(query(3, 0)));
    }

    @Test
    public void watchAnswersOnTheNextChange() throws Exception {
        long version = registry.status("L").version();
        CompletableFuture<LockStatus> watch = registry.watch("L", version, LONG);
        assertFalse(watch.isDone());

        query(2, 0);
        assertTrue(watch.isDone());
        LockStatus status = watch.get();
        assertEquals(2, status.used());
        assertTrue(status.version() > version);
        assertTrue(registry.watch("L", version, LONG).isDone()); // an old version answers at once
    }

    @Test
    public void statusCountsUsedSlotsAndDelayedSlots() {
        configure(settings(5, 0, 30 * SECOND));
        registry.check(query(2, 0));
        query(1, 0); // never claimed
        clock.advanceNanos(5 * SECOND + ROUNDING);
        registry.tick();
        query(3, 0); // 2 used and 1 delayed: 3 more do not fit

        LockStatus s = registry.status("L");
        assertEquals(List.of(1, 1, 2, 1), List.of(s.granted(), s.queued(), s.used(), s.delayed()));
    }

    @Test
    public void checkShowsPermitsPriorityAndRevoke() {
        String holder = query(2, 7);
        TicketView view = registry.check(holder);
        assertEquals(List.of(2, 7, false, ""),
                List.of(view.permits(), view.priority(), view.exclusive(), view.revoke()));

        registry.revoke(holder, "upgrade", 30 * SECOND);
        view = registry.check(holder);
        assertEquals("upgrade", view.revoke());
        assertEquals(30 * SECOND, view.revokeInNanos());

        view = registry.check(exclusive());
        assertEquals(List.of(TicketState.QUEUED, 3, true), List.of(view.state(), view.permits(), view.exclusive()));
    }
}
