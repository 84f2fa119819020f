package lockserver.core;

import lockserver.wire.Fault;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.Test;

/** Finding tickets by id: slots named in the id, reused once free, and ids made elsewhere. */
public class TicketTableTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private final FakeClock clock = new FakeClock();
    private final LockRegistry registry = new LockRegistry(clock);

    private void lock(String name, int size) {
        registry.create(name, new LockSettings(size, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 1_000_000));
    }

    @Test
    public void aFreedSlotIsReusedAndTheOldIdIsGoneNotTheNewTicket() throws InterruptedException {
        lock("L", 1);
        String first = registry.query("L", "first");
        assertTrue(registry.release(first));
        String second = registry.query("L", "second");
        assertEquals("the freed slot is handed out again", first.substring(0, 8), second.substring(0, 8));
        assertNotEquals(first, second);
        assertEquals(TicketState.GONE, registry.check(first).state());
        assertFalse(registry.release(first));
        assertFalse(registry.renew(first));
        assertFalse(registry.await(first, 0));
        assertEquals(TicketState.GRANTED, registry.check(second).state());
        assertEquals("second", registry.peek(second).info());
    }

    @Test
    public void anIdOfAFreeOrNeverUsedSlotIsGone() {
        lock("L", 1);
        String t = registry.query("L", "x");
        String neverIssued = t.substring(0, 8) + "0".repeat(24);
        assertEquals(TicketState.GONE, registry.check(neverIssued).state());
        assertEquals(TicketState.GONE, registry.check("f".repeat(32)).state());
        assertEquals(TicketState.GRANTED, registry.check(t).state());
    }

    @Test
    public void tableGrowsPastOneChunkAndFindsEveryTicketUntilItEnds() {
        lock("L", 3);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(registry.query("L", "t" + i));
        }
        assertEquals(10_000, new HashSet<>(ids).size());
        assertEquals(10_000, registry.ticketCount());
        for (int i = 0; i < ids.size(); i++) {
            assertEquals("t" + i, registry.peek(ids.get(i)).info());
        }
        for (int i = 0; i < ids.size(); i += 2) {
            assertTrue(registry.release(ids.get(i)));
        }
        assertEquals(5_000, registry.ticketCount());
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(i % 2 == 0, registry.peek(ids.get(i)).state() == TicketState.GONE);
        }
        clock.advanceSeconds(101);
        assertEquals("every ticket left is found by the lifecycle and ends", 5_000, registry.tick().size());
        assertEquals(0, registry.ticketCount());
        for (String id : ids) {
            assertEquals(TicketState.GONE, registry.peek(id).state());
        }
    }

    @Test
    public void restoredIdsMadeElsewhereAreFoundRenewedAndRemoved() {
        lock("L", 1);
        String restored = "ffffffff" + "0123456789abcdef01234567";
        String other = "00000000" + "89abcdef0123456789abcdef";
        registry.restore(List.of(new RestoredTicket(restored, "L", "old", true, 5, 0, true, SlotRequest.ONE, null),
                new RestoredTicket(other, "L", "queued", false, 0, 0, false, SlotRequest.ONE, null)), List.of(),
                Map.of("L", 5L), null);
        String fresh = registry.query("L", "new");
        assertEquals(3, registry.ticketCount());
        assertEquals(TicketState.GRANTED, registry.check(restored).state());
        assertEquals(TicketState.QUEUED, registry.check(other).state());
        assertEquals(TicketState.QUEUED, registry.check(fresh).state());
        clock.advanceSeconds(60);
        registry.renewAll(); // reaches restored and new tickets alike
        clock.advanceSeconds(60);
        assertTrue(registry.tick().isEmpty());
        assertTrue(registry.release(restored));
        assertEquals(TicketState.GONE, registry.check(restored).state());
        assertEquals(TicketState.GRANTED, registry.check(other).state());
        assertEquals(2, registry.ticketCount());
    }

    @Test
    public void idsDoNotCountUpFromZero() {
        lock("L", 1);
        Set<String> prefixes = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            prefixes.add(new LockRegistry(clock).tickets.id(0, "0".repeat(24)).substring(0, 8));
        }
        assertTrue("slot 0 is masked with a random number per registry", prefixes.size() > 1);
    }

    @Test(timeout = 60_000)
    public void concurrentQueriesAndReleasesNeverLoseOrConfuseATicket() throws Exception {
        int threads = 4;
        int rounds = 20_000;
        for (int i = 0; i < threads; i++) {
            lock("c" + i, 1_000);
        }
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            String name = "c" + w;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    List<String> held = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        String id = registry.query(name, name + "-" + r);
                        TicketView v = registry.peek(id);
                        if (!v.info().equals(name + "-" + r)) {
                            problems.add(id + " found " + v.info());
                        }
                        held.add(id);
                        if (held.size() > 50) { // free slots while others take them
                            String gone = held.remove(0);
                            if (!registry.release(gone)) {
                                problems.add(gone + " could not be released");
                            }
                            if (registry.peek(gone).state() != TicketState.GONE) {
                                problems.add(gone + " still found after its release");
                            }
                        }
                    }
                    for (String id : held) {
                        registry.release(id);
                    }
                } catch (Exception e) {
                    problems.add(e.toString());
                }
            });
            workers.add(thread);
            thread.start();
        }
        start.countDown();
        for (Thread t : workers) {
            t.join();
        }
        assertTrue(problems.toString(), problems.isEmpty());
        assertEquals(0, registry.ticketCount());
    }

    @Test
    public void aRefusedQueryTakesNoSlot() {
        registry.create("Q", new LockSettings(1, SECOND, SECOND, SECOND, 1));
        String holder = registry.query("Q", "h");
        String queued = registry.query("Q", "q");
        assertEquals(2, registry.ticketCount());
        for (int i = 0; i < 5; i++) {
            try {
                registry.query("Q", "refused");
            } catch (LockException e) {
                assertSame(Fault.QUEUE_FULL, e.fault());
            }
        }
        assertEquals(2, registry.ticketCount());
        assertEquals(TicketState.GRANTED, registry.check(holder).state());
        assertEquals(TicketState.QUEUED, registry.check(queued).state());
    }
}
