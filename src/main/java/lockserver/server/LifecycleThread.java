package lockserver.server;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import lockserver.core.Expiry;
import lockserver.core.ExpiryLog;
import lockserver.server.config.Logging;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs the lifecycle tick every period until {@link #shutdown()}, logging what expired, and
 * the sampler after each tick and at least once a second between ticks (it decides on its
 * own clock whether a sample is due). A tick or sample that throws is logged and the next
 * one runs on time: the thread only ends when told to.
 */
final class LifecycleThread extends Thread {
    private static final Logger log = LogManager.getLogger(LifecycleThread.class);

    private final Consumer<ExpiryLog> tick; // appends what it ended
    private static final long SAMPLER_NANOS = 1_000_000_000L;
    private final Runnable sampler;
    private final ExpiryLog expired = new ExpiryLog(); // reused: a tick allocates nothing
    private volatile long periodNanos;
    private volatile boolean stopping;

    LifecycleThread(Consumer<ExpiryLog> tick, Runnable sampler, long periodNanos) {
        super("lifecycle");
        setDaemon(true);
        this.tick = tick;
        this.sampler = sampler;
        this.periodNanos = periodNanos;
    }

    @Override
    public void run() {
        long next = System.nanoTime();
        while (!stopping) {
            try {
                try {
                    tick.accept(expired);
                } finally {
                    logExpiries(expired); // also what a failed tick ended before it failed
                    expired.clear();
                }
            } catch (Throwable t) {
                log.error("lifecycle tick failed; the next tick runs as usual", t);
            }
            sample();
            long now = System.nanoTime();
            next = Math.max(next + periodNanos, now); // an overrun does not cause a burst of ticks
            while (!stopping && next - now > 0) {
                LockSupport.parkNanos(this, Math.min(next - now, SAMPLER_NANOS));
                now = System.nanoTime();
                if (!stopping && next - now > 0) {
                    sample();
                }
            }
        }
    }

    private void sample() {
        try {
            sampler.run();
        } catch (Throwable t) {
            log.error("lifecycle sampler failed; the next sample runs as usual", t);
        }
    }

    /** Logs what the tick ended, outside any lock. */
    private static void logExpiries(ExpiryLog expired) {
        for (int i = 0; i < expired.size(); i++) {
            log.info("expired ticket {} of lock {} ({}): {}", expired.ticket(i), expired.lock(i),
                    Logging.loggable(expired.info(i)), describe(expired.cause(i)));
        }
    }

    private static String describe(Expiry.Cause cause) {
        return switch (cause) {
            case GRACE -> "grant not claimed within the grace time";
            case IDLE -> "no sign of life within the expiration time";
            case MAX_LOCK_TIME -> "held for the maximum lock time";
            case REVOKED -> "revoked by an admin, and not released in the time given";
            case RESIZED -> "asked for more slots than the lock has since a reload made it smaller";
        };
    }

    /** Takes effect after the current wait. */
    void setPeriod(long nanos) {
        periodNanos = nanos;
    }

    void shutdown() throws InterruptedException {
        stopping = true;
        LockSupport.unpark(this);
        join();
    }
}
