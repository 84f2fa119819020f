package lockserver.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import lockserver.client.LockClient;
import lockserver.client.LockServerException;
import lockserver.safety.Hold;
import lockserver.safety.SafetyChecker;
import lockserver.safety.StressClient;

/**
 * The safety checker's clients ({@link StressClient}) against a cluster: each client starts
 * on node {@code id % 3} and moves to the next node when its node cannot answer
 * ({@link FailoverClient}), keeping its tickets. Locks of sizes 1, 6 and 50 with short
 * times, so that expiries, withdrawn grants and max lock times happen within the run. After
 * {@link #join}, {@link #check} runs the independent checks of the clients' view: at no
 * instant more than SIZE holders, fencing tokens unique and growing (per client and in real
 * time), no holder and no queued ticket lost before its deadline. Keeps the run's events,
 * timed from the start of the load, for the test's summary.
 */
final class ClusterLoad implements AutoCloseable {
    static final String[] LOCKS = {"one", "six", "fifty"};
    static final int[] SIZES = {1, 6, 50};
    /** how often clients pick each lock: more clients than slots on each */
    static final int[] WEIGHTS = {6, 24, 70};
    /**
     * GRACE_TIME as long as EXPIRATION_TIME: a queued ticket then may end no sooner than
     * EXPIRATION_TIME after the last call that found it queued, which the checker holds the
     * cluster to. Long enough that a client stuck for its call timeout on a frozen node
     * may still find its ticket.
     */
    static final double GRACE = 3;
    static final double EXPIRATION = 3;
    static final double MAX_LOCK = 6;
    static final double MAX_WAIT = 1;
    /** covers the millisecond stamps of the leader's clock against the clients' nanoTime */
    static final long MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    static final Hold.Timing TIMING = new Hold.Timing(nanos(EXPIRATION), nanos(MAX_LOCK), MARGIN_NANOS);
    private static final int CONNECTIONS_PER_NODE = 10;

    private final List<StressClient> clients = new ArrayList<>();
    private final List<FailoverClient> failovers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile long hardStop;
    private final List<String> events = new ArrayList<>();
    private long t0;

    /** [general] lines for every node of a loaded cluster. */
    static String general() {
        return "LIFECYCLE_PERIOD=0.1\nMAX_WAIT_TIME=" + MAX_WAIT + "\nMAX_THREADS=400\nLOGLEVEL=info\n";
    }

    /** The stress locks' sections. */
    static String locks() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < LOCKS.length; i++) {
            b.append("[lock ").append(LOCKS[i]).append("]\n")
                    .append("SIZE=").append(SIZES[i]).append('\n')
                    .append("GRACE_TIME=").append(GRACE).append('\n')
                    .append("EXPIRATION_TIME=").append(EXPIRATION).append('\n')
                    .append("MAX_LOCK_TIME=").append(MAX_LOCK).append('\n');
        }
        return b.toString();
    }

    /** @param callTimeout how long a call may go unanswered before the client tries the next node */
    ClusterLoad(List<String> urls, int count, long seed, Duration callTimeout) {
        List<List<LockClient>> connections = new ArrayList<>();
        List<List<Wire>> wires = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS_PER_NODE; c++) {
            List<LockClient> lc = new ArrayList<>();
            List<Wire> w = new ArrayList<>();
            for (String url : urls) {
                lc.add(new LockClient(url, callTimeout));
                w.add(new Wire(url, callTimeout));
            }
            connections.add(lc);
            wires.add(w);
        }
        long far = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        hardStop = far;
        Random seeds = new Random(seed);
        String run = Long.toHexString(seed);
        for (int i = 0; i < count; i++) {
            FailoverClient f = new FailoverClient(connections.get(i % CONNECTIONS_PER_NODE),
                    wires.get(i % CONNECTIONS_PER_NODE), i, "r" + run + "-c" + i, () -> hardStop, seeds.nextLong());
            StressClient c = new StressClient(i, f, seeds.nextLong(), LOCKS, SIZES, WEIGHTS, far, far, TIMING,
                    nanos(MAX_WAIT)).tolerating(LockServerException.NO_LEADER);
            failovers.add(f);
            clients.add(c);
            Thread t = new Thread(c, "cluster-client-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
    }

    void start() {
        t0 = System.nanoTime();
        event("load started (wall clock " + LocalTime.now() + ")");
        threads.forEach(Thread::start);
    }

    /** Notes an event of the run, with its time since the load started. */
    void event(String what) {
        events.add(String.format(Locale.ROOT, "%6.1f s  %s", (System.nanoTime() - t0) / 1e9, what));
    }

    List<String> events() {
        return events;
    }

    /** {@link #endLoad}, then {@link #join}: the problem if clients still run when even a late call should have ended. */
    List<String> finish() throws InterruptedException {
        endLoad();
        List<String> stuck = join(Duration.ofSeconds(6 + 12)); // a call sent just before the hard stop may take its timeout
        event("load ended");
        return stuck.isEmpty() ? List.of()
                : List.of("client: " + stuck.size() + " client thread(s) still running after the hard stop: " + stuck);
    }

    /** The clients end their rounds from now on; calls still failing are given up 6 s from now. */
    void endLoad() {
        long now = System.nanoTime();
        hardStop = now + TimeUnit.SECONDS.toNanos(6);
        clients.forEach(c -> c.endLoad(now, hardStop));
    }

    /** Waits for the clients after {@link #endLoad}; the names of those still running after {@code within}. */
    List<String> join(Duration within) throws InterruptedException {
        long giveUp = System.nanoTime() + within.toNanos();
        List<String> stuck = new ArrayList<>();
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(giveUp - System.nanoTime())));
            if (t.isAlive()) {
                stuck.add(t.getName());
            }
        }
        return stuck;
    }

    /** The clients' view checked: a checker holding every problem found. */
    SafetyChecker check() {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (int i = 0; i < LOCKS.length; i++) {
            sizes.put(LOCKS[i], SIZES[i]);
        }
        SafetyChecker checker = new SafetyChecker(sizes);
        List<Hold> holds = holds();
        List<StressClient.QueuedGone> gone = new ArrayList<>();
        for (StressClient c : clients) {
            gone.addAll(c.queuedGone);
            c.unexpected.forEach(u -> checker.problem("client: unexpected answer: " + u));
            if (c.crashed != null) {
                checker.problem("client: a client thread failed: " + c.crashed);
            }
        }
        checker.checkClients(holds);
        checker.checkTokenOrder(holds);
        checker.checkQueuedGone(gone, nanos(GRACE), TIMING);
        return checker;
    }

    List<Hold> holds() {
        List<Hold> holds = new ArrayList<>();
        clients.forEach(c -> holds.addAll(c.holds));
        return holds;
    }

    Map<String, Long> counts() {
        Map<String, Long> counts = new TreeMap<>();
        clients.forEach(c -> c.counts.forEach((k, v) -> counts.merge(k, v, Long::sum)));
        return counts;
    }

    /** Calls that failed on a node, by node and cause, each followed by a move to the next node. */
    Map<String, Long> failuresByNode() {
        Map<String, Long> out = new TreeMap<>();
        failovers.forEach(f -> f.failures.forEach((k, v) -> out.merge(k, v, Long::sum)));
        return out;
    }

    /** The most failed calls in a row of any client (queries retried inside count by attempts). */
    int longestFailureStreak() {
        int most = 0;
        for (int i = 0; i < clients.size(); i++) {
            most = Math.max(most, Math.max(clients.get(i).longestFailureStreak, failovers.get(i).longestQuery - 1));
        }
        return most;
    }

    /** Holds, the clients' counts and the checker's per-lock statistics, for the report. */
    String summary(SafetyChecker checker) {
        StringBuilder s = new StringBuilder();
        Map<String, Long> counts = counts();
        counts.forEach((k, v) -> s.append(String.format(Locale.ROOT, "  %-28s %8d%n", k, v)));
        s.append("failed calls by node (the client then moved to the next node): ").append(failuresByNode())
                .append('\n');
        s.append("longest run of failed calls of one client: ").append(longestFailureStreak()).append('\n');
        Map<String, Long> plans = new TreeMap<>();
        Map<String, Long> ends = new TreeMap<>();
        for (Hold h : holds()) {
            plans.merge(h.plan == null ? "?" : h.plan, 1L, Long::sum);
            ends.merge(String.valueOf(h.how), 1L, Long::sum);
        }
        s.append("holds by plan: ").append(plans).append("; by end: ").append(ends).append('\n');
        long queuedGone = clients.stream().mapToLong(c -> c.queuedGone.size()).sum();
        s.append("queued tickets found gone while waited for: ").append(queuedGone).append('\n');
        s.append(String.format(Locale.ROOT, "%-7s %4s %10s %9s %s%n", "lock", "size", "max seen", "vouched", "tokens"));
        for (SafetyChecker.LockStats st : checker.stats.values()) {
            long first = Long.MAX_VALUE;
            long last = 0;
            for (Hold h : holds()) {
                if (h.lock.equals(st.lock) && h.token != 0) {
                    first = Math.min(first, h.token);
                    last = Math.max(last, h.token);
                }
            }
            s.append(String.format(Locale.ROOT, "%-7s %4d %10d %9d %s%n", st.lock, st.size, st.clientMax,
                    holds().stream().filter(h -> h.lock.equals(st.lock) && h.hasInterval()).count(),
                    last == 0 ? "-" : first + ".." + last));
        }
        if (checker.problemCount() == 0) {
            s.append("client view: PASS\n");
        } else {
            s.append("client view: FAIL: ").append(checker.problemCount()).append(" violation(s)")
                    .append(checker.problemCount() > checker.problems().size() ? ", the first "
                            + checker.problems().size() : "").append(":\n");
            checker.problems().forEach(p -> s.append("  - ").append(p).append('\n'));
        }
        return s.toString();
    }

    /**
     * With {@code -Dcluster.keep=DIR}: every hold the clients saw (times in ms since the
     * load started) to DIR/holds-NAME.txt, for a person tracing a violation.
     */
    void keepHolds(String name) {
        String keep = System.getProperty("cluster.keep");
        if (keep == null) {
            return;
        }
        List<String> lines = new ArrayList<>();
        for (Hold h : holds()) {
            lines.add(String.format(Locale.ROOT, "%s queried %.3f granted %.3f end %.3f", h,
                    (h.queried - t0) / 1e6, (h.granted - t0) / 1e6, (h.end - t0) / 1e6));
        }
        try {
            Files.createDirectories(Path.of(keep));
            Files.write(Path.of(keep, "holds-" + name + ".txt"), lines);
        } catch (IOException e) {
            System.out.println("cannot keep the holds: " + e);
        }
    }

    /** Prints a test's summary and writes it to target/{@code file}. */
    static void report(String file, String summary) {
        System.out.println(summary);
        Path out = Path.of(System.getProperty("basedir", "."), "target", file);
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, summary + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.out.println("cannot write " + out + ": " + e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        threads.forEach(Thread::interrupt);
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(giveUp - System.nanoTime())));
        }
    }

    static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }
}
