package lockserver.server;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
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
 * Exemplars are off: we have no traces to link, and their sampler woke a scheduler
 * thread on nearly every call (about a tenth of the server's CPU under load).
 */
final class Metrics implements LockListener {
    final PrometheusRegistry prometheus = new PrometheusRegistry();

    private final Counter grants = Counter.builder().name("lockserver_grants_total").withoutExemplars()
            .help("Tickets granted a slot").labelNames("lock").register(prometheus);
    private final Counter releases = Counter.builder().name("lockserver_releases_total").withoutExemplars()
            .help("Slots released by their holders").labelNames("lock").register(prometheus);
    private final Counter cancels = Counter.builder().name("lockserver_cancels_total").withoutExemplars()
            .help("Queued tickets released before their grant").labelNames("lock").register(prometheus);
    private final Counter expiries = Counter.builder().name("lockserver_expiries_total").withoutExemplars()
            .help("Tickets ended by the lifecycle, by cause (grace, idle, max_lock_time)")
            .labelNames("lock", "cause").register(prometheus);
    private final Histogram waits = Histogram.builder().name("lockserver_wait_seconds").withoutExemplars()
            .help("Time from query to grant").labelNames("lock").classicOnly()
            .classicUpperBounds(0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 7200).register(prometheus);
    private final Counter requests = Counter.builder().name("lockserver_requests_total").withoutExemplars()
            .help("XML-RPC calls by method").labelNames("method").register(prometheus);
    private final Counter faults = Counter.builder().name("lockserver_faults_total").withoutExemplars()
            .help("XML-RPC faults answered, by fault").labelNames("fault").register(prometheus);

    private record PerLock(CounterDataPoint grants, CounterDataPoint releases, CounterDataPoint cancels,
                           CounterDataPoint[] expiries, DistributionDataPoint waits) {
    }

    private final ConcurrentHashMap<String, PerLock> perLock = new ConcurrentHashMap<>();

    Metrics(Supplier<LockRegistry> registry) {
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

    private PerLock of(String lock) {
        PerLock p = perLock.get(lock);
        if (p != null) {
            return p;
        }
        return perLock.computeIfAbsent(lock, name -> {
            Expiry.Cause[] causes = Expiry.Cause.values();
            CounterDataPoint[] byCause = new CounterDataPoint[causes.length];
            for (Expiry.Cause c : causes) {
                byCause[c.ordinal()] = expiries.labelValues(name, c.name().toLowerCase(Locale.ROOT));
            }
            return new PerLock(grants.labelValues(name), releases.labelValues(name), cancels.labelValues(name),
                    byCause, waits.labelValues(name));
        });
    }

    @Override
    public void granted(String lock, String ticket, long token, long waitedNanos) {
        PerLock p = of(lock);
        p.grants().inc();
        p.waits().observe(waitedNanos / 1e9);
    }

    @Override
    public void released(String lock, String ticket, boolean wasGranted) {
        PerLock p = of(lock);
        (wasGranted ? p.releases() : p.cancels()).inc();
    }

    @Override
    public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
        of(lock).expiries()[cause.ordinal()].inc();
    }

    CounterDataPoint requests(String method) {
        return requests.labelValues(method);
    }

    void fault(Fault fault) {
        faults.labelValues(fault.name().toLowerCase(Locale.ROOT)).inc();
    }
}
