package lockserver.safety;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import lockserver.server.auth.PasswordHash;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A bounded stress test with an independent safety checker: 200 concurrent clients over
 * real HTTP on locks of sizes 1, 6 and 50, with random crashes (abandoned holders and
 * waiters), timeouts, cancels, releases, renewals, holders that idle past
 * EXPIRATION_TIME or renew past MAX_LOCK_TIME, and the server (a separate JVM) killed with
 * kill -9 a third of the way through and stopped with SIGTERM two thirds of the way
 * through, each time started again on the same port and DATA_DIR (JOURNAL_FSYNC=always).
 * {@link SafetyChecker} then checks the clients' timestamps and fencing tokens and the
 * server's own grant log (LOGLEVEL=debug, logger lockserver.journal.records) against the
 * invariants: at no instant more than SIZE holders, fencing tokens grow, every released
 * or expired slot is reused at once. Prints the operation counts and the result (also to
 * target/safety-checker-summary.txt).
 *
 * <p>{@code -Dsafety.seconds=N} sets the load time (default 27), {@code -Dsafety.seed=S}
 * the seed of the clients' random choices (printed; timing still varies from run to run).
 * The whole test takes about 35 s on 2 cores; a failing or stuck run is cut off
 * after at most about 60 s (client hard stop, join and drain limits).
 */
public class SafetyCheckerTest {
    private static final int CLIENTS = 200;
    private static final int CONNECTIONS = 10;
    private static final String[] LOCKS = {"one", "six", "fifty"};
    private static final int[] SIZES = {1, 6, 50};
    /** how often clients pick each lock: about 12, 48 and 140 clients, more than the slots of each */
    private static final int[] WEIGHTS = {6, 24, 70};
    /**
     * Lock times short enough for many crashes, expiries and withdrawn grants within the
     * run. EXPIRATION_TIME is 2 s rather than 1.5 s so that restored tickets can survive a
     * restart: their idle clock restarts when the journal is read, about a second before
     * the restarted server takes connections.
     */
    private static final double GRACE = 0.5;
    private static final double EXPIRATION = 2;
    private static final double MAX_LOCK = 4;
    /** the longest lock.wait call */
    private static final double MAX_WAIT = 1;
    /**
     * Subtracted from a client's lower bound of a grant's deadline: covers the millisecond
     * wall-clock time a restored grant's age is computed from.
     */
    private static final long MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private ServerProcess server;
    private final List<Thread> threads = new ArrayList<>();

    @After
    public void stopEverything() throws Exception {
        for (Thread t : threads) {
            t.interrupt();
        }
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(giveUp - System.nanoTime())));
        }
        if (server != null) {
            server.close();
        }
    }

    @Test(timeout = 100_000)
    public void twoHundredClientsWithCrashesAndRestartsNeverBreakTheInvariants() throws Exception {
        long started = System.nanoTime();
        long seed = Long.getLong("safety.seed", new Random().nextLong());
        int seconds = Integer.getInteger("safety.seconds", 27);
        Path dir = tmp.getRoot().toPath();
        Path log = dir.resolve("server.log");
        Path data = dir.resolve("data");
        int port = freePort();
        Path config = dir.resolve("lockserver.conf");
        Files.writeString(config, config(port, log, data), StandardCharsets.UTF_8);
        server = new ServerProcess(config, log, dir.resolve("server-output.txt"), port);
        server.start();
        // as a site with users runs it: Basic auth on every call, one client user for all clients
        String url = "http://" + CLIENT_USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/RPC2";
        String adminUrl = "http://" + ADMIN_USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/RPC2";

        long t0 = System.nanoTime();
        long loadEnd = t0 + TimeUnit.SECONDS.toNanos(seconds);
        long hardStop = loadEnd + TimeUnit.SECONDS.toNanos(6);
        Hold.Timing timing = new Hold.Timing(nanos(EXPIRATION), nanos(MAX_LOCK), MARGIN_NANOS);
        List<LockClient> connections = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            connections.add(new LockClient(url, Duration.ofSeconds(10)));
        }
        Random seeds = new Random(seed);
        List<StressClient> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            StressClient c = new StressClient(i, connections.get(i % CONNECTIONS), seeds.nextLong(), LOCKS, SIZES,
                    WEIGHTS, loadEnd, hardStop, timing, nanos(MAX_WAIT));
            clients.add(c);
            Thread t = new Thread(c, "safety-client-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);

        // the restarts: kill -9 at one third, SIGTERM at two thirds; same port, same DATA_DIR
        List<String> restarts = new ArrayList<>();
        List<long[]> downtimes = new ArrayList<>();
        sleepUntil(t0 + TimeUnit.SECONDS.toNanos(seconds) / 3);
        long down = System.nanoTime();
        server.kill9();
        GrantLog.copyJournal(data, dir.resolve("stop0"));
        server.start();
        downtimes.add(new long[] {down, System.nanoTime()});
        restarts.add(String.format(Locale.ROOT, "kill -9 at %.1f s, down %.1f s", secs(down - t0),
                secs(System.nanoTime() - down)));
        sleepUntil(t0 + 2 * TimeUnit.SECONDS.toNanos(seconds) / 3);
        down = System.nanoTime();
        int exit = server.terminate();
        GrantLog.copyJournal(data, dir.resolve("stop1"));
        server.start();
        downtimes.add(new long[] {down, System.nanoTime()});
        restarts.add(String.format(Locale.ROOT, "SIGTERM at %.1f s (exit %d), down %.1f s", secs(down - t0), exit,
                secs(System.nanoTime() - down)));

        long joinBy = hardStop + TimeUnit.SECONDS.toNanos(12); // a call sent just before the hard stop may take its 10 s reply timeout
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
        }
        List<String> stuck = new ArrayList<>();
        for (Thread t : threads) {
            if (t.isAlive()) {
                stuck.add(t.getName());
            }
        }
        long loadDone = System.nanoTime();

        // every abandoned ticket must expire and every slot come back
        LockClient admin = new LockClient(adminUrl, Duration.ofSeconds(10));
        List<LockInfo> last = List.of();
        long drainBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean drained = false;
        while (System.nanoTime() - drainBy < 0) {
            try {
                last = admin.list();
                if (last.stream().allMatch(l -> l.granted() == 0 && l.queued() == 0)) {
                    drained = true;
                    break;
                }
            } catch (lockserver.client.LockServerException e) {
                last = List.of(); // reported below if it lasts
            }
            Thread.sleep(100); // waiting for the server's expiry of abandoned tickets
        }
        long drainTime = System.nanoTime() - loadDone;
        int lastExit = server.terminate();
        GrantLog.copyJournal(data, dir.resolve("stop2"));

        // ---- the checkers
        long checkStart = System.nanoTime();
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (int i = 0; i < LOCKS.length; i++) {
            sizes.put(LOCKS[i], SIZES[i]);
        }
        sizes.put("DefaultLock", 1);
        SafetyChecker checker = new SafetyChecker(sizes);
        List<Hold> holds = new ArrayList<>();
        List<String[]> queried = new ArrayList<>();
        Map<String, Long> counts = new TreeMap<>();
        for (StressClient c : clients) {
            holds.addAll(c.holds);
            queried.addAll(c.queried);
            c.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
            c.unexpected.forEach(u -> checker.problem("client: unexpected answer: " + u));
            if (c.crashed != null) {
                checker.problem("client: a client thread failed: " + c.crashed);
            }
        }
        if (!stuck.isEmpty()) {
            checker.problem("client: " + stuck.size() + " client thread(s) still running after the hard stop: " + stuck);
        }
        if (!drained) {
            checker.problem("liveness: 10 s after the load the server still counts holders or waiters: " + last);
        }
        for (int code : new int[] {exit, lastExit}) {
            if (code != 0 && code != 143) { // 143: the JVM's exit status after SIGTERM and its shutdown hooks
                checker.problem("server: exit code " + code + " after SIGTERM");
            }
        }

        GrantLog.LogContents logged = GrantLog.readLog(log, server.runStarts);
        List<GrantRecord> records = new ArrayList<>();
        Map<String, Integer> index = GrantLog.newIndex();
        List<Integer> runStarts = new ArrayList<>();
        List<String> logProblems = new ArrayList<>();
        List<Integer> fromJournal = new ArrayList<>();
        for (int run = 0; run < logged.records.size(); run++) {
            runStarts.add(records.size());
            for (String message : logged.records.get(run)) {
                try {
                    GrantLog.add(records, index, GrantRecord.parse(message, run, false), logProblems);
                } catch (IllegalArgumentException e) {
                    logProblems.add("grant log: " + e.getMessage());
                }
            }
            fromJournal.add(GrantLog.reconcile(records, index, GrantLog.readJournal(dir.resolve("stop" + run)), run,
                    logProblems));
        }
        for (int run : new int[] {1, 2}) {
            if (!logged.stoppedCleanly.get(run)) {
                checker.problem("server: run " + run + " did not log its clean stop after SIGTERM");
            }
        }
        logProblems.forEach(checker::problem);
        checker.checkClients(holds);
        checker.checkGrantLog(records, runStarts, logged.restored, drained);
        checker.crossCheck(holds, queried);
        long checkTime = System.nanoTime() - checkStart;

        String summary = summary(seed, seconds, counts, holds, checker, records, logged, fromJournal, restarts,
                downtimes, drainTime, checkTime, System.nanoTime() - started);
        System.out.println(summary);
        Path out = Path.of(System.getProperty("basedir", "."), "target", "safety-checker-summary.txt");
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, summary + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.out.println("cannot write " + out + ": " + e);
        }

        String keep = System.getProperty("safety.keep");
        if (keep != null) {
            keepRun(Path.of(keep), dir, clients, holds);
        }
        assertEquals(summary, 0, checker.problemCount());
        // the run must have exercised what it claims to check
        assertTrue(summary, counts.getOrDefault("grant", 0L) > 0);
        assertTrue(summary, logged.records.size() == 3 && records.size() > 0);
        for (String lock : LOCKS) {
            assertTrue(summary, checker.stats.get(lock).grants > 0);
        }
    }

    // ---- the checker itself must catch what it claims to catch (synthetic inputs, no server)

    private static List<GrantRecord> log(String... messages) {
        List<GrantRecord> out = new ArrayList<>();
        for (String m : messages) {
            out.add(GrantRecord.parse(m, 0, false));
        }
        return out;
    }

    private static SafetyChecker replay(List<GrantRecord> records) {
        SafetyChecker c = new SafetyChecker(Map.of("one", 1, "two", 2));
        c.checkGrantLog(records, List.of(0), List.of(-1), false);
        return c;
    }

    private static String t(String c) {
        return c.repeat(32);
    }

    @Test
    public void checkerPassesACorrectHistory() {
        SafetyChecker c = replay(log("queued lock=one ticket=" + t("a"), "granted lock=one ticket=" + t("a") + " token=1 at=0",
                "queued lock=one ticket=" + t("b"), "claimed ticket=" + t("a"), "removed ticket=" + t("a"),
                "granted lock=one ticket=" + t("b") + " token=2 at=0", "removed ticket=" + t("b")));
        assertEquals(c.problems().toString(), 0, c.problemCount());
        assertEquals(1, c.stats.get("one").reuses);
        Hold a = new Hold(1, 0, "one", t("a"), 0, 10, 10);
        a.released(20);
        Hold b = new Hold(2, 0, "one", t("b"), 5, 20, 20); // starts when a ends: no overlap
        b.released(30);
        a.token = 1;
        b.token = 2;
        c.checkClients(List.of(a, b));
        c.crossCheck(List.of(a, b), List.of(new String[] {"one", t("a")}, new String[] {"one", t("b")}));
        assertEquals(c.problems().toString(), 1, c.problemCount()); // b was never claimed in this log
        assertTrue(c.problems().get(0), c.problems().get(0).contains("no claim"));
    }

    @Test
    public void checkerCatchesTooManyGrantsTokensThatDoNotGrowAndSlotsNotReused() {
        SafetyChecker tooMany = replay(log("queued lock=one ticket=" + t("a"),
                "granted lock=one ticket=" + t("a") + " token=1 at=0", "queued lock=one ticket=" + t("b"),
                "granted lock=one ticket=" + t("b") + " token=2 at=0"));
        assertTrue(tooMany.problems().toString(), tooMany.problems().get(0).contains("2 tickets granted on one of size 1"));

        SafetyChecker tokens = replay(log("queued lock=two ticket=" + t("a"),
                "granted lock=two ticket=" + t("a") + " token=5 at=0", "queued lock=two ticket=" + t("b"),
                "granted lock=two ticket=" + t("b") + " token=5 at=0"));
        assertTrue(tokens.problems().toString(), tokens.problems().get(0).contains("token 5 does not grow"));

        SafetyChecker notReused = replay(log("queued lock=one ticket=" + t("a"),
                "granted lock=one ticket=" + t("a") + " token=1 at=0", "queued lock=one ticket=" + t("b"),
                "removed ticket=" + t("a"), "queued lock=one ticket=" + t("c")));
        assertTrue(notReused.problems().toString(), notReused.problems().get(0).contains("not reused"));

        SafetyChecker notFifo = replay(log("queued lock=one ticket=" + t("a"),
                "granted lock=one ticket=" + t("a") + " token=1 at=0", "queued lock=one ticket=" + t("b"),
                "queued lock=one ticket=" + t("c"), "removed ticket=" + t("a"),
                "granted lock=one ticket=" + t("c") + " token=2 at=0"));
        assertTrue(notFifo.problems().toString(), notFifo.problems().get(0).contains("not FIFO"));

        SafetyChecker gone = replay(log("queued lock=one ticket=" + t("a"),
                "granted lock=one ticket=" + t("a") + " token=1 at=0", "removed ticket=" + t("a"),
                "removed ticket=" + t("a")));
        assertTrue(gone.problems().toString(), gone.problems().get(0).contains("already gone"));
    }

    @Test
    public void checkerCatchesOverlappingHoldersAndPrematureLoss() {
        SafetyChecker c = new SafetyChecker(Map.of("one", 1));
        Hold a = new Hold(1, 0, "one", t("a"), 0, 10, 10);
        a.released(20);
        Hold b = new Hold(2, 0, "one", t("b"), 0, 19, 19);
        b.released(25);
        Hold.Timing timing = new Hold.Timing(1_000, 5_000, 100);
        Hold d = new Hold(3, 0, "one", t("d"), 100, 200, 200);
        d.foundGone(300, 400, false, "lock.renew", timing); // gone 400 ns after a sign of life: deadline 1100
        c.checkClients(List.of(a, b, d));
        assertEquals(c.problems().toString(), 2, c.problemCount());
        assertTrue(c.problems().toString(), c.problems().toString().contains("2 holders of one (size 1)"));
        assertTrue(c.problems().toString(), c.problems().toString().contains("answered gone"));
    }

    @Test
    public void checkerCatchesTokensOutOfRealTimeOrderAndQueuedTicketsLostBeforeTheirTime() {
        SafetyChecker c = new SafetyChecker(Map.of("one", 1, "two", 2));
        Hold first = new Hold(1, 0, "two", t("a"), 0, 10, 10); // seen granted at 10 with token 7
        first.token = 7;
        Hold later = new Hold(2, 0, "two", t("b"), 20, 30, 30); // queried at 20, after that: its token must be larger
        later.token = 5;
        Hold overlapping = new Hold(3, 0, "two", t("c"), 5, 40, 40); // queried before the first was seen: any order
        overlapping.token = 6;
        c.checkTokenOrder(List.of(first, later, overlapping));
        assertEquals(c.problems().toString(), 1, c.problemCount());
        assertTrue(c.problems().get(0), c.problems().get(0).contains("token 5") && c.problems().get(0).contains("does not grow"));

        Hold.Timing timing = new Hold.Timing(1_000, 5_000, 100);
        SafetyChecker q = new SafetyChecker(Map.of("one", 1));
        q.checkQueuedGone(List.of(
                new StressClient.QueuedGone(1, "one", t("d"), 0, 100, 600, 0), // 500 after the last call: lost
                new StressClient.QueuedGone(2, "one", t("e"), 0, 100, 1_100, 0)), // the grace time had passed
                1_000, timing);
        assertEquals(q.problems().toString(), 1, q.problemCount());
        assertTrue(q.problems().get(0), q.problems().get(0).contains(t("d")));
    }

    @Test
    public void reconcileTakesTheTailALogLacksFromTheJournalAndCatchesDisagreement() {
        List<String> problems = new ArrayList<>();
        List<GrantRecord> all = new ArrayList<>();
        Map<String, Integer> index = GrantLog.newIndex();
        String q = "queued lock=one ticket=" + t("a");
        String g = "granted lock=one ticket=" + t("a") + " token=1 at=7";
        String x = "removed ticket=" + t("a");
        GrantLog.add(all, index, GrantRecord.parse(q, 0, false), problems);
        assertEquals(2, GrantLog.reconcile(all, index, List.of(q, g, x), 0, problems));
        assertEquals(List.of(), problems);
        assertEquals(3, all.size());
        assertTrue(all.get(2).fromJournal());
        assertEquals(0, GrantLog.reconcile(all, index, List.of(g, "removed ticket=" + t("b")), 0, problems));
        assertTrue(problems.toString(), problems.get(0).contains("but the journal file has"));
    }

    private static final String CLIENT_USER = "stress";
    private static final String ADMIN_USER = "operator";
    private static final String PASSWORD = "safety-" + Long.toHexString(new Random().nextLong());

    private static String config(int port, Path log, Path data) {
        StringBuilder b = new StringBuilder();
        b.append("[general]\n")
                .append("SERVER=127.0.0.1\n")
                .append("PORT=").append(port).append('\n')
                .append("LOG_FILE=").append(log).append('\n')
                .append("LOGLEVEL=debug\n")
                .append("LIFECYCLE_PERIOD=0.1\n")
                .append("MAX_WAIT_TIME=").append(MAX_WAIT).append('\n')
                .append("MAX_THREADS=400\n")
                .append("DATA_DIR=").append(data).append('\n')
                .append("JOURNAL_FSYNC=always\n")
                .append("DEFAULT_LOCK=DefaultLock\n")
                .append("DEFAULT_LOCK_SIZE=1\n");
        String hash = PasswordHash.create(PASSWORD.toCharArray());
        b.append("\n[user ").append(CLIENT_USER).append("]\nPASSWORD=").append(hash).append("\nROLE=client\n");
        b.append("\n[user ").append(ADMIN_USER).append("]\nPASSWORD=").append(hash).append("\nROLE=admin\n");
        for (int i = 0; i < LOCKS.length; i++) {
            b.append("\n[lock ").append(LOCKS[i]).append("]\n")
                    .append("SIZE=").append(SIZES[i]).append('\n')
                    .append("GRACE_TIME=").append(GRACE).append('\n')
                    .append("EXPIRATION_TIME=").append(EXPIRATION).append('\n')
                    .append("MAX_LOCK_TIME=").append(MAX_LOCK).append('\n');
        }
        return b.toString();
    }

    private static String summary(long seed, int seconds, Map<String, Long> counts, List<Hold> holds,
                                  SafetyChecker checker, List<GrantRecord> records, GrantLog.LogContents logged,
                                  List<Integer> fromJournal, List<String> restarts, List<long[]> downtimes,
                                  long drainTime, long checkTime,
                                  long total) {
        StringBuilder s = new StringBuilder();
        s.append("==== lockserver safety checker: ").append(checker.problemCount() == 0 ? "PASS" : "FAIL").append(" ====\n");
        s.append(String.format(Locale.ROOT, "%d clients, %d s of load, seed %d (-Dsafety.seed=%d), JOURNAL_FSYNC=always%n",
                CLIENTS, seconds, seed, seed));
        s.append("restarts: ").append(String.join("; ", restarts)).append('\n');
        long operations = 0;
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            if (!e.getKey().startsWith("failed") && !e.getKey().equals("gave up retrying")) {
                operations += e.getValue();
            }
        }
        long failures = counts.entrySet().stream().filter(e -> e.getKey().startsWith("failed"))
                .mapToLong(Map.Entry::getValue).sum();
        s.append(String.format(Locale.ROOT, "operations: %d answered calls and crashes, %d failed calls%n", operations,
                failures));
        counts.forEach((k, v) -> s.append(String.format(Locale.ROOT, "  %-28s %8d%n", k, v)));
        Map<String, Long> plans = new TreeMap<>();
        Map<String, Long> ends = new TreeMap<>();
        for (Hold h : holds) {
            plans.merge(h.plan == null ? "?" : h.plan, 1L, Long::sum);
            ends.merge(String.valueOf(h.how), 1L, Long::sum);
        }
        s.append("holds by plan: ").append(plans).append("; by end: ").append(ends).append('\n');
        int keptAcross = 0;
        int grantedAfter = 0;
        for (Hold h : holds) {
            for (long[] d : downtimes) {
                if (h.granted - d[0] < 0 && h.how == Hold.End.RELEASED && h.end - d[1] > 0) {
                    keptAcross++;
                }
                if (h.queried - d[0] < 0 && h.granted - d[1] > 0) {
                    grantedAfter++;
                }
            }
        }
        s.append(String.format(Locale.ROOT, "across restarts: %d holds released after the restart, %d tickets queried "
                + "before it and granted after%n", keptAcross, grantedAfter));
        s.append(String.format(Locale.ROOT, "grant log: %d records in %d log lines (%d runs; %s taken from the journal "
                + "file after each stop; restored at start-up: %s)%n", records.size(), logged.lines, logged.records.size(),
                fromJournal, logged.restored));
        s.append("per lock: max concurrent holders in the client view (vouched intervals) and in the grant log;\n"
                + "  log counts: grants, claims, holders removed, queued removed, freed slots reused at once,\n"
                + "  operation boundaries checked (all slots taken or nobody queued); tokens granted\n");
        s.append(String.format(Locale.ROOT, "%-11s %4s %6s %6s %8s %7s %7s %8s %7s %7s %7s %s%n", "lock", "size",
                "client", "log", "vouched", "grants", "claims", "removed", "queued", "reused", "checks", "tokens"));
        for (SafetyChecker.LockStats st : checker.stats.values()) {
            s.append(String.format(Locale.ROOT, "%-11s %4d %6d %6d %8d %7d %7d %8d %7d %7d %7d %d..%d%n", st.lock,
                    st.size, st.clientMax, st.logMax, st.clientIntervals, st.grants, st.claims, st.removedHolders,
                    st.removedQueued, st.reuses, st.boundaryChecks, st.firstToken, st.lastToken));
        }
        s.append(String.format(Locale.ROOT, "times: drain %.1f s, checking %.1f s, whole test %.1f s%n", secs(drainTime),
                secs(checkTime), secs(total)));
        if (checker.problemCount() == 0) {
            s.append("result: PASS: never more than SIZE holders (client view and grant log), tokens grow, "
                    + "every freed slot reused, clients and log agree\n");
        } else {
            s.append("result: FAIL: ").append(checker.problemCount()).append(" violation(s)")
                    .append(checker.problemCount() > checker.problems().size()
                            ? ", the first " + checker.problems().size() + ":" : ":").append('\n');
            checker.problems().forEach(p -> s.append("  - ").append(p).append('\n'));
        }
        return s.toString();
    }

    /** Copies the run (config, server log and output, journal copies) and the clients' holds and notes to {@code to}. */
    private static void keepRun(Path to, Path dir, List<StressClient> clients, List<Hold> holds) throws IOException {
        Files.createDirectories(to);
        try (var walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(dir.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        List<String> lines = new ArrayList<>();
        for (Hold h : holds) {
            lines.add(h + " queried " + h.queried + " granted " + h.granted + " lastAlive " + h.lastAlive + " end "
                    + h.end + (h.premature ? " PREMATURE " + h.prematureWhat : ""));
        }
        Files.write(to.resolve("holds.txt"), lines, StandardCharsets.UTF_8);
        List<String> notes = new ArrayList<>();
        clients.forEach(c -> notes.addAll(c.notes));
        Files.write(to.resolve("notes.txt"), notes, StandardCharsets.UTF_8);
    }

    private static int freePort() throws IOException {
        return ServerProcess.freePort();
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    private static double secs(long nanos) {
        return nanos / 1e9;
    }
}
