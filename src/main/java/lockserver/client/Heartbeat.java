package lockserver.client;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Checks one ticket ({@code lock.check}, which also keeps it alive) at once and then every
 * {@code every}, on a daemon thread of its own, and tells its {@link HeartbeatListener}: each
 * new revocation reason once, a failed check each time, the loss of the ticket once (and then
 * stops). Once {@link #stop} returns the listener hears nothing more, so a release that follows
 * is never told as a loss. A thread per heartbeat rather than one shared scheduler: a check
 * that hangs on an unreachable server (up to the client's call timeout) then delays no other
 * Lock's heartbeat, and stop can wait for exactly its own check; holders are few. Thread-safe.
 */
final class Heartbeat {
    private final LockClient client;
    private final String ticket;
    private final long everyNanos;
    private final HeartbeatListener listener;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread thread;
    private TicketInfo last; // confined to the heartbeat's thread
    private String toldReason = ""; // confined to the heartbeat's thread

    Heartbeat(LockClient client, String lock, String ticket, Duration every, HeartbeatListener listener) {
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("heartbeat period must be positive, got " + every);
        }
        if (listener == null) {
            throw new IllegalArgumentException("heartbeat listener must not be null");
        }
        this.client = client;
        this.ticket = ticket;
        this.everyNanos = every.toNanos();
        this.listener = listener;
        thread = new Thread(this::run, "lockserver-heartbeat " + lock);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            do {
                if (!beat()) {
                    return;
                }
            } while (!stopped.await(everyNanos, TimeUnit.NANOSECONDS));
        } catch (InterruptedException e) {
            // someone else's interrupt ends the heartbeat
        }
    }

    /** One check and what it tells; false once the ticket is lost or the heartbeat stopped. */
    private boolean beat() {
        TicketInfo info;
        try {
            info = client.check(ticket);
        } catch (LockServerException e) {
            return tell(() -> listener.failed(e));
        }
        if (info.isGone()) {
            TicketInfo seen = last == null ? info : last;
            tell(() -> listener.lost(seen));
            return false;
        }
        last = info;
        if (info.isRevoked() && !info.revoke().equals(toldReason)) {
            toldReason = info.revoke();
            return tell(() -> listener.revoked(info.revoke(), info.revokeIn()));
        }
        return stopped.getCount() > 0;
    }

    /** Runs {@code news} unless stopped; a listener's exception goes to the thread's handler and the heartbeat goes on. */
    private boolean tell(Runnable news) {
        if (stopped.getCount() == 0) {
            return false;
        }
        try {
            news.run();
        } catch (RuntimeException e) {
            thread.getUncaughtExceptionHandler().uncaughtException(thread, e);
        }
        return stopped.getCount() > 0;
    }

    /**
     * Stops the heartbeat: waits for a check in progress to end (up to the client's call
     * timeout) unless called by the listener itself. Idempotent.
     */
    void stop() {
        stopped.countDown();
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
