package lockserver.core;

/**
 * When a ticket must end under its lock's settings: idle time, grace time of an unclaimed
 * grant, maximum lock time and an admin's revocation, whichever comes first. Pure
 * arithmetic, never wrapping past Long.MAX_VALUE (settings may be huge); the caller reads
 * the ticket under its semaphore's monitor.
 */
final class Deadlines {
    private Deadlines() {
    }

    /** Why {@code t} is due at {@code now}, or null if it is not. */
    static Expiry.Cause dueCause(Ticket t, LockSettings settings, long now) {
        if (t.revokeReason != null && now >= t.revokeAt) {
            return Expiry.Cause.REVOKED;
        }
        if (t.state == TicketState.GRANTED) {
            if (!t.claimed && now >= plus(t.graceFrom, settings.graceNanos())) {
                return Expiry.Cause.GRACE;
            }
            if (now >= plus(t.grantedAt, settings.maxHoldNanos())) {
                return Expiry.Cause.MAX_LOCK_TIME;
            }
        }
        return now >= plus(t.lastSeen, settings.idleNanos()) ? Expiry.Cause.IDLE : null;
    }

    /** The earliest time at which {@code t} may have to end; Long.MAX_VALUE stands for never. */
    static long deadline(Ticket t, LockSettings settings) {
        long at = plus(t.lastSeen, settings.idleNanos());
        if (t.revokeReason != null) {
            at = Math.min(at, t.revokeAt);
        }
        if (t.state == TicketState.GRANTED) {
            at = Math.min(at, plus(t.grantedAt, settings.maxHoldNanos()));
            if (!t.claimed) {
                at = Math.min(at, plus(t.graceFrom, settings.graceNanos()));
            }
        }
        return at;
    }

    /** Time until a revoked ticket is ended; 0 when it is not revoked. */
    static long revokeIn(Ticket t, long now) {
        return t.revokeReason == null ? 0 : Math.max(0, t.revokeAt - now);
    }

    /** {@code time + nanos} for nanos > 0, held at Long.MAX_VALUE instead of wrapping. */
    static long plus(long time, long nanos) {
        long sum = time + nanos;
        return sum < time ? Long.MAX_VALUE : sum;
    }
}
