package lockserver.core;

import lockserver.wire.Fault;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.Before;
import org.junit.Test;

/** Reloading the config: new, changed and removed locks, driven by a fake clock. */
public class ReconfigureTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private FakeClock clock;
    private LockRegistry registry;

    private static LockSettings size(int n) {
        return new LockSettings(n, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 100);
    }

    @Before
    public void setUp() {
        clock = new FakeClock();
        registry = new LockRegistry(clock);
        registry.configure(Map.of("L", size(3)));
    }

    private List<String> query(int n) {
        List<String> tickets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            tickets.add(registry.query("L", "t" + i));
        }
        return tickets;
    }

    @Test
    public void shrinkingRevokesNobodyAndGrantsOnlyBelowTheNewSize() throws Exception {
        List<String> t = query(5);
        List<String> changes = registry.configure(Map.of("L", size(1)));
        assertEquals(1, changes.size());
        assertTrue(changes.get(0), changes.get(0).startsWith("lock L: size 3,") && changes.get(0).contains("-> size 1,"));
        assertEquals(Statuses.brief("L", 1, 3, 2), Statuses.brief(registry.status("L")));
        registry.release(t.get(0));
        registry.release(t.get(1));
        assertEquals("still at the new size", Statuses.brief("L", 1, 1, 2), Statuses.brief(registry.status("L")));
        registry.release(t.get(2));
        assertTrue(registry.await(t.get(3), 0));
        assertFalse(registry.await(t.get(4), 0));
    }

    @Test
    public void growingGrantsWaitersAtOnce() throws Exception {
        List<String> t = query(5);
        registry.configure(Map.of("L", size(5)));
        for (String ticket : t) {
            assertTrue(registry.await(ticket, 0));
        }
    }

    @Test
    public void newTimesApplyToTicketsAlreadyThere() {
        List<String> t = query(4);
        registry.configure(Map.of("L", new LockSettings(3, 10 * SECOND, 5 * SECOND, 1000 * SECOND, 100)));
        clock.advanceSeconds(6);
        assertEquals(4, registry.tick().size()); // the old idle time of 100 s no longer protects them
        assertEquals(TicketState.GONE, registry.check(t.get(3)).state());
    }

    @Test
    public void removedLockTakesNoQueriesAndLeavesOnceDrained() {
        List<String> t = query(4);
        List<String> changes = registry.configure(Map.of());
        assertEquals(List.of("lock L removed: takes no new queries; 3 holder(s) and 1 queued ticket(s) drain"), changes);
        try {
            registry.query("L", "late");
            fail();
        } catch (LockException e) {
            assertEquals(Fault.UNKNOWN_LOCK, e.fault());
            assertTrue(e.getMessage(), e.getMessage().contains("removed from the config"));
        }
        for (String ticket : t.subList(0, 3)) {
            assertTrue(registry.release(ticket));
        }
        assertEquals(TicketState.GRANTED, registry.check(t.get(3)).state()); // the queue still drains in order
        assertEquals(1, registry.list().size());
        registry.release(t.get(3));
        assertEquals(List.of(), registry.list());
    }

    @Test
    public void lockConfiguredAgainBeforeDrainingKeepsItsTickets() {
        String held = registry.query("L", "held");
        registry.configure(Map.of());
        List<String> changes = registry.configure(Map.of("L", size(3)));
        assertEquals(List.of("lock L is configured again and takes queries"), changes);
        assertEquals(TicketState.GRANTED, registry.check(held).state());
        registry.query("L", "new");
        assertEquals(Statuses.brief("L", 3, 2, 0), Statuses.brief(registry.status("L")));
    }

    @Test
    public void addedLocksAppearAndRemoteLocksSurviveAReload() {
        registry.create("remote", size(2));
        List<String> changes = registry.configure(Map.of("L", size(3), "M", size(2)));
        assertEquals(1, changes.size());
        assertTrue(changes.get(0), changes.get(0).startsWith("lock M added: size 2"));
        assertEquals(List.of("L", "M", "remote"), registry.list().stream().map(LockStatus::name).toList());
        assertEquals(List.of(), registry.configure(Map.of("L", size(3), "M", size(2))));
    }

    @Test
    public void detailShowsHoldersAndQueueInOrder() {
        List<String> t = query(5);
        clock.advanceSeconds(2);
        registry.check(t.get(0));
        LockDetail d = registry.details().get(0);
        assertEquals("L", d.name());
        assertEquals(List.of("t0", "t1", "t2"), d.holders().stream().map(LockDetail.Holder::info).toList());
        assertEquals(List.of(t.get(3), t.get(4)), d.queue().stream().map(LockDetail.Holder::ticket).toList());
        assertTrue(d.holders().get(0).claimed());
        assertFalse(d.holders().get(1).claimed());
        assertEquals(2 * SECOND, d.holders().get(1).ageNanos());
        assertEquals(0, d.holders().get(0).idleNanos());
        assertEquals(2 * SECOND, d.holders().get(1).idleNanos());
    }

    @Test
    public void restoredTicketsComeBackInOrderWithTokensAndRenewAllRestartsTheirIdleTime() {
        registry.restore(List.of(
                new RestoredTicket("a".repeat(32), "L", "held", true, 41, 5 * SECOND, true, SlotRequest.ONE, null),
                new RestoredTicket("b".repeat(32), "L", "q1", false, 0, 0, false, SlotRequest.ONE, null),
                new RestoredTicket("c".repeat(32), "gone-lock", "orphan", true, 7, 0, false, SlotRequest.ONE, null)),
                List.of(), Map.of("L", 41L), size(1));
        assertEquals(Statuses.brief("L", 3, 2, 0), Statuses.brief(registry.status("L"))); // b granted into a free slot
        assertEquals(42, registry.check("b".repeat(32)).token());
        assertEquals(5 * SECOND, registry.peek("a".repeat(32)).heldNanos());
        assertTrue(registry.details().stream().filter(d -> d.name().equals("gone-lock")).findFirst()
                .orElseThrow().retired());
        clock.advanceSeconds(90);
        registry.renewAll();
        clock.advanceSeconds(90); // 180 s since restore, 90 s since renewAll: idle time is 100 s
        registry.tick();
        assertEquals(TicketState.GRANTED, registry.peek("a".repeat(32)).state());
    }

    @Test
    public void peekIsNotASignOfLife() {
        String t = registry.query("L", "quiet");
        clock.advanceSeconds(60);
        assertEquals(TicketState.GRANTED, registry.peek(t).state());
        clock.advanceSeconds(41);
        assertEquals(1, registry.tick().size());
    }

    @Test
    public void listenerHearsGrantsReleasesAndExpiries() {
        List<String> heard = new ArrayList<>();
        LockRegistry r = new LockRegistry(clock, new LockListener() {
            @Override
            public void granted(String lock, String ticket, long token, long waitedNanos) {
                heard.add("granted " + lock + " after " + waitedNanos / SECOND + " s");
            }

            @Override
            public void released(String lock, String ticket, boolean wasGranted) {
                heard.add((wasGranted ? "released " : "cancelled ") + lock);
            }

            @Override
            public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
                heard.add("expired " + lock + " " + cause);
            }
        });
        r.configure(Map.of("S", size(1)));
        String a = r.query("S", "a");
        String b = r.query("S", "b");
        String c = r.query("S", "c");
        clock.advanceSeconds(3);
        r.release(c);
        r.release(a);
        clock.advanceSeconds(11);
        r.tick();
        assertEquals(List.of("granted S after 0 s", "cancelled S", "released S", "granted S after 3 s",
                "expired S GRACE"), heard);
        assertEquals(TicketState.GONE, r.check(b).state());
    }

    /**
     * Restored delays: what was left counts down on the registry's clock, never longer than
     * the lock's LOCK_DELAY now (a wall clock set back) nor on more slots than its size; a
     * lock without LOCK_DELAY now, or gone, keeps nothing closed.
     */
    @Test
    public void restoredDelaysAreCappedByTheLocksDelayAndSizeAndOpenOnTime() throws Exception {
        LockSettings delayed = new LockSettings(2, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 100,
                LockSettings.DEFAULT_AGING_NANOS, 30 * SECOND);
        registry.configure(Map.of("L", delayed, "M", size(2)));
        registry.restore(List.of(), List.of(new RestoredDelay("L", "a".repeat(32), 5, 3600 * SECOND),
                new RestoredDelay("M", "b".repeat(32), 1, 20 * SECOND),
                new RestoredDelay("gone", "c".repeat(32), 1, 20 * SECOND)), Map.of(), size(1));
        assertEquals("at most its size", 2, registry.status("L").delayed());
        assertEquals("M has no LOCK_DELAY now", 0, registry.status("M").delayed());
        assertFalse("a lock that is gone comes back for no delay", registry.list().stream().anyMatch(l -> l.name().equals("gone")));
        String waiter = registry.query("L", "waits");
        clock.advanceSeconds(29);
        registry.tick();
        assertEquals("within LOCK_DELAY (30 s), not the hour left", 2, registry.status("L").delayed());
        clock.advanceSeconds(2);
        registry.tick();
        assertEquals(0, registry.status("L").delayed());
        assertTrue(registry.await(waiter, 0));
    }
}
