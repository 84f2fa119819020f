package lockserver.server;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import lockserver.core.Expiry;
import lockserver.core.Fault;
import lockserver.core.LockListener;
import lockserver.core.LockRegistry;
import lockserver.core.LockStatus;

/**
 * The server's Prometheus metrics: grants, releases and expiries by cause, wait times,
 * requests and faults as they happen; holders, queue lengths and sizes read from the
 * registry at scrape time. Thread-safe; the listener methods only bump counters.
 * Per-lock counts are a few atomic longs per lock rather than the client library's metric
 * children: with 10,000 locks those took some 30 MB of heap (about 3 KB a lock).
 * Exemplars are off: we have no traces to link, and their sampler woke a scheduler
 * thread on nearly every call (about a tenth of the server's CPU under load).
 */
final class Metrics implements LockListener {
    private static final Expiry.Cause[] CAUSES = Expiry.Cause.values();

    final PrometheusRegistry prometheus = new PrometheusRegistry();

    private final Counter requests = Counter.builder().name("lockserver_requests_total").withoutExemplars()
            .help("XML-RPC calls by method").labelNames("method").register(prometheus);
    private final Counter faults = Counter.builder().name("lockserver_faults_total").withoutExemplars()
            .help("XML-RPC faults answered, by fault").labelNames("fault").register(prometheus);

    /** Per-lock counts by name, created on a lock's first event; never removed (series must not reset). */
    private final ConcurrentHashMap<String, LockCounts> perLock = new ConcurrentHashMap<>();

    Metrics(Supplier<LockRegistry> registry) {
        prometheus.register((MultiCollector) this::collectPerLock);
        GaugeWithCallback.builder().name("lockserver_holders").help("Tickets holding a slot").labelNames("lock")
                .callback(cb -> registry.get().list().forEach(s -> cb.call(s.granted(), s.name())))
                .register(prometheus);
        GaugeWithCallback.builder().name("lockserver_queue_length").help("Tickets waiting in the queue")
                .labelNames("lock")
                .callback(cb -> registry.get().list().forEach(s -> cb.call(s.queued(), s.name())))
                .register(prometheus);
        GaugeWithCallback.builder().name("lockserver_lock_size").help("Slots of the lock").labelNames("lock")
                .callback(cb -> {
                    for (LockStatus s : registry.get().list()) {
                        cb.call(s.size(), s.name());
                    }
                })
                .register(prometheus);
    }

    private LockCounts of(String lock) {
        LockCounts c = perLock.get(lock);
        return c != null ? c : perLock.computeIfAbsent(lock, name -> new LockCounts());
    }

    @Override
    public void granted(String lock, String ticket, long token, long waitedNanos) {
        of(lock).granted(waitedNanos);
    }

    @Override
    public void released(String lock, String ticket, boolean wasGranted) {
        of(lock).add(wasGranted ? LockCounts.RELEASES : LockCounts.CANCELS);
    }

    @Override
    public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
        of(lock).add(LockCounts.EXPIRIES + cause.ordinal());
    }

    /** The per-lock series, built from the counts at scrape time. */
    private MetricSnapshots collectPerLock() {
        List<CounterDataPointSnapshot> grants = new ArrayList<>(perLock.size());
        List<CounterDataPointSnapshot> releases = new ArrayList<>(perLock.size());
        List<CounterDataPointSnapshot> cancels = new ArrayList<>(perLock.size());
        List<CounterDataPointSnapshot> expiries = new ArrayList<>(perLock.size() * CAUSES.length);
        List<HistogramDataPointSnapshot> waits = new ArrayList<>(perLock.size());
        perLock.forEach((lock, c) -> {
            Labels labels = Labels.of("lock", lock);
            grants.add(counter(c.get(LockCounts.GRANTS), labels));
            releases.add(counter(c.get(LockCounts.RELEASES), labels));
            cancels.add(counter(c.get(LockCounts.CANCELS), labels));
            for (Expiry.Cause cause : CAUSES) {
                expiries.add(counter(c.get(LockCounts.EXPIRIES + cause.ordinal()),
                        Labels.of("cause", cause.name().toLowerCase(Locale.ROOT), "lock", lock)));
            }
            waits.add(new HistogramDataPointSnapshot(ClassicHistogramBuckets.of(LockCounts.BOUNDS_SECONDS,
                    c.waitBuckets()), c.get(LockCounts.WAIT_NANOS) / 1e9, labels, Exemplars.EMPTY, 0L));
        });
        return MetricSnapshots.of(
                new CounterSnapshot(new MetricMetadata("lockserver_grants", "Tickets granted a slot"), grants),
                new CounterSnapshot(new MetricMetadata("lockserver_releases", "Slots released by their holders"),
                        releases),
                new CounterSnapshot(new MetricMetadata("lockserver_cancels",
                        "Queued tickets released before their grant"), cancels),
                new CounterSnapshot(new MetricMetadata("lockserver_expiries",
                        "Tickets ended by the lifecycle, by cause (grace, idle, max_lock_time)"), expiries),
                new HistogramSnapshot(new MetricMetadata("lockserver_wait_seconds", "Time from query to grant"),
                        waits));
    }

    private static CounterDataPointSnapshot counter(long value, Labels labels) {
        return new CounterDataPointSnapshot(value, labels, null, 0L);
    }

    CounterDataPoint requests(String method) {
        return requests.labelValues(method);
    }

    void fault(Fault fault) {
        faults.labelValues(fault.name().toLowerCase(Locale.ROOT)).inc();
    }
}
