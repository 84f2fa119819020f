package lockserver.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Tickets to and from what outlives a semaphore: a cluster snapshot's {@link LockImage},
 * every field exactly, so that a node loading it ends where the imaged node was; and a
 * journal's {@link RestoredTicket} and {@link RestoredDelay}, their times counted again from
 * the restart. Stateless;
 * the semaphore calls it under its monitor and files what it makes.
 */
final class SemaphoreImage {
    private SemaphoreImage() {
    }

    static List<LockImage.TicketImage> images(Iterable<Ticket> tickets, int count) {
        List<LockImage.TicketImage> images = new ArrayList<>(count);
        for (Ticket t : tickets) {
            images.add(new LockImage.TicketImage(t.id, t.info, t.key,
                    new SlotRequest(t.permits, t.exclusive, t.priority), t.queuedAt, t.lastSeen, t.grantedAt,
                    t.graceFrom, t.token, t.claimed, t.held, t.revokeReason, t.revokeAt));
        }
        return images;
    }

    /** The ticket of {@code i} exactly; a holder's grant too if {@code holder}. */
    static Ticket ticket(LockImage.TicketImage i, boolean holder, NamedSemaphore owner) {
        Ticket t = new Ticket(i.id(), -1, i.info(), i.key(), i.request(), owner, i.queuedAt());
        t.lastSeen = i.lastSeen();
        t.revokeReason = i.revoke();
        t.revokeAt = i.revokeAt();
        if (holder) {
            t.state = TicketState.GRANTED;
            t.grantedAt = i.grantedAt();
            t.graceFrom = i.graceFrom();
            t.token = i.token();
            t.claimed = i.claimed();
            t.held = i.held();
        }
        return t;
    }

    /**
     * The ticket a journal remembered, queued at {@code now} (so its idle time, and the aging
     * of its priority, start again); a grant is as old as it was, with a fresh grace time.
     */
    static Ticket ticket(RestoredTicket r, int size, NamedSemaphore owner, long now) {
        Ticket t = new Ticket(r.id(), -1, r.info(), r.key(), r.request(), owner, now); // its id has no slot here
        if (r.granted()) {
            t.state = TicketState.GRANTED;
            t.grantedAt = now - r.heldNanos();
            t.graceFrom = t.grantedAt;
            t.token = r.token();
            t.claimed = r.claimed();
            t.held = r.request().slots(size);
        }
        if (r.revoke() != null) {
            t.revokeReason = r.revoke();
            t.revokeAt = Deadlines.plus(now, Math.max(0, r.revokeInNanos()));
        }
        return t;
    }

    /**
     * The slots a journal remembered as closed by LOCK_DELAY, as cooling images from {@code
     * now}: for what is left of each delay, at most the lock's LOCK_DELAY now (a wall clock
     * set back cannot lengthen it), and at most its size; those whose delay is over are left out.
     */
    static List<LockImage.CoolingImage> cooling(List<RestoredDelay> delays, LockSettings settings, long now) {
        List<LockImage.CoolingImage> images = new ArrayList<>(delays.size());
        for (RestoredDelay d : delays) {
            long left = Math.min(d.remainingNanos(), settings.lockDelayNanos());
            if (left > 0) {
                images.add(new LockImage.CoolingImage(d.ticket(), now, Math.min(d.slots(), settings.size()),
                        Deadlines.plus(now, left)));
            }
        }
        return images;
    }
}
