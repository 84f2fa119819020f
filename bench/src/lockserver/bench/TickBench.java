package lockserver.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import lockserver.core.Clock;
import lockserver.core.ExpiryLog;
import lockserver.core.LockListener;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import lockserver.server.journal.Durability;
import lockserver.server.journal.Fsync;
import lockserver.server.journal.Journal;

/**
 * Scenario 4 of bench/run.sh: the cost of one lifecycle tick with many tickets, measured
 * in-process (lockserver.core.LockRegistry from the jar, real clock), without HTTP. The
 * locks count what the metrics show themselves. With LISTENERS=server (the default) the
 * registry has the server's listener, as LockServer builds it: the journal (a DATA_DIR in
 * a temporary folder, JOURNAL_FSYNC=always, its writer thread running); LISTENERS=none
 * leaves it out.
 * The log line the server writes for every expired ticket comes after the tick and is not
 * timed. (In package lockserver.server to build the listeners the way the server does.)
 *
 * <p>LOCKS locks of size 5 hold TICKETS tickets (TICKETS/LOCKS each: 5 granted, the rest
 * queued). Lock i has an expiration time (idle) of MIN_LIFE + i/LOCKS * SPREAD seconds, so
 * deadlines are spread evenly and some come due at every tick. The harness ticks every
 * PERIOD seconds like the lifecycle thread and times {@code tick()} alone with
 * System.nanoTime, inside the journal's batch as the server does (the journal writer's
 * wake-up at the batch's end is not part of the tick), after WARMUP seconds of unrecorded
 * ticks (JIT). Between ticks (untimed), warm-up included, it queues a new ticket for every
 * one that expired, so the count stays at TICKETS, and renews a random 5 % of the tickets
 * per second (their expiry entries come up early and are filed again, as with live
 * clients). The warm-up does the same work as the measured ticks: a path first taken
 * after it would be measured while the JIT recompiles. Its ticks come every WARMUP_PERIOD
 * (0.1 s, or PERIOD if shorter), with the same expiries and renewals per second, but for
 * its last 3 periods (at most half of it), which tick every PERIOD: the JIT counts calls,
 * so at a 1 s period the tick's methods were still being compiled in the measured window,
 * in the ticks that called them, and the first whole-period ticks still made it compile
 * the tick's methods again (a server that has run for a minute is past all that).
 *
 * <pre>java -cp target/lockserver.jar:bench/build/classes lockserver.server.TickBench tickets=100000 locks=10000 period=1 seconds=20 listeners=server</pre>
 */
public final class TickBench {
    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String s : argv) {
            String[] kv = s.split("=", 2);
            a.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        int tickets = Integer.parseInt(a.getOrDefault("tickets", "100000"));
        int locks = Integer.parseInt(a.getOrDefault("locks", "10000"));
        double period = Double.parseDouble(a.getOrDefault("period", "1"));
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "20"));
        double minLife = Double.parseDouble(a.getOrDefault("min_life", "1"));
        double spread = Double.parseDouble(a.getOrDefault("spread", "100"));
        double renewShare = Double.parseDouble(a.getOrDefault("renew", "0.05"));
        double warmup = Double.parseDouble(a.getOrDefault("warmup", "3"));
        double warmupPeriod = Math.min(period, Double.parseDouble(a.getOrDefault("warmup_period", "0.1")));
        String listeners = a.getOrDefault("listeners", "server");

        Path dataDir = null;
        Journal journal = null;
        LockListener listener = LockListener.NONE;
        if (listeners.equals("server")) {
            dataDir = Files.createTempDirectory("tickbench");
            journal = Journal.open(dataDir, Fsync.ALWAYS);
            listener = journal;
        } else if (!listeners.equals("none")) {
            throw new IllegalArgumentException("listeners=server or none, not " + listeners);
        }
        LockRegistry reg = new LockRegistry(Clock.SYSTEM, listener);
        Durability durability = journal == null ? Durability.NONE : journal;
        if (journal != null) {
            journal.start();
        }
        Map<String, LockSettings> config = new LinkedHashMap<>();
        long hour = TimeUnit.HOURS.toNanos(1);
        for (int i = 0; i < locks; i++) {
            long idle = (long) ((minLife + spread * i / locks) * 1e9);
            config.put("t" + i, new LockSettings(5, hour, idle, hour, 1_000_000));
        }
        reg.configure(config);
        long heapBefore = usedHeapAfterGc();
        long t0 = System.nanoTime();
        List<String> ids = new ArrayList<>(tickets * 2);
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < tickets; i++) {
            ids.add(reg.query("t" + (i % locks), "tick bench"));
        }
        double queryTime = (System.nanoTime() - t0) / 1e9;
        long heapTickets = usedHeapAfterGc() - heapBefore;

        int maxTicks = (int) Math.ceil((seconds + warmup) / period) + 1;
        long[] cost = new long[maxTicks];
        long[] cpu = new long[maxTicks];   // the tick thread's CPU time: wall time minus time off the core
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int[] expiredPerTick = new int[maxTicks];
        int n = 0;
        long totalExpired = 0;
        long periodNanos = (long) (period * 1e9);
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmup * 1e9);
        long end = measureFrom + (long) (seconds * 1e9);
        ExpiryLog expired = new ExpiryLog();      // reused, as the lifecycle thread does
        long warmupPeriodNanos = (long) (warmupPeriod * 1e9);
        long step = warmupPeriodNanos;           // the time since the last tick
        // the last 3 s of the warm-up tick every PERIOD: ticks of a whole period take paths
        // (and reach call counts) that short ones do not, and the JIT then compiles them again
        long wholePeriodsFrom = measureFrom - Math.min((long) (warmup * 1e9) / 2, 3 * periodNanos);
        long next = start + step;
        while (n < maxTicks && next - end <= 0) {
            long left;
            while ((left = next - System.nanoTime()) > 0) {
                TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000L));
            }
            expired.clear();
            long[] times = new long[4];
            durability.batch(() -> { // as the lifecycle thread runs it, timed as LockServer times it
                times[0] = threads.getCurrentThreadCpuTime();
                times[1] = System.nanoTime();
                reg.tick(expired);
                times[2] = System.nanoTime();
                times[3] = threads.getCurrentThreadCpuTime();
            });
            long cb = times[0];
            long b = times[1];
            long e = times[2];
            long ce = times[3];
            // measured: after the warm-up (whose ticks let the JIT compile), and a whole period after the last tick
            if (b - measureFrom >= 0 && step == periodNanos) {
                cost[n] = e - b;
                cpu[n] = ce - cb;
                expiredPerTick[n] = expired.size();
                n++;
                totalExpired += expired.size();
            }
            for (int x = 0; x < expired.size(); x++) { // keep the ticket count steady (untimed)
                ids.add(reg.query(expired.lock(x), "tick bench"));
            }
            // warm-up ticks come every WARMUP_PERIOD: the tick's methods are called as often
            // per tick as at any period, so they are compiled in fewer seconds
            step = next + warmupPeriodNanos - wholePeriodsFrom < 0 ? warmupPeriodNanos : periodNanos;
            int renewals = (int) (tickets * renewShare * step / 1e9);
            for (int r = 0; r < renewals; r++) { // signs of life until the next tick (untimed)
                reg.renew(ids.get(rnd.nextInt(ids.size())));
            }
            if (ids.size() > tickets * 4) {      // drop ids of long-gone tickets now and then
                ids.subList(0, ids.size() - tickets * 2).clear();
            }
            next += step;
        }
        long[] sorted = Arrays.copyOf(cost, n);
        Arrays.sort(sorted);
        long[] cpuSorted = Arrays.copyOf(cpu, n);
        Arrays.sort(cpuSorted);
        int[] ex = Arrays.copyOf(expiredPerTick, n);
        Arrays.sort(ex);
        System.out.printf(Locale.ROOT,
                "ROW scenario=tick listeners=%s tickets=%d live=%d locks=%d period_s=%s ticks=%d tick_p50_ms=%.3f tick_p99_ms=%.3f "
                        + "tick_max_ms=%.3f tick_cpu_p50_ms=%.3f tick_cpu_max_ms=%.3f expired_per_tick_p50=%d expired_per_tick_max=%d expired_total=%d "
                        + "us_per_expiry=%.2f query_100k_s=%.2f heap_tickets_mb=%d rss_mb=%d%n",
                listeners, tickets, reg.ticketCount(), locks, a.getOrDefault("period", "1"), n, sorted[n / 2] / 1e6,
                sorted[Math.min(n - 1, (int) (n * 0.99))] / 1e6, sorted[n - 1] / 1e6, cpuSorted[n / 2] / 1e6,
                cpuSorted[n - 1] / 1e6, ex[n / 2], ex[n - 1],
                totalExpired, totalExpired == 0 ? 0.0 : Arrays.stream(sorted).sum() / 1e3 / totalExpired,
                queryTime * 100_000 / tickets, heapTickets >> 20, vmKb("VmHWM:") >> 10);
        if (journal != null) {
            journal.close();
            try (var files = Files.walk(dataDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 2; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long vmKb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }
}
