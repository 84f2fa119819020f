package lockserver.server.web;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import lockserver.core.Expiry;
import lockserver.core.FakeClock;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import org.junit.Test;

public class MetricsTest {
    private static final String ODD = "San-02.x:y_z";

    /**
     * The hand-written per-lock page says what the client library would say for the same
     * events, made by real grants, releases, cancels and an expiry (a fake clock sets the
     * waits).
     */
    @Test
    public void perLockPageMatchesTheClientLibrarysPage() throws IOException {
        FakeClock clock = new FakeClock();
        LockRegistry locks = new LockRegistry(clock);
        long hours = TimeUnit.HOURS.toNanos(10);
        locks.create("a", new LockSettings(1, hours, hours, hours, 10));
        locks.create(ODD, new LockSettings(1, hours, TimeUnit.SECONDS.toNanos(1), hours, 10));
        locks.create("never-used", new LockSettings(2, hours, hours, hours, 10));
        Metrics ours = new Metrics(() -> locks);
        Reference ref = new Reference(locks);

        String holder = locks.query("a", "first");   // granted at once: a wait of 0
        ref.granted("a", 0);
        long[] waits = {500_000, 1_000_000, 1_000_001, TimeUnit.SECONDS.toNanos(90), TimeUnit.HOURS.toNanos(3)};
        for (long w : waits) {
            String next = locks.query("a", "next");
            clock.advanceNanos(w);
            assertTrue(locks.release(holder));      // a release that hands the slot to next after w
            ref.releases.labelValues("a").inc();
            ref.granted("a", w);
            holder = next;
        }
        String first = locks.query(ODD, "first");
        ref.granted(ODD, 0);
        String second = locks.query(ODD, "second");
        clock.advanceNanos(42);
        assertTrue(locks.release(first));
        ref.releases.labelValues(ODD).inc();
        ref.granted(ODD, 42);
        assertTrue(locks.release(locks.query(ODD, "cancelled")));
        ref.cancels.labelValues(ODD).inc();
        clock.advanceSeconds(2);
        assertEquals(List.of(new Expiry(ODD, second, "second", Expiry.Cause.IDLE)), locks.tick());
        ref.expiries.labelValues(ODD, "idle").inc();

        StringWriter page = new StringWriter();
        ours.writePerLock(page);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(expected, ref.registry.scrape());

        Map<String, Double> got = samples(page.toString());
        Map<String, Double> want = samples(expected.toString(StandardCharsets.UTF_8));
        assertEquals(want.keySet(), got.keySet());
        for (Map.Entry<String, Double> e : want.entrySet()) {
            assertEquals(e.getKey(), e.getValue(), got.get(e.getKey()), 1e-5); // sums: whole microseconds
        }
        assertTrue(page.toString(), page.toString().contains("lockserver_lock_size{lock=\"never-used\"} 2\n"));
    }

    /** Lock names cannot hold these today (the registry refuses them); the page would still parse. */
    @Test
    public void labelValuesEscapeBackslashQuoteAndNewline() throws IOException {
        StringWriter w = new StringWriter();
        Metrics.writeEscaped(w, "a\\b\"c\nd");
        assertEquals("a\\\\b\\\"c\\nd", w.toString());
        StringWriter plain = new StringWriter();
        Metrics.writeEscaped(plain, "san02");
        assertEquals("san02", plain.toString());
    }

    /** Sample lines by series (name and labels) with their values, plus the HELP and TYPE lines. */
    private static Map<String, Double> samples(String page) {
        Map<String, Double> m = new TreeMap<>();
        for (String line : page.split("\n")) {
            if (line.startsWith("#")) {
                m.put(line, 0.0);
            } else if (!line.isEmpty()) {
                int sp = line.lastIndexOf(' ');
                m.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
            }
        }
        return m;
    }

    /** The same families built with the client library, as the server once did. */
    private static final class Reference {
        final PrometheusRegistry registry = new PrometheusRegistry();
        final Counter grants = counter("lockserver_grants_total", "Tickets granted a slot", "lock");
        final Counter releases = counter("lockserver_releases_total", "Slots released by their holders", "lock");
        final Counter cancels = counter("lockserver_cancels_total", "Queued tickets released before their grant",
                "lock");
        final Counter expiries = counter("lockserver_expiries_total",
                "Tickets ended by the lifecycle, by cause (grace, idle, max_lock_time, revoked, resized)", "lock", "cause");
        final Histogram waits = Histogram.builder().name("lockserver_wait_seconds").withoutExemplars()
                .help("Time from query to grant").labelNames("lock").classicOnly()
                .classicUpperBounds(0.001, 0.01, 0.1, 1, 10, 60, 300, 1800, 7200).register(registry);

        Reference(LockRegistry locks) {
            GaugeWithCallback.builder().name("lockserver_holders").help("Tickets holding a slot").labelNames("lock")
                    .callback(cb -> locks.list().forEach(s -> cb.call(s.granted(), s.name()))).register(registry);
            GaugeWithCallback.builder().name("lockserver_queue_length").help("Tickets waiting in the queue")
                    .labelNames("lock")
                    .callback(cb -> locks.list().forEach(s -> cb.call(s.queued(), s.name()))).register(registry);
            GaugeWithCallback.builder().name("lockserver_slots_used")
                    .help("Slots taken by holders (a holder may take several)").labelNames("lock")
                    .callback(cb -> locks.list().forEach(s -> cb.call(s.used(), s.name()))).register(registry);
            GaugeWithCallback.builder().name("lockserver_slots_delayed")
                    .help("Slots kept closed by LOCK_DELAY after their holder was ended").labelNames("lock")
                    .callback(cb -> locks.list().forEach(s -> cb.call(s.delayed(), s.name()))).register(registry);
            GaugeWithCallback.builder().name("lockserver_lock_size").help("Slots of the lock").labelNames("lock")
                    .callback(cb -> locks.list().forEach(s -> cb.call(s.size(), s.name()))).register(registry);
        }

        private Counter counter(String name, String help, String... labels) {
            return Counter.builder().name(name).withoutExemplars().help(help).labelNames(labels).register(registry);
        }

        void granted(String lock, long waitedNanos) {
            grants.labelValues(lock).inc();
            waits.labelValues(lock).observe(waitedNanos / 1e9);
            // the server creates every per-lock series of a lock on its first event
            releases.labelValues(lock);
            cancels.labelValues(lock);
            for (Expiry.Cause c : Expiry.Cause.values()) {
                expiries.labelValues(lock, c.name().toLowerCase(Locale.ROOT));
            }
        }
    }
}
