package lockserver.server;

import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import lockserver.core.Expiry;
import lockserver.core.ExpiryLog;
import lockserver.server.config.Logging;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Runs the lifecycle tick every period until {@link #shutdown()}, logging what expired.
 * A tick that throws is logged and the next one runs on time: the thread only ends when
 * told to.
 */
final class LifecycleThread extends Thread {
    private static final Logger log = LogManager.getLogger(LifecycleThread.class);

    private final Consumer<ExpiryLog> tick; // appends what it ended
    private final ExpiryLog expired = new ExpiryLog(); // reused: a tick allocates nothing
    private volatile long periodNanos;
    private volatile boolean stopping;

    LifecycleThread(Consumer<ExpiryLog> tick, long periodNanos) {
        super("lifecycle");
        setDaemon(true);
        this.tick = tick;
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
            long now = System.nanoTime();
            next = Math.max(next + periodNanos, now); // an overrun does not cause a burst of ticks
            while (!stopping && next - now > 0) {
                LockSupport.parkNanos(this, next - now);
                now = System.nanoTime();
            }
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
