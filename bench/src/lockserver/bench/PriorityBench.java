package lockserver.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lockserver.core.Clock;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import lockserver.core.SlotRequest;
import lockserver.core.TicketState;

/**
 * Scenario 6 of bench/run.sh: what a long queue of mixed priorities costs the two paths
 * it lies on, measured in-process on a {@code lockserver.core.LockRegistry} (no HTTP, no
 * journal): the hand-off (from a holder's release to the completion of the next waiter's
 * wait future, which the releasing thread completes) and the lifecycle tick that ends
 * holders at their maximum lock time and grants their slots from the queue. The queue
 * holds QUEUED tickets all the time (each grant is replaced by a new query); with
 * {@code priorities=mixed} each asks for a random priority 0-9 (PRIORITY_AGING 60 s),
 * with {@code flat} all ask for 0, the path every query without options takes.
 *
 * <p>The registry's clock is a manual one, moved by the harness, so a tick does the same
 * work at every run (times are read with System.nanoTime around the calls alone). After
 * WARMUP rounds of the same work (JIT), ROUNDS hand-offs are timed, then TICKS ticks,
 * each 0.1 s of the registry's clock after the last, ending the holders granted 1 s
 * earlier (SIZE / 10 per tick).
 *
 * <pre>java -cp target/lockserver.jar:bench/build/classes lockserver.bench.PriorityBench priorities=mixed queued=2000</pre>
 */
public final class PriorityBench {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static final class ManualClock implements Clock {
        volatile long now = 1_000 * SECOND;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    private final ManualClock clock = new ManualClock();
    private final LockRegistry registry = new LockRegistry(clock);
    private final SplittableRandom random = new SplittableRandom(42);
    private final boolean mixed;
    private final List<String> holders = new ArrayList<>();
    private final Map<String, Long> grantedAt = new HashMap<>(); // ticket -> nanoTime its wait completed
    private final ArrayDeque<String> justGranted = new ArrayDeque<>(); // in the order their waits completed

    private PriorityBench(boolean mixed, int size) {
        this.mixed = mixed;
        registry.configure(Map.of("P", new LockSettings(size, 10 * SECOND, 3600 * SECOND, SECOND, 100_000,
                60 * SECOND, 0)));
    }

    public static void main(String[] argv) {
        Map<String, String> a = new HashMap<>();
        for (String s : argv) {
            String[] kv = s.split("=", 2);
            a.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        boolean mixed = a.getOrDefault("priorities", "mixed").equals("mixed");
        int queued = Integer.parseInt(a.getOrDefault("queued", "2000"));
        int rounds = Integer.parseInt(a.getOrDefault("rounds", "50000"));
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "50000"));
        int ticks = Integer.parseInt(a.getOrDefault("ticks", "3000"));
        int size = Integer.parseInt(a.getOrDefault("size", "50"));

        PriorityBench b = new PriorityBench(mixed, size);
        b.fill(size, queued);
        b.handOffs(warmup);
        long[] handoff = b.handOffs(rounds);
        b.stagger();
        b.ticks(ticks / 2);
        long[] tick = b.ticks(ticks);
        System.out.printf(Locale.ROOT, "ROW scenario=priority priorities=%s queued=%d size=%d handoff_p50_us=%.2f "
                        + "handoff_p99_us=%.2f handoff_max_us=%.1f tick_p50_us=%.1f tick_p99_us=%.1f tick_max_us=%.1f "
                        + "grants_per_tick=%.1f%n", mixed ? "mixed" : "flat", queued, size, pct(handoff, 50) / 1e3,
                pct(handoff, 99) / 1e3, pct(handoff, 100) / 1e3, pct(tick, 50) / 1e3, pct(tick, 99) / 1e3,
                pct(tick, 100) / 1e3, size / 10.0);
        if (b.registry.status("P").queued() != queued) {
            throw new IllegalStateException("the queue did not stay at " + queued + ": " + b.registry.status("P"));
        }
    }

    private void fill(int size, int queued) {
        for (int i = 0; i < size; i++) {
            holders.add(query());
        }
        justGranted.clear(); // the holders, granted at once
        grantedAt.clear();
        for (int i = 0; i < queued; i++) {
            query();
        }
    }

    /**
     * Replaces every holder, a tenth of them every 0.1 s of the registry's clock, so that
     * their maximum lock times come due a tenth at every tick.
     */
    private void stagger() {
        List<String> old = new ArrayList<>(holders);
        for (int i = 0; i < old.size(); i++) {
            if (i % Math.max(1, old.size() / 10) == 0) {
                clock.now += SECOND / 10;
            }
            holders.remove(old.get(i));
            registry.release(old.get(i));
            String next = justGranted.remove();
            grantedAt.remove(next);
            holders.add(next);
            registry.claim(next);
            query();
        }
    }

    /** A new ticket whose wait future records when it completes. */
    private String query() {
        SlotRequest request = mixed ? new SlotRequest(1, false, random.nextInt(10)) : SlotRequest.ONE;
        String t = registry.query("P", "bench", null, request);
        CompletableFuture<Boolean> wait = registry.awaitAsync(t, Long.MAX_VALUE);
        wait.thenAccept(granted -> { // on the thread that granted it, once the lock's monitor is left
            grantedAt.put(t, System.nanoTime());
            justGranted.add(t);
        });
        return t;
    }

    /** Releases a random holder {@code n} times; the time until the next waiter's wait completed, each. */
    private long[] handOffs(int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            String holder = holders.remove(random.nextInt(holders.size()));
            long t0 = System.nanoTime();
            registry.release(holder);
            String next = justGranted.remove(); // throws if the release granted nobody
            out[i] = grantedAt.remove(next) - t0;
            holders.add(next);
            registry.claim(next);
            query(); // keeps the queue's length
        }
        return out;
    }

    /** Ticks {@code n} times, 0.1 s of the registry's clock apart; each tick's duration. */
    private long[] ticks(int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            clock.now += SECOND / 10;
            long t0 = System.nanoTime();
            registry.tick();
            out[i] = System.nanoTime() - t0;
            // untimed: the ended holders leave the books, the new ones claim, the queue refills
            holders.removeIf(h -> registry.peek(h).state() == TicketState.GONE);
            while (!justGranted.isEmpty()) {
                String next = justGranted.remove();
                grantedAt.remove(next);
                holders.add(next);
                registry.claim(next);
                query();
            }
        }
        return out;
    }

    private static double pct(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
