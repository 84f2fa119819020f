import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockServerException;

/**
 * Load driver of the lockserver benchmark (bench/run.sh). Uses the project's own Java
 * client (lockserver.client) against a server started by run.sh on 127.0.0.1, and reads
 * the server's CPU time and RSS from /proc/PID for the measured window only.
 *
 * <pre>
 * java -cp target/lockserver.jar:bench/build/classes LoadDriver MODE key=value...
 *   throughput url= pid= clients= seconds= warmup= names= client=shared|per-thread
 *   handoff    url= pid= clients= lock= seconds= warmup=
 *   waiters    url= pid= clients= lock= limit=SECONDS
 *   failover   url= admin= ids= pidfiles= kills= names= limit=SECONDS
 * </pre>
 * For a cluster, url and pid of throughput and handoff are comma-separated lists, one entry
 * per node: client thread i uses node i mod n, the server CPU is the nodes' sum and the RSS
 * the largest node's. Throughput, handoff and failover check what a lock of size 1 promises
 * from the holders' side ({@link Exclusion}) and report the violations.
 * Each mode prints one line "ROW key=value ..." (and a few "# ..." notes) and exits on its
 * own; every loop is bounded in time. failover also prints "RESTART i" when run.sh must
 * start node i again (run.sh owns the nodes' processes).
 */
public final class LoadDriver {
    private static final long CLK_TCK = 100; // USER_HZ on Linux

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0) {
            System.err.println("usage: LoadDriver throughput|handoff|waiters key=value...");
            System.exit(64);
        }
        Map<String, String> a = new HashMap<>();
        for (int i = 1; i < argv.length; i++) {
            String[] kv = argv[i].split("=", 2);
            a.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        int rc;
        switch (argv[0]) {
            case "throughput" -> rc = throughput(a);
            case "handoff" -> rc = handoff(a);
            case "waiters" -> rc = waiters(a);
            case "failover" -> rc = failover(a);
            default -> {
                System.err.println("unknown mode " + argv[0]);
                rc = 64;
            }
        }
        System.out.flush();
        // every worker thread is a daemon: stragglers still blocked in a call do not hold the exit
        System.exit(rc);
    }

    // ------------------------------------------------------------- throughput

    static int throughput(Map<String, String> a) throws Exception {
        String[] urls = a.get("url").split(",");
        int[] pid = pids(a.getOrDefault("pid", "0"));
        int clients = Integer.parseInt(a.getOrDefault("clients", "5"));
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
        double warmup = Double.parseDouble(a.getOrDefault("warmup", "2"));
        int names = Integer.parseInt(a.getOrDefault("names", "10000"));
        String prefix = a.getOrDefault("prefix", "k");
        boolean shared = !a.getOrDefault("client", "shared").equals("per-thread");

        long callsBefore = serverRequests(urls);
        LockClient[] sharedClients = new LockClient[urls.length];
        for (int i = 0; i < urls.length && shared; i++) {
            sharedClients[i] = new LockClient(urls[i]);
        }
        Exclusion exclusion = new Exclusion();
        Window w = new Window();
        LongAdder cycles = new LongAdder(), failed = new LongAdder(), errors = new LongAdder();
        LongAdder requests = new LongAdder(); // attempts: acquire + release, whatever calls they take
        ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
        long[][] lat = new long[clients][];
        int[] nlat = new int[clients];
        long start = System.nanoTime();
        long stop = start + (long) ((warmup + seconds) * 1e9);
        CountDownLatch done = new CountDownLatch(clients);
        for (int c = 0; c < clients; c++) {
            int me = c;
            lat[me] = new long[1 << 16];
            Thread t = new Thread(() -> {
                String url = urls[me % urls.length];
                LockClient client = shared ? sharedClients[me % urls.length] : new LockClient(url);
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                try {
                    while (System.nanoTime() - stop < 0) {
                        String name = prefix + rnd.nextInt(names);
                        long t0 = System.nanoTime();
                        try {
                            // what Lock.acquire and Lock.release send, with the grant's token at hand
                            LockClient.Acquired got = client.acquire(name, "bench", Duration.ofSeconds(10));
                            requests.increment();
                            if (got.granted()) {
                                long t1 = System.nanoTime();
                                exclusion.granted(name, got.token());
                                exclusion.releasing(name);
                                client.release(got.ticket());
                                cycles.increment();
                                if (w.measuring) {
                                    if (nlat[me] == lat[me].length) {
                                        lat[me] = Arrays.copyOf(lat[me], lat[me].length * 2);
                                    }
                                    lat[me][nlat[me]++] = t1 - t0;
                                }
                            } else {
                                client.release(got.ticket()); // Lock.acquire gives up its place on timeout
                                failed.increment();
                            }
                        } catch (LockServerException e) {
                            errors.increment();
                            if (errorSamples.size() < 3) {
                                errorSamples.add(e.getMessage());
                            }
                            Thread.sleep(1);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "client-" + c);
            t.setDaemon(true);
            t.start();
        }
        sleepUntil(start + (long) (warmup * 1e9));
        long[] peakBeforeKb = procLongs(pid, "VmHWM:");
        boolean windowPeak = resetPeakRss(pid);
        Snapshot s0 = Snapshot.take(pid, cycles, failed, errors, requests);
        w.measuring = true;
        sleepUntil(stop);
        w.measuring = false;
        Snapshot s1 = Snapshot.take(pid, cycles, failed, errors, requests);
        done.await(15, TimeUnit.SECONDS);
        // with a profiler recording the window: let it end before /metrics is read
        Thread.sleep((long) (1000 * Double.parseDouble(a.getOrDefault("scrape_delay", "0"))));

        double secs = (s1.nanos - s0.nanos) / 1e9;
        long n = s1.cycles - s0.cycles;
        long[] all = merge(lat, nlat);
        StringBuilder row = new StringBuilder("ROW scenario=throughput");
        kv(row, "clients", clients);
        kv(row, "client", shared ? "shared" : "per-thread");
        kv(row, "seconds", secs);
        kv(row, "cycles", n);
        kv(row, "cycles_s", Math.round(n / secs));
        double perCycle = callsPerAttempt(urls, requests.sum(), callsBefore);
        kv(row, "req_s", Double.isNaN(perCycle) ? "nan" : Math.round(perCycle * (s1.requests - s0.requests) / secs));
        kv(row, "calls_per_cycle", perCycle);
        kv(row, "failed", s1.failed - s0.failed);
        kv(row, "errors", s1.errors - s0.errors);
        kv(row, "violations", exclusion.violations());
        kv(row, "acq_p50_ms", pct(all, 0.50) / 1e6);
        kv(row, "acq_p99_ms", pct(all, 0.99) / 1e6);
        // server_peak_rss_mb stays the peak since the server started; the window's own peak
        // (after the warm-up and most of its JIT compiling) is reported beside it
        long[] windowPeakKb = s1.peakRssKb.clone();
        long[] sinceStart = s1.peakRssKb.clone();
        for (int i = 0; i < sinceStart.length; i++) {
            sinceStart[i] = Math.max(sinceStart[i], peakBeforeKb[i]);
        }
        Snapshot s1SinceStart = new Snapshot(s1.nanos, s1.cycles, s1.failed, s1.errors, s1.serverTicks,
                s1.clientCpuNanos, s1.requests, s1.machineTicks, s1.rssKb, sinceStart);
        serverFields(row, pid, s0, s1SinceStart, secs);
        kv(row, "server_window_peak_rss_mb", windowPeak ? max(windowPeakKb) / 1024 : -1);
        System.out.println(row);
        errorSamples.forEach(e -> System.out.println("# error: " + e));
        return 0;
    }

    /**
     * Resets the server's peak RSS (VmHWM) to its current RSS (proc(5), clear_refs "5"), so
     * that VmHWM read later is the peak since now; false if not allowed.
     */
    static boolean resetPeakRss(int[] pids) {
        try {
            for (int pid : pids) {
                Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- handoff

    static int handoff(Map<String, String> a) throws Exception {
        String[] urls = a.get("url").split(",");
        int[] pid = pids(a.getOrDefault("pid", "0"));
        int clients = Integer.parseInt(a.getOrDefault("clients", "50"));
        String name = a.getOrDefault("lock", "one");
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
        double warmup = Double.parseDouble(a.getOrDefault("warmup", "2"));
        LockClient[] clientOf = new LockClient[urls.length];
        for (int i = 0; i < urls.length; i++) {
            clientOf[i] = new LockClient(urls[i]);
        }
        long callsBefore = serverRequests(urls);
        int size = clientOf[0].status(name).size();
        Exclusion exclusion = new Exclusion(); // a lock of size 1 only

        Window w = new Window();
        // release time stamps in the order taken; every release while others queue frees exactly
        // one slot, which goes to exactly one waiter: grants pair with releases first-in first-out
        ConcurrentLinkedQueue<Long> releases = new ConcurrentLinkedQueue<>();
        LongAdder cycles = new LongAdder(), failed = new LongAdder(), errors = new LongAdder();
        LongAdder requests = new LongAdder(); // attempts: acquire + release, whatever calls they take
        long[][] samples = new long[clients][];
        int[] ns = new int[clients];
        long start = System.nanoTime();
        long stop = start + (long) ((warmup + seconds) * 1e9);
        CountDownLatch done = new CountDownLatch(clients);
        for (int c = 0; c < clients; c++) {
            int me = c;
            samples[me] = new long[1 << 14];
            LockClient client = clientOf[me % urls.length];
            Thread t = new Thread(() -> {
                try {
                    while (System.nanoTime() - stop < 0) {
                        Lock lock = client.lock(name);
                        try {
                            boolean ok = lock.acquire("bench handoff", Duration.ofSeconds(5));
                            requests.increment();
                            long granted = System.nanoTime();
                            if (!ok) {
                                failed.increment();
                                continue;
                            }
                            if (size == 1) {
                                // the token is asked for only when the grant carried none (a wait that blocked)
                                exclusion.granted(name, 0);
                            }
                            Long released = releases.poll();
                            if (released != null && w.measuring && released - w.since >= 0) {
                                if (ns[me] == samples[me].length) {
                                    samples[me] = Arrays.copyOf(samples[me], samples[me].length * 2);
                                }
                                samples[me][ns[me]++] = granted - released;
                            }
                            cycles.increment();
                            if (size == 1) {
                                exclusion.releasing(name);
                            }
                            releases.add(System.nanoTime());
                            lock.release();
                        } catch (LockServerException e) {
                            errors.increment();
                            Thread.sleep(1);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    done.countDown();
                }
            }, "waiter-" + c);
            t.setDaemon(true);
            t.start();
        }
        sleepUntil(start + (long) (warmup * 1e9));
        Snapshot s0 = Snapshot.take(pid, cycles, failed, errors, requests);
        w.since = s0.nanos;
        w.measuring = true;
        sleepUntil(stop);
        w.measuring = false;
        Snapshot s1 = Snapshot.take(pid, cycles, failed, errors, requests);
        done.await(15, TimeUnit.SECONDS);
        double secs = (s1.nanos - s0.nanos) / 1e9;
        long[] all = merge(samples, ns);
        StringBuilder row = new StringBuilder("ROW scenario=handoff");
        kv(row, "clients", clients);
        kv(row, "size", size);
        kv(row, "seconds", secs);
        kv(row, "cycles_s", Math.round((s1.cycles - s0.cycles) / secs));
        double perCycle = callsPerAttempt(urls, requests.sum(), callsBefore);
        kv(row, "req_s", Double.isNaN(perCycle) ? "nan" : Math.round(perCycle * (s1.requests - s0.requests) / secs));
        kv(row, "calls_per_cycle", perCycle);
        kv(row, "samples", all.length);
        kv(row, "violations", exclusion.violations());
        kv(row, "handoff_p50_ms", pct(all, 0.50) / 1e6);
        kv(row, "handoff_p99_ms", pct(all, 0.99) / 1e6);
        kv(row, "handoff_max_ms", all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6);
        kv(row, "unpaired", releases.size());
        kv(row, "failed", s1.failed - s0.failed);
        kv(row, "errors", s1.errors - s0.errors);
        serverFields(row, pid, s0, s1, secs);
        System.out.println(row);
        return 0;
    }

    // ---------------------------------------------------------------- waiters

    static int waiters(Map<String, String> a) throws Exception {
        String url = a.get("url");
        int pid = Integer.parseInt(a.getOrDefault("pid", "0"));
        int n = Integer.parseInt(a.getOrDefault("clients", "2000"));
        String name = a.getOrDefault("lock", "full");
        double limit = Double.parseDouble(a.getOrDefault("limit", "28"));
        double settle = Double.parseDouble(a.getOrDefault("settle", "3"));
        long t0 = System.nanoTime();
        long deadline = t0 + (long) (limit * 1e9);
        LockClient client = new LockClient(url, Duration.ofSeconds(10));
        Lock holder = client.lock(name);
        if (!holder.acquire("bench holder", Duration.ofSeconds(5))) {
            System.out.println("# the lock " + name + " is not free");
            return 1;
        }
        // queue in a known order: ticket i is i-th in the FIFO queue
        String[] tickets = new String[n];
        for (int i = 0; i < n; i++) {
            tickets[i] = client.query(name, "waiter " + i);
        }
        long queued = System.nanoTime();
        int[] servedAs = new int[n];
        Arrays.fill(servedAs, -1);
        long[] servedAt = new long[n];
        AtomicInteger order = new AtomicInteger();
        LongAdder timeouts = new LongAdder(), errors = new LongAdder(), lateRelease = new LongAdder();
        AtomicInteger inWait = new AtomicInteger();
        ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
        CountDownLatch finished = new CountDownLatch(n);
        AtomicLong releasedAt = new AtomicLong();
        for (int i = 0; i < n; i++) {
            int me = i;
            Thread t = new Thread(null, () -> {
                try {
                    inWait.incrementAndGet();
                    long left = deadline - System.nanoTime();
                    boolean ok = left > 0 && client.await(tickets[me], Duration.ofNanos(left));
                    if (ok) {
                        servedAt[me] = System.nanoTime();
                        servedAs[me] = order.getAndIncrement();
                        if (!client.release(tickets[me])) {
                            lateRelease.increment(); // the grant was withdrawn (grace) before we released
                        }
                    } else {
                        timeouts.increment();
                    }
                } catch (LockServerException e) {
                    errors.increment();
                    if (errorSamples.size() < 3) {
                        errorSamples.add(e.getMessage());
                    }
                } finally {
                    finished.countDown();
                }
            }, "w" + i, 128 * 1024);
            t.setDaemon(true);
            t.start();
        }
        long launched = System.nanoTime();
        sleepUntil(Math.min(deadline, launched + (long) (settle * 1e9)));
        long threadsAtPeak = procLong(pid, "Threads:");
        long rssAtPeak = procLong(pid, "VmRSS:");
        // is the server still answering other calls? (a separate connection, 2 s to answer)
        long statusMs;
        int queuedOnServer = -1;
        long s0 = System.nanoTime();
        try {
            queuedOnServer = new LockClient(url, Duration.ofSeconds(2)).status(name).queued();
            statusMs = (System.nanoTime() - s0) / 1_000_000;
        } catch (LockServerException e) {
            statusMs = -1;
            errorSamples.add("lock.status while the waiters block: " + e.getMessage());
        }
        // free the lock: the holder's release may itself have to queue behind blocked waits
        long release = System.nanoTime();
        releasedAt.set(release);
        boolean holderReleased;
        LockClient holderClient = new LockClient(url,
                Duration.ofNanos(Math.max(1_000_000_000L, deadline - System.nanoTime())));
        try {
            holderReleased = holderClient.release(holder.ticket());
        } catch (LockServerException e) {
            holderReleased = false;
            errorSamples.add("holder release: " + e.getMessage());
        }
        long holderReleaseMs = (System.nanoTime() - release) / 1_000_000;
        finished.await(Math.max(0, deadline - System.nanoTime()) + 500_000_000L, TimeUnit.NANOSECONDS);
        long end = System.nanoTime();

        int served = 0, fifoViolations = 0, last = -1;
        long lastServedAt = 0;
        for (int i = 0; i < n; i++) {
            if (servedAs[i] >= 0) {
                served++;
                if (servedAs[i] < last) {
                    fifoViolations++;
                }
                last = Math.max(last, servedAs[i]);
                lastServedAt = Math.max(lastServedAt, servedAt[i]);
            }
        }
        // an out-of-order pair: a later ticket served before an earlier one
        int inversions = 0;
        for (int i = 1; i < n; i++) {
            if (servedAs[i] >= 0 && servedAs[i - 1] >= 0 && servedAs[i] < servedAs[i - 1]) {
                inversions++;
            }
        }
        StringBuilder row = new StringBuilder("ROW scenario=waiters");
        kv(row, "clients", n);
        kv(row, "queued_s", (queued - t0) / 1e9);
        kv(row, "queued_on_server", queuedOnServer);
        kv(row, "status_ms", statusMs);
        kv(row, "server_threads", threadsAtPeak);
        kv(row, "rss_mb_blocked", rssAtPeak / 1024);
        kv(row, "holder_release_ms", holderReleased ? holderReleaseMs : -1);
        kv(row, "served", served);
        kv(row, "not_served", n - served);
        kv(row, "timeouts", timeouts.sum());
        kv(row, "still_blocked", finished.getCount()); // waits with no answer at all by the end
        kv(row, "errors", errors.sum());
        kv(row, "grant_withdrawn", lateRelease.sum());
        kv(row, "fifo_inversions", inversions);
        kv(row, "drain_s", served == 0 ? Double.NaN : (lastServedAt - release) / 1e9);
        kv(row, "serves_s", served == 0 ? 0 : Math.round(served / ((lastServedAt - release) / 1e9)));
        kv(row, "elapsed_s", (end - t0) / 1e9);
        kv(row, "server_peak_rss_mb", procLong(pid, "VmHWM:") / 1024);
        System.out.println(row);
        errorSamples.forEach(e -> System.out.println("# error: " + e));
        return 0;
    }

    // --------------------------------------------------------------- failover

    /**
     * A three-node cluster's failover, {@code kills} times: once every node follows one leader
     * and serves, kill -9 the leader (its pid from run.sh's pid file), then start an acquire on a
     * random lock every {@code every_ms} through each surviving node, each on its own thread, at
     * most {@code in_flight} at a time per node; failover time = from the kill to the first of
     * those acquires to return granted (only acquires started after the old leader is gone count,
     * and only a new leader can commit them). The cap stays below what a node's Ratis client lets
     * wait (raft.client.async.outstanding-requests.max, 100): beyond it the node's submit blocks
     * its caller, which may be the HTTP selector or Ratis' apply thread. Then "RESTART i" tells run.sh to start the node again, and the next round waits
     * until it follows the leader. Meanwhile one client thread per node loops acquire+release, so
     * that the kill finds calls in flight, as in use. Bounded by {@code limit} seconds in all.
     */
    static int failover(Map<String, String> a) throws Exception {
        String[] urls = a.get("url").split(",");
        String[] admin = a.get("admin").split(",");
        String[] ids = a.get("ids").split(",");
        String[] pidFiles = a.get("pidfiles").split(",");
        int kills = Integer.parseInt(a.getOrDefault("kills", "10"));
        int names = Integer.parseInt(a.getOrDefault("names", "10000"));
        long everyNanos = (long) (1e6 * Double.parseDouble(a.getOrDefault("every_ms", "20")));
        int inFlight = Integer.parseInt(a.getOrDefault("in_flight", "25"));
        double settle = Double.parseDouble(a.getOrDefault("settle", "1"));
        long deadline = System.nanoTime() + (long) (1e9 * Double.parseDouble(a.getOrDefault("limit", "170")));
        int n = urls.length;
        LockClient[] clients = new LockClient[n];
        for (int i = 0; i < n; i++) {
            clients[i] = new LockClient(urls[i], Duration.ofSeconds(10));
        }
        Exclusion exclusion = new Exclusion();
        LongAdder errors = new LongAdder(), cycles = new LongAdder();
        AtomicLong[] lastGrant = new AtomicLong[n];
        ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
        AtomicInteger done = new AtomicInteger();
        // background: one closed loop per node, all the time
        Thread[] loops = new Thread[n];
        for (int i = 0; i < n; i++) {
            int node = i;
            lastGrant[i] = new AtomicLong(System.nanoTime() - (long) 1e12);
            loops[i] = new Thread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                while (done.get() == 0 && System.nanoTime() - deadline < 0) {
                    if (cycle(clients[node], "k" + rnd.nextInt(names), Duration.ofSeconds(3), exclusion, errorSamples)) {
                        lastGrant[node].set(System.nanoTime());
                        cycles.increment();
                    } else {
                        errors.increment();
                        sleepQuietly(20);
                    }
                }
            }, "loop-" + ids[i]);
            loops[i].setDaemon(true);
            loops[i].start();
        }
        long[] failoverNanos = new long[kills];
        long[] recoverNanos = new long[kills]; // from "RESTART" to the whole cluster serving again
        long restartedAt = 0;
        int measured = 0, newLeaders = 0, recovered = 0;
        long attempts = 0, peakKb = 0;
        String notes = "";
        for (int k = 0; k < kills; k++) {
            // 1. the whole cluster follows one leader and every node served a grant since
            long since = System.nanoTime();
            View leader = null;
            while (System.nanoTime() - deadline < 0) {
                leader = agreedLeader(admin, ids);
                boolean served = true;
                for (AtomicLong g : lastGrant) {
                    served &= g.get() - since > 0;
                }
                if (leader != null && served) {
                    break;
                }
                leader = null;
                Thread.sleep(50);
            }
            if (leader == null) {
                notes = "round " + (k + 1) + ": the cluster did not recover within the limit";
                break;
            }
            if (restartedAt != 0) {
                recoverNanos[recovered++] = System.nanoTime() - restartedAt;
            }
            sleepUntil(Math.min(deadline, System.nanoTime() + (long) (settle * 1e9)));
            int victim = Arrays.asList(ids).indexOf(leader.leader());
            int pid = Integer.parseInt(Files.readString(Path.of(pidFiles[victim])).trim());
            peakKb = Math.max(peakKb, peakRssOfNodes(pidFiles));
            // 2. kill -9 the leader; wait until it is gone
            long killed = System.nanoTime();
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            while (alive(pid) && System.nanoTime() - killed < 5_000_000_000L) {
                Thread.sleep(0, 200_000);
            }
            long gone = System.nanoTime();
            // 3. an acquire every every_ms through each surviving node until one is granted
            AtomicLong firstGrant = new AtomicLong(Long.MAX_VALUE);
            CountDownLatch granted = new CountDownLatch(1);
            AtomicInteger[] flying = new AtomicInteger[n];
            for (int i = 0; i < n; i++) {
                flying[i] = new AtomicInteger();
            }
            List<Thread> probes = new ArrayList<>();
            long next = gone;
            long giveUp = Math.min(deadline, gone + 30_000_000_000L);
            while (granted.getCount() > 0 && System.nanoTime() - giveUp < 0) {
                for (int i = 0; i < n; i++) {
                    if (i == victim || flying[i].get() >= inFlight) {
                        continue;
                    }
                    LockClient c = clients[i];
                    AtomicInteger mine = flying[i];
                    mine.incrementAndGet();
                    Thread t = new Thread(() -> {
                        String name = "k" + ThreadLocalRandom.current().nextInt(names);
                        try {
                            LockClient.Acquired got = c.acquire(name, "bench failover", Duration.ofSeconds(5));
                            long at = System.nanoTime();
                            if (got.granted()) {
                                firstGrant.accumulateAndGet(at, Math::min);
                                granted.countDown();
                                exclusion.granted(name, got.token());
                                exclusion.releasing(name);
                            }
                            c.release(got.ticket());
                        } catch (LockServerException e) {
                            // no leader yet (fault 11), or the call was cut: the next probe tries again
                        } finally {
                            mine.decrementAndGet();
                        }
                    }, "probe");
                    t.setDaemon(true);
                    t.start();
                    probes.add(t);
                    attempts++;
                }
                next += everyNanos;
                granted.await(Math.max(0, next - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            for (Thread t : probes) {
                t.join(Math.max(1, Math.min(10_000, (deadline - System.nanoTime()) / 1_000_000)));
            }
            if (firstGrant.get() != Long.MAX_VALUE) {
                failoverNanos[measured++] = firstGrant.get() - killed;
                System.out.printf(Locale.ROOT, "# kill %d: leader %s (pid %d, term %d) gone after %.1f ms, first grant after %.1f ms%n",
                        k + 1, leader.leader(), pid, leader.term(), (gone - killed) / 1e6, (firstGrant.get() - killed) / 1e6);
            } else {
                notes = "round " + (k + 1) + ": no grant within 30 s of the kill";
            }
            // 4. a new leader in a later term, seen by the survivors; then run.sh restarts the node
            long until = Math.min(deadline, System.nanoTime() + 10_000_000_000L);
            while (System.nanoTime() - until < 0) {
                View now = view(admin[(victim + 1) % n]);
                if (now != null && !now.leader().isEmpty() && !now.leader().equals(leader.leader())
                        && now.term() > leader.term()) {
                    newLeaders++;
                    break;
                }
                Thread.sleep(20);
            }
            System.out.println("RESTART " + (victim + 1));
            System.out.flush();
            restartedAt = System.nanoTime();
            if (!notes.isEmpty()) {
                break;
            }
        }
        done.set(1);
        for (Thread t : loops) {
            t.join(Math.max(1, Math.min(10_000, (deadline - System.nanoTime()) / 1_000_000 + 5_000)));
        }
        peakKb = Math.max(peakKb, peakRssOfNodes(pidFiles));
        long[] all = Arrays.copyOf(failoverNanos, measured);
        Arrays.sort(all);
        StringBuilder row = new StringBuilder("ROW scenario=failover");
        kv(row, "nodes", n);
        kv(row, "kills", measured);
        kv(row, "new_leaders", newLeaders);
        kv(row, "failover_p50_ms", pct(all, 0.50) / 1e6);
        kv(row, "failover_p99_ms", pct(all, 0.99) / 1e6);
        kv(row, "failover_min_ms", all.length == 0 ? Double.NaN : all[0] / 1e6);
        kv(row, "failover_max_ms", all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6);
        StringBuilder each = new StringBuilder();
        for (long f : failoverNanos) {
            if (f > 0) {
                each.append(each.length() == 0 ? "" : "/").append(Math.round(f / 1e6));
            }
        }
        kv(row, "failover_each_ms", each.length() == 0 ? "-" : each);
        long[] back = Arrays.copyOf(recoverNanos, recovered);
        Arrays.sort(back);
        kv(row, "rejoin_p50_s", pct(back, 0.5) / 1e9);
        kv(row, "rejoin_max_s", back.length == 0 ? Double.NaN : back[back.length - 1] / 1e9);
        kv(row, "probes", attempts);
        kv(row, "background_cycles", cycles.sum());
        kv(row, "background_errors", errors.sum());
        kv(row, "violations", exclusion.violations());
        kv(row, "server_peak_rss_mb", peakKb / 1024);
        System.out.println(row);
        if (!notes.isEmpty()) {
            System.out.println("# " + notes);
        }
        errorSamples.forEach(e -> System.out.println("# background error: " + e));
        return measured == kills ? 0 : 1;
    }

    /** acquire+release through client; false on timeout or a fault (the first few faults are kept). */
    static boolean cycle(LockClient client, String name, Duration timeout, Exclusion exclusion,
                         ConcurrentLinkedQueue<String> errorSamples) {
        try {
            LockClient.Acquired got = client.acquire(name, "bench", timeout);
            if (got.granted()) {
                exclusion.granted(name, got.token());
                exclusion.releasing(name);
            }
            client.release(got.ticket());
            return got.granted();
        } catch (LockServerException e) {
            if (errorSamples.size() < 5) {
                errorSamples.add(e.getMessage());
            }
            return false;
        }
    }

    /** What admin.cluster tells of one node. */
    record View(String role, String leader, long term, long applied) {
    }

    /** The leader every node names, in one term, if all answer and agree; else null. */
    static View agreedLeader(String[] admin, String[] ids) {
        View first = null;
        for (String url : admin) {
            View v = view(url);
            if (v == null || v.leader().isEmpty() || (first != null
                    && (!first.leader().equals(v.leader()) || first.term() != v.term()))) {
                return null;
            }
            first = first == null ? v : first;
        }
        return first != null && Arrays.asList(ids).contains(first.leader()) ? first : null;
    }

    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1)).build();

    /** admin.cluster of the node at url (http://admin:password@host:port/RPC2), or null. */
    static View view(String url) {
        try {
            java.net.URI uri = java.net.URI.create(url);
            String body = "<?xml version=\"1.0\"?><methodCall><methodName>admin.cluster</methodName><params/></methodCall>";
            java.net.http.HttpRequest.Builder req = java.net.http.HttpRequest.newBuilder(new java.net.URI(
                            uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null))
                    .timeout(Duration.ofSeconds(2)).header("Content-Type", "text/xml")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
            if (uri.getRawUserInfo() != null) {
                req.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                        java.net.URLDecoder.decode(uri.getRawUserInfo(), java.nio.charset.StandardCharsets.UTF_8)
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            String xml = HTTP.send(req.build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            if (xml.contains("<fault>")) {
                return null;
            }
            return new View(member(xml, "role"), member(xml, "leader"), Long.parseLong(member(xml, "term")),
                    Long.parseLong(member(xml, "applied")));
        } catch (IOException | RuntimeException | java.net.URISyntaxException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The text of a struct member's value (the first of that name), its type tag stripped. */
    static String member(String xml, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<name>" + name
                + "</name><value>(?:<[a-z0-9]+>)?([^<]*)").matcher(xml);
        return m.find() ? m.group(1) : "";
    }

    /** Largest VmHWM among the nodes whose pid files name a live process, in kB. */
    static long peakRssOfNodes(String[] pidFiles) {
        long peak = 0;
        for (String f : pidFiles) {
            try {
                peak = Math.max(peak, procLong(Integer.parseInt(Files.readString(Path.of(f)).trim()), "VmHWM:"));
            } catch (IOException | RuntimeException e) {
                // being restarted
            }
        }
        return peak;
    }

    /** Alive: /proc/PID exists and is no zombie (a killed node may wait a moment for run.sh to reap it). */
    static boolean alive(int pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = s.charAt(s.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What a lock of size 1 promises, checked from the holders' side: at most one holder at a
     * time, and each grant's fencing token above the one before. A thread calls
     * {@link #granted} when its acquire returned granted and {@link #releasing} before it sends
     * the release, so a grant that overlaps another holder's is the server's, never a race of
     * this check. A grant whose answer was lost (a fault) is not seen here: it can only keep a
     * lock closed, never open it twice. Thread-safe.
     */
    static final class Exclusion {
        private final java.util.concurrent.ConcurrentHashMap<String, Thread> holders = new java.util.concurrent.ConcurrentHashMap<>();
        /** Written only by the lock's holder, so in the order of the grants. */
        private final java.util.concurrent.ConcurrentHashMap<String, Long> lastToken = new java.util.concurrent.ConcurrentHashMap<>();
        private final LongAdder doubleGrants = new LongAdder(), tokenRegressions = new LongAdder();

        /** token 0: not known (a grant after a blocked wait carries none), not checked. */
        void granted(String lock, long token) {
            if (holders.putIfAbsent(lock, Thread.currentThread()) != null) {
                doubleGrants.increment();
            }
            if (token != 0) {
                Long before = lastToken.put(lock, token);
                if (before != null && before >= token) {
                    tokenRegressions.increment();
                }
            }
        }

        void releasing(String lock) {
            holders.remove(lock, Thread.currentThread());
        }

        long violations() {
            return doubleGrants.sum() + tokenRegressions.sum();
        }
    }

    // ---------------------------------------------------------------- helpers

    static final class Window {
        volatile boolean measuring;
        volatile long since;
    }

    /** The servers' CPU (summed) and RSS (per server) with the driver's counters at one instant. */
    record Snapshot(long nanos, long cycles, long failed, long errors, long serverTicks, long clientCpuNanos,
                    long requests, long machineTicks, long[] rssKb, long[] peakRssKb) {
        static Snapshot take(int[] pids, LongAdder cycles, LongAdder failed, LongAdder errors, LongAdder requests) {
            long ticks = 0;
            for (int pid : pids) {
                ticks += cpuTicks(pid);
            }
            return new Snapshot(System.nanoTime(), cycles.sum(), failed.sum(), errors.sum(), ticks,
                    ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                            .getProcessCpuTime(), requests.sum(), machineBusyTicks(), procLongs(pids, "VmRSS:"),
                    procLongs(pids, "VmHWM:"));
        }
    }

    static void serverFields(StringBuilder row, int[] pids, Snapshot s0, Snapshot s1, double secs) {
        kv(row, "server_cpu_pct", Math.round(100.0 * (s1.serverTicks - s0.serverTicks) / CLK_TCK / secs));
        double client = 100.0 * (s1.clientCpuNanos - s0.clientCpuNanos) / 1e9 / secs;
        double server = 100.0 * (s1.serverTicks - s0.serverTicks) / CLK_TCK / secs;
        double machine = 100.0 * (s1.machineTicks - s0.machineTicks) / CLK_TCK / secs;
        kv(row, "client_cpu_pct", Math.round(client));
        // CPU used by everything else on the machine in the window (other users' builds...): should be ~0
        kv(row, "other_cpu_pct", Math.max(0, Math.round(machine - server - client)));
        // RSS at the end of the window, still under load, and the peak until then; then the peak
        // after the one /metrics scrape that follows the run (10,000 locks make a large page);
        // a cluster's figures are its largest node's (each node's peak: node_peak_rss_mb)
        kv(row, "server_rss_mb", max(s1.rssKb) / 1024);
        kv(row, "server_peak_rss_mb", max(s1.peakRssKb) / 1024);
        long[] after = procLongs(pids, "VmHWM:");
        for (int i = 0; i < after.length; i++) {
            after[i] = Math.max(after[i], s1.peakRssKb[i]);
        }
        kv(row, "server_peak_rss_after_scrape_mb", max(after) / 1024);
        if (pids.length > 1) {
            kv(row, "node_peak_rss_mb", joinMb(after));
        }
        long threads = 0;
        for (long t : procLongs(pids, "Threads:")) {
            threads += t;
        }
        kv(row, "server_threads", threads);
    }

    static String joinMb(long[] kb) {
        StringBuilder b = new StringBuilder();
        for (long k : kb) {
            b.append(b.length() == 0 ? "" : "/").append(k / 1024);
        }
        return b.toString();
    }

    static long max(long[] values) {
        long m = -1;
        for (long v : values) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** pid=1234 or pid=1234,1235,1236 (a cluster's nodes). */
    static int[] pids(String list) {
        return Arrays.stream(list.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    static long[] procLongs(int[] pids, String key) {
        long[] out = new long[pids.length];
        for (int i = 0; i < pids.length; i++) {
            out[i] = procLong(pids[i], key);
        }
        return out;
    }

    /** Busy CPU time of the whole machine (all cores) from /proc/stat, in clock ticks. */
    static long machineBusyTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
                busy += Long.parseLong(f[i]);
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * XML-RPC calls per acquire+release attempt: the growth of the servers' lockserver_requests_total
     * (from /metrics, read before the run and once after it, so that the scrape costs nothing in
     * the window) over the attempts of the whole run. The Java client's calls per cycle change as it evolves
     * (lock.query + lock.wait, or one lock.acquire), so they are counted, not assumed.
     */
    static double callsPerAttempt(String[] urls, long attempts, long before) {
        long calls = serverRequests(urls);
        return calls <= 0 || before < 0 || attempts == 0 ? Double.NaN : (double) (calls - before) / attempts;
    }

    /** The calls all servers counted so far (an earlier, unmeasured run on the cluster included), or -1. */
    static long serverRequests(String[] urls) {
        long calls = 0;
        for (String url : urls) {
            long n = serverRequests(url);
            if (n < 0) {
                return -1;
            }
            calls += n;
        }
        return calls;
    }

    /** Sum of lockserver_requests_total over the XML-RPC methods from /metrics, or -1. */
    static long serverRequests(String url) {
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(url).resolve("/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            double sum = 0;
            for (String line : r.body().split("\n")) {
                if (line.startsWith("lockserver_requests_total{")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return Math.round(sum);
        } catch (IOException | RuntimeException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static long cpuTicks(int pid) {
        if (pid <= 0) {
            return 0;
        }
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** A number from /proc/PID/status (kB for memory lines), or -1. */
    static long procLong(int pid, String key) {
        if (pid <= 0) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, 100_000_000L));
        }
    }

    static long[] merge(long[][] parts, int[] counts) {
        int total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, all, at, counts[i]);
            at += counts[i];
        }
        Arrays.sort(all);
        return all;
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
    }

    static void kv(StringBuilder row, String k, Object v) {
        row.append(' ').append(k).append('=');
        if (v instanceof Double d) {
            row.append(Double.isNaN(d) ? "nan" : String.format(Locale.ROOT, d < 10 ? "%.3f" : "%.1f", d));
        } else {
            row.append(v);
        }
    }
}
