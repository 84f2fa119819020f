package lockserver.server.web;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import lockserver.core.Clock;
import lockserver.core.LockRegistry;
import lockserver.core.LockStatus;
import lockserver.core.LongRing;

/**
 * Each lock's last hour of slots used and queue length, for the status page: a sample every
 * {@link #PERIOD_NANOS} on the injected clock, read from the registry's status snapshots, in
 * a ring of {@link #SAMPLES} per lock (both numbers of a sample packed in one long, so they
 * are read together). A lock gone from the registry loses its ring at the next sample, and a
 * new one starts empty. {@link #sample} is called by one thread; any thread may read.
 */
public final class History {
    public static final long PERIOD_NANOS = TimeUnit.SECONDS.toNanos(10);
    public static final int SAMPLES = 360;

    private final Clock clock;
    private final Supplier<LockRegistry> registry;
    private final ConcurrentHashMap<String, LongRing> rings = new ConcurrentHashMap<>();
    private boolean started; // confined to the sampling thread, as is next
    private long next;

    public History(Clock clock, Supplier<LockRegistry> registry) {
        this.clock = clock;
        this.registry = registry;
    }

    /**
     * Takes a sample of every lock if one is due: the first call samples, later ones once
     * a period has passed since the last due time (after a longer gap the schedule starts
     * again, with no burst of samples). Cheap when none is due; call it often.
     */
    public void sample() {
        long now = clock.nanoTime();
        if (started && now - next < 0) {
            return;
        }
        next = started && now - next < PERIOD_NANOS ? next + PERIOD_NANOS : now + PERIOD_NANOS;
        started = true;
        List<LockStatus> locks = registry.get().list();
        Set<String> names = new HashSet<>(locks.size() * 2);
        for (LockStatus s : locks) {
            names.add(s.name());
            rings.computeIfAbsent(s.name(), n -> new LongRing(SAMPLES))
                    .add((long) s.used() << 32 | (s.queued() & 0xffff_ffffL));
        }
        rings.keySet().retainAll(names);
    }

    /** The samples of {@code lock}, oldest first; none for a lock not sampled yet. */
    public Series of(String lock) {
        LongRing ring = rings.get(lock);
        long[] packed = ring == null ? new long[0] : ring.copy();
        int[] used = new int[packed.length];
        int[] queued = new int[packed.length];
        for (int i = 0; i < packed.length; i++) {
            used[i] = (int) (packed[i] >>> 32);
            queued[i] = (int) packed[i];
        }
        return new Series(used, queued);
    }

    /** Slots used and queue lengths, sample by sample, oldest first (arrays of equal length). */
    public record Series(int[] used, int[] queued) {
    }
}
