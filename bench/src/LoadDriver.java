import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
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
 * </pre>
 * Each mode prints one line "ROW key=value ..." (and a few "# ..." notes) and exits on its
 * own; every loop is bounded in time.
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
        String url = a.get("url");
        int pid = Integer.parseInt(a.getOrDefault("pid", "0"));
        int clients = Integer.parseInt(a.getOrDefault("clients", "5"));
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
        double warmup = Double.parseDouble(a.getOrDefault("warmup", "2"));
        int names = Integer.parseInt(a.getOrDefault("names", "10000"));
        String prefix = a.getOrDefault("prefix", "k");
        boolean shared = !a.getOrDefault("client", "shared").equals("per-thread");

        LockClient sharedClient = shared ? new LockClient(url) : null;
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
                LockClient client = shared ? sharedClient : new LockClient(url);
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                try {
                    while (System.nanoTime() - stop < 0) {
                        Lock lock = client.lock(prefix + rnd.nextInt(names));
                        long t0 = System.nanoTime();
                        try {
                            boolean ok = lock.acquire("bench", Duration.ofSeconds(10));
                            requests.increment();
                            if (ok) {
                                long t1 = System.nanoTime();
                                lock.release();
                                cycles.increment();
                                if (w.measuring) {
                                    if (nlat[me] == lat[me].length) {
                                        lat[me] = Arrays.copyOf(lat[me], lat[me].length * 2);
                                    }
                                    lat[me][nlat[me]++] = t1 - t0;
                                }
                            } else {
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
        long peakBeforeKb = procLong(pid, "VmHWM:");
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
        double perCycle = callsPerAttempt(url, requests.sum());
        kv(row, "req_s", Double.isNaN(perCycle) ? "nan" : Math.round(perCycle * (s1.requests - s0.requests) / secs));
        kv(row, "calls_per_cycle", perCycle);
        kv(row, "failed", s1.failed - s0.failed);
        kv(row, "errors", s1.errors - s0.errors);
        kv(row, "acq_p50_ms", pct(all, 0.50) / 1e6);
        kv(row, "acq_p99_ms", pct(all, 0.99) / 1e6);
        // server_peak_rss_mb stays the peak since the server started; the window's own peak
        // (after the warm-up and most of its JIT compiling) is reported beside it
        Snapshot s1SinceStart = new Snapshot(s1.nanos, s1.cycles, s1.failed, s1.errors, s1.serverTicks,
                s1.clientCpuNanos, s1.requests, s1.machineTicks, s1.rssKb, Math.max(peakBeforeKb, s1.peakRssKb));
        serverFields(row, pid, s0, s1SinceStart, secs);
        kv(row, "server_window_peak_rss_mb", windowPeak ? s1.peakRssKb / 1024 : -1);
        System.out.println(row);
        errorSamples.forEach(e -> System.out.println("# error: " + e));
        return 0;
    }

    /**
     * Resets the server's peak RSS (VmHWM) to its current RSS (proc(5), clear_refs "5"), so
     * that VmHWM read later is the peak since now; false if not allowed.
     */
    static boolean resetPeakRss(int pid) {
        try {
            Files.writeString(Path.of("/proc/" + pid + "/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- handoff

    static int handoff(Map<String, String> a) throws Exception {
        String url = a.get("url");
        int pid = Integer.parseInt(a.getOrDefault("pid", "0"));
        int clients = Integer.parseInt(a.getOrDefault("clients", "50"));
        String name = a.getOrDefault("lock", "one");
        double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
        double warmup = Double.parseDouble(a.getOrDefault("warmup", "2"));
        LockClient client = new LockClient(url);
        int size = client.status(name).size();

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
                            Long released = releases.poll();
                            if (released != null && w.measuring && released - w.since >= 0) {
                                if (ns[me] == samples[me].length) {
                                    samples[me] = Arrays.copyOf(samples[me], samples[me].length * 2);
                                }
                                samples[me][ns[me]++] = granted - released;
                            }
                            cycles.increment();
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
        double perCycle = callsPerAttempt(url, requests.sum());
        kv(row, "req_s", Double.isNaN(perCycle) ? "nan" : Math.round(perCycle * (s1.requests - s0.requests) / secs));
        kv(row, "calls_per_cycle", perCycle);
        kv(row, "samples", all.length);
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

    // ---------------------------------------------------------------- helpers

    static final class Window {
        volatile boolean measuring;
        volatile long since;
    }

    record Snapshot(long nanos, long cycles, long failed, long errors, long serverTicks, long clientCpuNanos,
                    long requests, long machineTicks, long rssKb, long peakRssKb) {
        static Snapshot take(int pid, LongAdder cycles, LongAdder failed, LongAdder errors, LongAdder requests) {
            return new Snapshot(System.nanoTime(), cycles.sum(), failed.sum(), errors.sum(), cpuTicks(pid),
                    ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                            .getProcessCpuTime(), requests.sum(), machineBusyTicks(), procLong(pid, "VmRSS:"),
                    procLong(pid, "VmHWM:"));
        }
    }

    static void serverFields(StringBuilder row, int pid, Snapshot s0, Snapshot s1, double secs) {
        kv(row, "server_cpu_pct", Math.round(100.0 * (s1.serverTicks - s0.serverTicks) / CLK_TCK / secs));
        double client = 100.0 * (s1.clientCpuNanos - s0.clientCpuNanos) / 1e9 / secs;
        double server = 100.0 * (s1.serverTicks - s0.serverTicks) / CLK_TCK / secs;
        double machine = 100.0 * (s1.machineTicks - s0.machineTicks) / CLK_TCK / secs;
        kv(row, "client_cpu_pct", Math.round(client));
        // CPU used by everything else on the machine in the window (other users' builds...): should be ~0
        kv(row, "other_cpu_pct", Math.max(0, Math.round(machine - server - client)));
        // RSS at the end of the window, still under load, and the peak until then; then the peak
        // after the one /metrics scrape that follows the run (10,000 locks make a large page)
        kv(row, "server_rss_mb", s1.rssKb / 1024);
        kv(row, "server_peak_rss_mb", s1.peakRssKb / 1024);
        kv(row, "server_peak_rss_after_scrape_mb", Math.max(s1.peakRssKb, procLong(pid, "VmHWM:")) / 1024);
        kv(row, "server_threads", procLong(pid, "Threads:"));
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
     * XML-RPC calls per acquire+release attempt: the server's lockserver_requests_total (from
     * /metrics, read once after the run so that the scrape costs nothing in the window) over the
     * attempts of the whole run. The Java client's calls per cycle change as it evolves
     * (lock.query + lock.wait, or one lock.acquire), so they are counted, not assumed.
     */
    static double callsPerAttempt(String url, long attempts) {
        long calls = serverRequests(url);
        return calls <= 0 || attempts == 0 ? Double.NaN : (double) calls / attempts;
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
