package lockserver.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.Test;

/**
 * A cluster node's replica of the lock state: the same entries bring every replica to the
 * same state, whether it applied them all or loaded a snapshot ({@link LockRegistry#image()})
 * part-way; and a wait on one node is no sign of life there. Fake clock, no sleeps.
 */
public class ReplicaTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private static final Map<String, LockSettings> LOCKS = Map.of(
            "A", new LockSettings(2, 5 * SECOND, 30 * SECOND, 120 * SECOND, 100),
            "B", new LockSettings(1, 5 * SECOND, 30 * SECOND, 120 * SECOND, 100));

    /** One log entry, applied to a replica at its time. */
    private record Entry(long at, Consumer<LockRegistry> change) {
    }

    private static List<Entry> randomLog(long seed, int n) {
        Random random = new Random(seed);
        List<Entry> log = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        long at = 1_000 * SECOND;
        log.add(new Entry(at, r -> r.configure(LOCKS)));
        for (int i = 0; i < n; i++) {
            at += (long) (random.nextDouble() * 3 * SECOND);
            int op = random.nextInt(6);
            if (op <= 1 || ids.isEmpty()) {
                String id = String.format("%032x", random.nextLong() & Long.MAX_VALUE);
                ids.add(id);
                String lock = random.nextBoolean() ? "A" : "B";
                String key = random.nextInt(4) == 0 ? "k" + random.nextInt(3) : null;
                log.add(new Entry(at, r -> r.query(lock, "job", key, SlotRequest.ONE, id)));
            } else {
                String id = ids.get(random.nextInt(ids.size()));
                log.add(new Entry(at, switch (op) {
                    case 2 -> r -> r.check(id);
                    case 3 -> r -> r.renew(id);
                    case 4 -> r -> r.release(id);
                    default -> r -> r.tick();
                }));
            }
        }
        return log;
    }

    private static final class StepClock implements Clock {
        long now;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    private static void apply(LockRegistry r, StepClock clock, List<Entry> entries) {
        for (Entry e : entries) {
            clock.now = e.at();
            try {
                e.change().accept(r);
            } catch (LockException refused) {
                // a refusal is an outcome too: every replica refuses the same entry
            }
        }
    }

    @Test
    public void aReplicaThatLoadsASnapshotPartWayEndsLikeOneThatAppliedEveryEntry() {
        for (long seed = 1; seed <= 20; seed++) {
            List<Entry> log = randomLog(seed, 400);
            int cut = 50 + (int) (seed * 17 % 300);

            StepClock allClock = new StepClock();
            LockRegistry all = LockRegistry.replica(allClock);
            apply(all, allClock, log);

            StepClock firstClock = new StepClock();
            LockRegistry first = LockRegistry.replica(firstClock);
            apply(first, firstClock, log.subList(0, cut));
            StepClock loadedClock = new StepClock();
            loadedClock.now = firstClock.now;
            LockRegistry loaded = LockRegistry.replica(loadedClock);
            loaded.load(first.image());
            assertEquals(first.image(), loaded.image());
            apply(loaded, loadedClock, log.subList(cut, log.size()));

            assertEquals("seed " + seed, all.image(), loaded.image());
        }
    }

    @Test
    public void aWaitOnAReplicaIsNoSignOfLife() {
        StepClock clock = new StepClock();
        clock.now = 1_000 * SECOND;
        LockRegistry r = LockRegistry.replica(clock);
        r.configure(LOCKS);
        String holder = r.query("B", "", null, SlotRequest.ONE, "0".repeat(31) + "1");
        String waiter = r.query("B", "", null, SlotRequest.ONE, "0".repeat(31) + "2");
        assertTrue(r.claim(holder));
        CompletableFuture<Boolean> wait = r.awaitAsync(waiter, Long.MAX_VALUE);
        clock.now += 40 * SECOND; // past the idle time of both, with the wait still parked
        r.tick();
        assertEquals(TicketState.GONE, r.peek(waiter).state()); // only entries count as signs of life
        assertTrue(wait.isDone());
    }

    @Test
    public void renewAllGivesAFreshGraceTimeButMaxLockTimeCountsFromTheGrant() {
        StepClock clock = new StepClock();
        clock.now = 1_000 * SECOND;
        LockRegistry r = LockRegistry.replica(clock);
        r.configure(LOCKS);
        String unclaimed = r.query("A", "", null, SlotRequest.ONE, "0".repeat(31) + "1");
        String held = r.query("A", "", null, SlotRequest.ONE, "0".repeat(31) + "2");
        assertTrue(r.claim(held));
        clock.now += 4 * SECOND;
        r.renewAll(); // a new leader takes over
        clock.now += 4 * SECOND; // 8 s after the grant, 4 s after the takeover: grace is 5 s
        r.tick();
        assertEquals(TicketState.GRANTED, r.peek(unclaimed).state());
        for (int i = 0; i < 5; i++) { // keep the holder alive until the max lock time (120 s) is up
            clock.now += 25 * SECOND;
            r.renew(held);
            r.renewAll();
        }
        r.tick();
        assertEquals(TicketState.GONE, r.peek(held).state());
    }

    /**
     * A slot that LOCK_DELAY keeps closed opens, in a replica's tick, in the order of its
     * ticket's query, also on a replica that loaded it from a snapshot: an order by the
     * time it opens let a due waiter end before the slot opened on one node and after on
     * another, and their tokens differed from then on.
     */
    @Test
    public void aDelayedSlotLoadedFromASnapshotOpensInTheSameOrderAsOnANodeThatAppliedItAll() {
        StepClock clock = new StepClock();
        clock.now = 1_000 * SECOND;
        LockRegistry all = LockRegistry.replica(clock);
        all.configure(Map.of("L", new LockSettings(1, 5 * SECOND, 14 * SECOND, 100 * SECOND, 10, 0, 10 * SECOND)));
        all.query("L", "holder", null, SlotRequest.ONE, "0".repeat(31) + "1"); // granted, never claimed
        clock.now = 1_001 * SECOND;
        all.query("L", "waiter", null, SlotRequest.ONE, "0".repeat(31) + "2"); // idle at 1015
        clock.now = 1_005 * SECOND;
        all.tick(); // the holder's grace is up: its slot stays closed until 1015
        LockRegistry loaded = LockRegistry.replica(clock);
        loaded.load(all.image());
        assertEquals(all.image(), loaded.image());
        clock.now = 1_015 * SECOND;
        all.tick();
        loaded.tick();
        assertEquals(all.image(), loaded.image());
        assertEquals(1, all.image().get(0).cooling().size()); // the waiter was granted, then ended idle
    }
}
