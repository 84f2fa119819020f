package lockserver.client;

import java.time.Duration;

/**
 * What a {@link Lock}'s heartbeat tells about its ticket, on the heartbeat's own thread: keep
 * each method short, and hand the news to the thread that drives the Lock (which may then
 * release it) rather than calling the Lock from here. Every method does nothing by default.
 */
public interface HeartbeatListener {
    /**
     * An admin asked the holder to let go ({@code admin.revoke}): finish or stop the work and
     * release within {@code left}, after which the server force-releases the ticket. Told once
     * per reason.
     */
    default void revoked(String reason, Duration left) {
    }

    /**
     * The ticket is gone (expired, force-released, or a revocation's time ran out): whatever it
     * guarded is no longer guarded. Told once; the heartbeat then stops.
     *
     * @param last the heartbeat's last view of the ticket alive, or the server's answer
     *             "gone" if it never saw it alive
     */
    default void lost(TicketInfo last) {
    }

    /** A check failed (the server unreachable or refusing); the heartbeat goes on at its pace. */
    default void failed(LockServerException e) {
    }
}
