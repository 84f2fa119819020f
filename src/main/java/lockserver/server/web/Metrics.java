package lockserver.server.web;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.Supplier;
import lockserver.core.Expiry;
import lockserver.wire.Fault;
import lockserver.core.LockCounts;
import lockserver.core.LockRegistry;
import lockserver.core.LockStatus;

/**
 * The server's Prometheus metrics: requests, faults and lifecycle ticks as they happen;
 * each lock's grants, releases, expiries by cause and wait times, holders, queue lengths
 * and sizes read from the registry at scrape time. Thread-safe.
 *
 * <p>Requests and faults (a few dozen series) live in the client library's registry.
 * The per-lock series (21 lines a lock) are counted by the locks themselves, under their
 * own locks, in one {@link LockCounts} per lock name (a lookup by name and three atomic
 * additions per event were a sixth of a lifecycle tick), and written straight to the page
 * by {@link #writePerLock}: with 10,000 locks the library's labelled children took some
 * 30 MB of heap, and building its snapshots for a scrape another 20 MB that outlived the
 * young generation. Exemplars are off: we have no traces to link, and their sampler woke
 * a scheduler thread on nearly every call.
 */
public final class Metrics {
    private static final Expiry.Cause[] CAUSES = Expiry.Cause.values();
    private static final String[] CAUSE_LABELS = new String[CAUSES.length];
    private static final String[] BUCKET_LABELS = new String[LockCounts.BOUNDS_SECONDS.length];

    static {
        for (Expiry.Cause c : CAUSES) {
            CAUSE_LABELS[c.ordinal()] = c.name().toLowerCase(Locale.ROOT);
        }
        for (int i = 0; i < BUCKET_LABELS.length; i++) {
            double b = LockCounts.BOUNDS_SECONDS[i];
            BUCKET_LABELS[i] = Double.isInfinite(b) ? "+Inf" : Double.toString(b);
        }
    }

    final PrometheusRegistry prometheus = new PrometheusRegistry();

    private final Counter requests = Counter.builder().name("lockserver_requests_total").withoutExemplars()
            .help("XML-RPC calls by method").labelNames("method").register(prometheus);
    private final Counter faults = Counter.builder().name("lockserver_faults_total").withoutExemplars()
            .help("Faults answered (XML-RPC and JSON), by fault").labelNames("fault").register(prometheus);
    private final Histogram ticks = Histogram.builder().name("lockserver_lifecycle_tick_seconds").withoutExemplars()
            .help("Time a lifecycle tick took to end what was due and hand the slots on").classicOnly()
            .classicUpperBounds(0.001, 0.002, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5).register(prometheus);

    private final Supplier<LockRegistry> registry;

    public Metrics(Supplier<LockRegistry> registry) {
        this.registry = registry;
    }

    /** Adds the cluster's series: this node's role, the leader and the term. */
    public void cluster(Supplier<ClusterStatus> status) {
        GaugeWithCallback.builder().name("lockserver_cluster_role").labelNames("node", "role")
                .help("1 for this node's Raft role (leader, follower, candidate)")
                .callback(cb -> {
                    ClusterStatus s = status.get();
                    cb.call(1, s.node(), s.role());
                }).register(prometheus);
        GaugeWithCallback.builder().name("lockserver_cluster_leader").labelNames("leader")
                .help("1 for the node this node knows as leader (\"\" when none)")
                .callback(cb -> cb.call(1, status.get().leader())).register(prometheus);
        GaugeWithCallback.builder().name("lockserver_cluster_term").help("The Raft term this node is in")
                .callback(cb -> cb.call(status.get().term())).register(prometheus);
    }

    public CounterDataPoint requests(String method) {
        return requests.labelValues(method);
    }

    public void tickTook(long nanos) {
        ticks.observe(nanos / 1e9);
    }

    public void fault(Fault fault) {
        faults.labelValues(fault.name().toLowerCase(Locale.ROOT)).inc();
    }

    /**
     * Writes the per-lock families in the Prometheus text format (version 0.0.4), in
     * lock name order, line by line: the page is never held in memory whole.
     */
    void writePerLock(Writer w) throws IOException {
        LockRegistry reg = registry.get();
        List<LockStatus> locks = reg.list(); // sorted by name
        family(w, "lockserver_holders", "gauge", "Tickets holding a slot");
        for (LockStatus s : locks) {
            sample(w, "lockserver_holders", s.name(), s.granted());
        }
        family(w, "lockserver_queue_length", "gauge", "Tickets waiting in the queue");
        for (LockStatus s : locks) {
            sample(w, "lockserver_queue_length", s.name(), s.queued());
        }
        family(w, "lockserver_slots_used", "gauge", "Slots taken by holders (a holder may take several)");
        for (LockStatus s : locks) {
            sample(w, "lockserver_slots_used", s.name(), s.used());
        }
        family(w, "lockserver_slots_delayed", "gauge", "Slots kept closed by LOCK_DELAY after their holder was ended");
        for (LockStatus s : locks) {
            sample(w, "lockserver_slots_delayed", s.name(), s.delayed());
        }
        family(w, "lockserver_lock_size", "gauge", "Slots of the lock");
        for (LockStatus s : locks) {
            sample(w, "lockserver_lock_size", s.name(), s.size());
        }

        // a lock's counts from its first grant, release or expiry on (also after it is gone)
        TreeMap<String, LockCounts> counted = new TreeMap<>();
        reg.counts().forEach((name, c) -> {
            if (c.any()) {
                counted.put(name, c);
            }
        });
        String[] names = counted.keySet().toArray(new String[0]);
        LockCounts[] counts = counted.values().toArray(new LockCounts[0]);
        family(w, "lockserver_grants_total", "counter", "Tickets granted a slot");
        for (int i = 0; i < names.length; i++) {
            sample(w, "lockserver_grants_total", names[i], counts[i].grants());
        }
        counter(w, "lockserver_releases_total", "Slots released by their holders", names, counts,
                LockCounts.RELEASES);
        counter(w, "lockserver_cancels_total", "Queued tickets released before their grant", names, counts,
                LockCounts.CANCELS);
        family(w, "lockserver_expiries_total", "counter",
                "Tickets ended by the lifecycle, by cause (grace, idle, max_lock_time, revoked, resized)");
        for (int i = 0; i < names.length; i++) {
            for (Expiry.Cause c : CAUSES) {
                w.write("lockserver_expiries_total{cause=\"");
                w.write(CAUSE_LABELS[c.ordinal()]);
                w.write("\",lock=\"");
                writeEscaped(w, names[i]);
                w.write("\"} ");
                w.write(Long.toString(counts[i].get(LockCounts.EXPIRIES + c.ordinal())));
                w.write('\n');
            }
        }
        family(w, "lockserver_wait_seconds", "histogram", "Time from query to grant");
        for (int i = 0; i < names.length; i++) {
            long[] buckets = counts[i].waitBuckets();
            long cumulative = 0;
            for (int b = 0; b < buckets.length; b++) {
                cumulative += buckets[b];
                w.write("lockserver_wait_seconds_bucket{lock=\"");
                writeEscaped(w, names[i]);
                w.write("\",le=\"");
                w.write(BUCKET_LABELS[b]);
                w.write("\"} ");
                w.write(Long.toString(cumulative));
                w.write('\n');
            }
            sample(w, "lockserver_wait_seconds_count", names[i], cumulative);
            w.write("lockserver_wait_seconds_sum{lock=\"");
            writeEscaped(w, names[i]);
            w.write("\"} ");
            w.write(Double.toString(counts[i].get(LockCounts.WAIT_MICROS) / 1e6));
            w.write('\n');
        }
    }

    private static void counter(Writer w, String name, String help, String[] names, LockCounts[] counts,
                                int index) throws IOException {
        family(w, name, "counter", help);
        for (int i = 0; i < names.length; i++) {
            sample(w, name, names[i], counts[i].get(index));
        }
    }

    private static void family(Writer w, String name, String type, String help) throws IOException {
        w.write("# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n");
    }

    private static void sample(Writer w, String name, String lock, long value) throws IOException {
        w.write(name);
        w.write("{lock=\"");
        writeEscaped(w, lock);
        w.write("\"} ");
        w.write(Long.toString(value));
        w.write('\n');
    }

    /** A label value as the text format wants it: backslash, double quote and newline escaped. */
    static void writeEscaped(Writer w, String value) throws IOException {
        int from = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == '"' || c == '\n') {
                w.write(value, from, i - from);
                w.write(c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\");
                from = i + 1;
            }
        }
        w.write(value, from, value.length() - from);
    }
}
