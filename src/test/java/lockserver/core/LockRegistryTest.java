package lockserver.core;

import lockserver.wire.Fault;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Before;
import org.junit.Test;

/** The semaphore state machine, driven by a fake clock: no test here sleeps. */
public class LockRegistryTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final long NO_WAIT = 0;
    /** The most a ticket may come up after its deadline (the expiry queue rounds times up). */
    private static final long ROUNDING = ExpiryQueue.GRANULARITY_NANOS;

    private FakeClock clock;
    private LockRegistry registry;

    @Before
    public void setUp() {
        clock = new FakeClock();
        registry = new LockRegistry(clock);
        // size 2, grace 10 s, idle 100 s, max hold 1000 s
        registry.create("L", new LockSettings(2, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 50));
    }

    private boolean granted(String ticket) throws InterruptedException {
        return registry.await(ticket, NO_WAIT);
    }

    private TicketState state(String ticket) {
        return registry.check(ticket).state();
    }

    @Test
    public void lockNamesAreOneTo64SafeCharactersStartingWithALetterOrDigit() {
        for (String ok : new String[] {"a", "Z", "7", "san02", "A-b.c:d_e", "x".repeat(64), "0-"}) {
            assertTrue(ok, LockRegistry.isLockName(ok));
        }
        for (String bad : new String[] {"", "x".repeat(65), "-a", "_a", ".a", "a b", "a/b", "a\n", "caf\u00e9",
                "a\"b", "\u0661"}) {
            assertFalse(bad, LockRegistry.isLockName(bad));
        }
    }

    @Test
    public void ticketIdsAre32LowercaseHexDigits() {
        String id = registry.query("L", "me");
        assertTrue(id, LockRegistry.isTicketId(id));
        assertTrue(LockRegistry.isTicketId("0123456789abcdef0123456789abcdef"));
        for (String bad : new String[] {"", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
                "0123456789ABCDEF0123456789abcdef", "0123456789abcdeg0123456789abcdef", " 123456789abcdef0123456789abcdef"}) {
            assertFalse(bad, LockRegistry.isTicketId(bad));
        }
    }

    @Test
    public void aWokenWaitCompletesAfterTheReleaseLeftTheLock() throws Exception {
        registry.query("L", "a");
        String b = registry.query("L", "b");
        String c = registry.query("L", "c");
        AtomicBoolean otherThreadGotIn = new AtomicBoolean();
        java.util.concurrent.CompletableFuture<Boolean> seen = registry.awaitAsync(c, 60 * SECOND)
                .thenApply(grantedNow -> {
                    // another thread can use the lock while this stage runs: it is not held here
                    Thread probe = new Thread(() -> {
                        registry.status("L");
                        otherThreadGotIn.set(true);
                    });
                    probe.start();
                    try {
                        probe.join(10_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return grantedNow;
                });
        assertFalse(seen.isDone());
        assertTrue(registry.release(b));
        assertTrue("completed by the release call", seen.isDone());
        assertTrue(seen.join());
        assertTrue("the lock was free while the wait's dependents ran", otherThreadGotIn.get());
    }

    @Test(timeout = 60_000)
    public void aReleaseCompletesTheWaitsItWokeBeforeItReturnsWhileOthersUseTheLock() throws Exception {
        Ticket gone = registry.tickets.get(registry.query("L", "gone"));
        registry.release(gone.id);
        AtomicBoolean stop = new AtomicBoolean();
        Thread other = new Thread(() -> { // any other client's calls into the same semaphore
            while (!stop.get()) {
                gone.semaphore.release(gone);
            }
        });
        other.start();
        int notDone = 0;
        try {
            for (int round = 0; round < 10_000; round++) {
                String h1 = registry.query("L", "h1");
                String h2 = registry.query("L", "h2");
                String w = registry.query("L", "w");
                List<java.util.concurrent.CompletableFuture<Boolean>> waits = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    waits.add(registry.awaitAsync(w, 100 * SECOND).thenApply(granted -> {
                        long busy = System.nanoTime() + 2_000; // a dependent with some work widens the window
                        while (System.nanoTime() - busy < 0) {
                            Thread.onSpinWait();
                        }
                        return granted;
                    }));
                }
                registry.release(h1); // grants w and wakes its waits
                for (java.util.concurrent.CompletableFuture<Boolean> f : waits) {
                    if (!f.isDone()) {
                        notDone++;
                    }
                }
                registry.release(h2);
                registry.release(w);
            }
        } finally {
            stop.set(true);
            other.join();
        }
        assertEquals("waits still open when the release that woke them returned", 0, notDone);
    }

    @Test
    public void aQueryWhoseListenerFailsLeavesNoTicket() throws Exception {
        AtomicBoolean fail = new AtomicBoolean(true);
        LockRegistry r = new LockRegistry(clock, new LockListener() {
            @Override
            public void queued(String lock, String ticket, String info, String key, SlotRequest request) {
                if (fail.getAndSet(false)) {
                    throw new IllegalStateException("disk full");
                }
            }
        });
        r.create("F", new LockSettings(1, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 50));
        try {
            r.query("F", "first");
            fail("the listener's failure reaches the caller");
        } catch (IllegalStateException e) {
            assertEquals("disk full", e.getMessage());
        }
        assertEquals(0, r.ticketCount());
        assertEquals(Statuses.brief("F", 1, 0, 0), Statuses.brief(r.status("F")));
        String next = r.query("F", "next");
        assertTrue("the slot was not taken by the failed query", r.await(next, NO_WAIT));
    }

    @Test
    public void queryIntoFreeLockIsGrantedAtOnce() throws Exception {
        String a = registry.query("L", "a");
        assertTrue(granted(a));
        assertEquals(Statuses.brief("L", 2, 1, 0), Statuses.brief(registry.status("L")));
    }

    @Test
    public void grantsFollowQueryOrder() throws Exception {
        List<String> tickets = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            tickets.add(registry.query("L", "t" + i));
        }
        assertTrue(granted(tickets.get(0)));
        assertTrue(granted(tickets.get(1)));
        for (int i = 2; i < 6; i++) {
            assertFalse(granted(tickets.get(i)));
            assertEquals(i - 1, registry.check(tickets.get(i)).position());
        }
        for (int i = 2; i < 6; i++) {
            assertTrue(registry.release(tickets.get(i - 2)));
            assertTrue("ticket " + i + " should be next", granted(tickets.get(i)));
            if (i + 1 < 6) {
                assertFalse(granted(tickets.get(i + 1)));
            }
        }
    }

    @Test
    public void releaseHandsSlotToOldestWaiterWithoutATick() throws Exception {
        String a = registry.query("L", "a");
        String b = registry.query("L", "b");
        String c = registry.query("L", "c");
        String d = registry.query("L", "d");
        assertFalse(granted(c));
        assertTrue(registry.release(b));
        assertTrue(granted(c));
        assertFalse(granted(d));
        assertEquals(Statuses.brief("L", 2, 2, 1), Statuses.brief(registry.status("L")));
        assertTrue(granted(a));
    }

    @Test
    public void releaseOfQueuedTicketCancelsItAndKeepsOrder() throws Exception {
        registry.query("L", "a");
        String b = registry.query("L", "b");
        String c = registry.query("L", "c");
        String d = registry.query("L", "d");
        assertTrue(registry.release(c));
        assertEquals(TicketState.GONE, state(c));
        assertEquals(1, registry.check(d).position());
        assertTrue(registry.release(b));
        assertTrue(granted(d));
    }

    @Test
    public void releaseOfGoneTicketReturnsFalse() {
        String a = registry.query("L", "a");
        assertTrue(registry.release(a));
        assertFalse(registry.release(a));
        assertFalse(registry.renew(a));
        assertFalse(registry.release("0123456789abcdef0123456789abcdef"));
        assertEquals(TicketState.GONE, state("0123456789abcdef0123456789abcdef"));
    }

    @Test
    public void fencingTokensGrowWithEveryGrant() throws Exception {
        long last = 0;
        for (int i = 0; i < 5; i++) {
            String t = registry.query("L", "t" + i);
            assertTrue(granted(t));
            long token = registry.check(t).token();
            assertTrue("token " + token + " after " + last, token > last);
            last = token;
            registry.release(t);
        }
    }

    @Test
    public void unclaimedGrantIsWithdrawnAfterGraceAndPassedOn() throws Exception {
        String a = registry.query("L", "a");
        String b = registry.query("L", "b");
        String c = registry.query("L", "c");
        assertTrue(granted(a));            // a claims; b is granted but never looks
        clock.advanceSeconds(9);
        assertTrue(registry.tick().isEmpty());
        assertTrue(registry.renew(a));
        clock.advanceSeconds(1);
        clock.advanceNanos(ROUNDING);
        List<Expiry> expired = registry.tick();
        assertEquals(List.of(new Expiry("L", b, "b", Expiry.Cause.GRACE)), expired);
        assertEquals(TicketState.GONE, state(b));
        assertEquals(TicketState.GRANTED, state(a));
        assertEquals(TicketState.GRANTED, state(c)); // the slot passed on in the same tick
    }

    @Test
    public void claimedGrantOutlivesGraceTime() throws Exception {
        String a = registry.query("L", "a");
        assertEquals(TicketState.GRANTED, state(a)); // check claims
        clock.advanceSeconds(50);
        assertTrue(registry.tick().isEmpty());
        assertEquals(TicketState.GRANTED, state(a));
    }

    @Test
    public void silentTicketsExpireAfterIdleTimeQueuedOrGranted() throws Exception {
        String a = registry.query("L", "a");
        String b = registry.query("L", "b");
        String queued = registry.query("L", "queued");
        String alive = registry.query("L", "alive");
        assertTrue(granted(a));
        assertTrue(granted(b));
        clock.advanceSeconds(60);
        assertTrue(registry.renew(a));
        assertTrue(registry.renew(alive));
        clock.advanceSeconds(40);
        clock.advanceNanos(ROUNDING);
        List<Expiry> expired = registry.tick();
        assertEquals(Set.of(new Expiry("L", b, "b", Expiry.Cause.IDLE),
                new Expiry("L", queued, "queued", Expiry.Cause.IDLE)), new HashSet<>(expired));
        assertEquals(TicketState.GRANTED, state(a));
        assertEquals(TicketState.GRANTED, state(alive));
    }

    @Test
    public void ticketRenewedWhileQueuedThenGrantedEndsAtItsNewDeadlineNotItsOld() throws Exception {
        // grace longer than idle: the grant leaves the ticket filed for its old idle time
        registry.create("G", new LockSettings(1, 1000 * SECOND, 100 * SECOND, 1000 * SECOND, 50));
        String holder = registry.query("G", "holder");
        String next = registry.query("G", "next");
        clock.advanceSeconds(60);
        assertTrue(registry.renew(holder));
        assertTrue(registry.renew(next));       // idle time now ends at 160 s, not 100 s
        assertTrue(registry.release(holder));
        LockDetail g = registry.details().stream().filter(d -> d.name().equals("G")).findFirst().orElseThrow();
        assertEquals(next, g.holders().get(0).ticket()); // granted (details, unlike a check, is no sign of life)
        clock.advanceSeconds(40);
        clock.advanceNanos(ROUNDING);
        assertTrue("comes up at its old time, and is filed again", registry.tick().isEmpty());
        clock.advanceSeconds(59);
        assertTrue(registry.tick().isEmpty());
        clock.advanceSeconds(1);
        assertEquals(List.of(new Expiry("G", next, "next", Expiry.Cause.IDLE)), registry.tick());
    }

    @Test
    public void countsGoOnWhenALockIsRemovedAndConfiguredAgain() throws Exception {
        LockSettings settings = new LockSettings(1, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 50);
        registry.configure(Map.of("C", settings));
        assertTrue(registry.release(registry.query("C", "one")));
        registry.configure(Map.of());                    // removed; it has no tickets, so it is gone at once
        assertTrue(registry.list().stream().noneMatch(s -> s.name().equals("C")));
        registry.configure(Map.of("C", settings));       // a new lock of the same name
        assertTrue(registry.release(registry.query("C", "two")));
        LockCounts counts = registry.counts().get("C");
        assertEquals(2, counts.get(LockCounts.RELEASES));
        assertEquals(2, counts.grants());
    }

    @Test(timeout = 10_000)
    public void anExpiryIsCountedBeforeItFreesTheNameOfARemovedLock() throws Exception {
        LockSettings settings = new LockSettings(1, 10 * SECOND, SECOND, 1000 * SECOND, 50);
        CountDownLatch inTick = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        LockRegistry r = new LockRegistry(clock, new LockListener() {
            @Override
            public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
                inTick.countDown(); // the tick stops here, under the old lock, its name already freed
                try {
                    go.await();
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        r.configure(Map.of("X", settings));
        r.query("X", "old");
        r.configure(Map.of());                    // removed: it drains with its one holder
        clock.advanceSeconds(2);
        Thread tick = new Thread(() -> r.tick());
        tick.start();
        try {
            inTick.await();                              // the old lock has let go of its name
            r.configure(Map.of("X", settings));   // a new lock of that name, same counts
            assertEquals(1, r.counts().get("X").get(LockCounts.EXPIRIES + Expiry.Cause.IDLE.ordinal()));
        } finally {
            go.countDown();
            tick.join();
        }
    }

    @Test
    public void grantEndsAtMaxLockTimeWhateverTheHolderDoes() throws Exception {
        String a = registry.query("L", "a");
        assertTrue(granted(a));
        for (int i = 0; i < 19; i++) {
            clock.advanceSeconds(50);
            assertTrue(registry.renew(a));
            assertTrue(registry.tick().isEmpty());
        }
        clock.advanceSeconds(50);
        clock.advanceNanos(ROUNDING);
        assertTrue(registry.renew(a)); // still held until the tick runs
        assertEquals(List.of(new Expiry("L", a, "a", Expiry.Cause.MAX_LOCK_TIME)), registry.tick());
        assertFalse(registry.renew(a));
    }

    @Test
    public void tickTouchesOnlyDueTicketsAndKeepsOthersScheduled() throws Exception {
        for (int i = 0; i < 10; i++) {
            registry.query("L", "t" + i);
        }
        clock.advanceSeconds(5);
        assertTrue(registry.tick().isEmpty());
        assertEquals(10, registry.expiryQueue.size()); // nothing due, nothing moved
        clock.advanceSeconds(200);
        assertEquals(10, registry.tick().size());
        assertEquals(0, registry.expiryQueue.size());
        assertEquals(0, registry.ticketCount());
    }

    /**
     * A registry with lock M (size 1, grace 10 s, idle 100 s) whose listener throws on the
     * first {@code failures} expiries or releases.
     */
    private LockRegistry withFailingListener(int failures) {
        AtomicInteger left = new AtomicInteger(failures);
        LockRegistry r = new LockRegistry(clock, new LockListener() {
            @Override
            public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
                if (left.getAndDecrement() > 0) {
                    throw new IllegalStateException("listener failed on expired");
                }
            }

            @Override
            public void released(String lock, String ticket, boolean wasGranted) {
                if (left.getAndDecrement() > 0) {
                    throw new IllegalStateException("listener failed on released");
                }
            }
        });
        r.create("M", new LockSettings(1, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 50));
        return r;
    }

    @Test
    public void tickThatThrowsLosesNoTicket() throws Exception {
        LockRegistry r = withFailingListener(1);
        for (int i = 0; i < 3; i++) {
            r.query("M", "t" + i);
        }
        clock.advanceSeconds(101);
        ExpiryLog expired = new ExpiryLog();
        try {
            r.tick(expired);
            fail("the listener should have thrown");
        } catch (IllegalStateException expected) {
            // the lifecycle thread logs it and ticks again
        }
        assertEquals(1, expired.size()); // ended before the failure: still reported, so still logged
        assertEquals(2, r.tick().size()); // the two the failed tick never looked at
        assertEquals(0, r.ticketCount());
    }

    @Test
    public void listenerThatThrowsLeavesNoSlotIdle() throws Exception {
        LockRegistry r = withFailingListener(2); // the expiry, then the release
        String a = r.query("M", "a");      // granted, never claimed
        String b = r.query("M", "b");
        String c = r.query("M", "c");
        clock.advanceSeconds(11);          // a's grace is over
        try {
            r.tick();
            fail("the listener should have thrown");
        } catch (IllegalStateException expected) {
            // logged by the lifecycle thread
        }
        assertEquals(TicketState.GONE, r.check(a).state());
        assertEquals(TicketState.GRANTED, r.check(b).state()); // the freed slot went on all the same
        assertEquals("every live ticket filed once", r.ticketCount(), r.expiryQueue.size());
        try {
            r.release(b);
            fail("the listener should have thrown");
        } catch (IllegalStateException expected) {
            // answered to the client as a fault
        }
        assertEquals(TicketState.GRANTED, r.check(c).state());
        assertEquals(1, r.expiryQueue.size());
    }

    @Test(timeout = 10_000) // a wrapped deadline would come up at every pass of the tick's loop
    public void hugeTimesMeanNeverRatherThanWrappingAround() throws Exception {
        registry.create("forever", new LockSettings(1, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE, 5));
        String a = registry.query("forever", "a");
        String b = registry.query("forever", "b");
        clock.advanceSeconds(1000 * 24 * 3600.0);
        assertTrue(registry.tick().isEmpty());
        assertEquals(TicketState.GRANTED, state(a));
        assertEquals(TicketState.QUEUED, state(b));
    }

    @Test
    public void checkReportsHeldAndLeftTimes() throws Exception {
        String a = registry.query("L", "a");
        clock.advanceSeconds(3);
        TicketView v = registry.check(a);
        assertEquals("L", v.lock());
        assertEquals("a", v.info());
        assertEquals(3 * SECOND, v.heldNanos());
        assertEquals(100 * SECOND, v.leftNanos()); // check renewed the idle time
    }

    @Test
    public void neverMoreThanSizeGrantedUnderConcurrency() throws Exception {
        registry.create("C", new LockSettings(3, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 1000));
        int threads = 16;
        CountDownLatch done = new CountDownLatch(threads);
        AtomicBoolean exceeded = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger holding = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();
        for (int i = 0; i < threads; i++) {
            new Thread(() -> {
                try {
                    for (int j = 0; j < 200; j++) {
                        String t = registry.query("C", "x");
                        while (!registry.await(t, SECOND)) {
                            // loop like a client over the per-call cap
                        }
                        if (holding.incrementAndGet() > 3) {
                            exceeded.set(true);
                        }
                        holding.decrementAndGet();
                        registry.release(t);
                        served.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }).start();
        }
        assertTrue(done.await(60, TimeUnit.SECONDS));
        assertFalse(exceeded.get());
        assertEquals(threads * 200, served.get());
        assertEquals(Statuses.brief("C", 3, 0, 0), Statuses.brief(registry.status("C")));
    }

    @Test
    public void closeAnswersBlockedWaitsAndRefusesQueries() throws Exception {
        registry.query("L", "a");
        registry.query("L", "b");
        String c = registry.query("L", "c");
        CountDownLatch answered = new CountDownLatch(1);
        AtomicBoolean result = new AtomicBoolean(true);
        Thread waiter = new Thread(() -> {
            try {
                result.set(registry.await(c, TimeUnit.MINUTES.toNanos(5)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answered.countDown();
        });
        waiter.start();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (waiter.getState() != Thread.State.WAITING && waiter.getState() != Thread.State.TIMED_WAITING
                && System.nanoTime() < giveUp) {
            Thread.onSpinWait(); // close() must answer a wait that is already blocked
        }
        registry.close();
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertFalse(result.get());
        try {
            registry.query("L", "late");
            fail("query after close");
        } catch (LockException e) {
            assertEquals(Fault.SHUTTING_DOWN, e.fault());
        }
    }

    @Test
    public void blockedWaitIsGrantedWhenSlotFrees() throws Exception {
        String a = registry.query("L", "a");
        registry.query("L", "b");
        String c = registry.query("L", "c");
        CountDownLatch answered = new CountDownLatch(1);
        AtomicBoolean result = new AtomicBoolean();
        Thread waiter = new Thread(() -> {
            try {
                result.set(registry.await(c, TimeUnit.MINUTES.toNanos(5)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answered.countDown();
        });
        waiter.start();
        registry.release(a);
        assertTrue(answered.await(10, TimeUnit.SECONDS));
        assertTrue(result.get());
    }

    @Test
    public void badInputIsRefusedWithFaults() {
        assertFault(Fault.UNKNOWN_LOCK, () -> registry.query("Nope", "x"));
        assertFault(Fault.BAD_ARGUMENT, () -> registry.query("bad name!", "x"));
        assertFault(Fault.BAD_ARGUMENT, () -> registry.query("L", "x".repeat(LockRegistry.MAX_INFO_LENGTH + 1)));
        assertFault(Fault.BAD_TICKET, () -> registry.release("not-a-ticket"));
        assertFault(Fault.BAD_TICKET, () -> registry.check("0123456789ABCDEF0123456789ABCDEF"));
        assertEquals(Statuses.brief("L", 2, 0, 0), Statuses.brief(registry.status("L")));
    }

    @Test
    public void fullQueueRefusesQueriesWithoutDisturbingHolders() {
        registry.create("Q", new LockSettings(1, SECOND, SECOND, SECOND, 2));
        String holder = registry.query("Q", "h");
        registry.query("Q", "1");
        registry.query("Q", "2");
        assertFault(Fault.QUEUE_FULL, () -> registry.query("Q", "3"));
        assertEquals(Statuses.brief("Q", 1, 1, 2), Statuses.brief(registry.status("Q")));
        assertEquals(TicketState.GRANTED, state(holder));
    }

    @Test
    public void ticketIdsAreUniqueAndCarry128Bits() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            String t = registry.query("L", "t");
            assertEquals(32, t.length());
            assertTrue(seen.add(t));
        }
    }

    @Test
    public void createRefusesDuplicates() {
        assertFalse(registry.create("L", new LockSettings(9, SECOND, SECOND, SECOND, 1)));
        assertEquals(2, registry.status("L").size());
    }

    private static void assertFault(Fault expected, Runnable call) {
        try {
            call.run();
            fail("expected fault " + expected);
        } catch (LockException e) {
            assertEquals(e.getMessage(), expected, e.fault());
        }
    }
}
