package lockserver.core;

/**
 * The immutable pictures of a live ticket that leave its semaphore: a {@link TicketView}
 * for its client and a {@link LockDetail.Holder} for operators, both as of {@code now}
 * under the lock's settings. Stateless; the semaphore calls it under its monitor.
 */
final class TicketViews {
    private TicketViews() {
    }

    /** {@code t} for lock.check; {@code position} is its 1-based place in the queue when queued. */
    static TicketView view(Ticket t, String lock, int position, LockSettings settings, long now) {
        boolean held = t.state == TicketState.GRANTED;
        return new TicketView(t.id, lock, t.state, held ? 0 : position, held ? t.token : 0, t.info,
                held ? now - t.grantedAt : 0, left(t, settings, now), slots(t, settings), t.exclusive, t.priority,
                revoke(t), Deadlines.revokeIn(t, now));
    }

    /** {@code t} for operators; {@code ageNanos} counts from its grant when granted, else from its query. */
    static LockDetail.Holder holder(Ticket t, long ageNanos, LockSettings settings, long now) {
        long priority = t.state == TicketState.QUEUED
                ? WaitQueue.effectivePriority(t, now, settings.agingNanos()) : t.priority;
        return new LockDetail.Holder(t.id, t.info, t.token, t.claimed, ageNanos, now - t.lastSeen,
                left(t, settings, now), slots(t, settings), priority, revoke(t), Deadlines.revokeIn(t, now));
    }

    private static long left(Ticket t, LockSettings settings, long now) {
        return Math.max(0, Deadlines.deadline(t, settings) - now);
    }

    /** The slots {@code t} takes if granted, else would take if granted now. */
    private static int slots(Ticket t, LockSettings settings) {
        return t.state == TicketState.GRANTED ? t.held : t.exclusive ? settings.size() : t.permits;
    }

    private static String revoke(Ticket t) {
        return t.revokeReason == null ? "" : t.revokeReason;
    }
}
