package lockserver.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The slots LOCK_DELAY keeps closed after their holder was ended (it may still be at work):
 * each such ticket cools, filed in the expiry queue for the end of its delay, and its slots
 * count as taken until then. Not thread-safe: guarded by the owning semaphore's monitor; the
 * semaphore tells its watchers of each change and grants the slots once they open.
 */
final class LockDelay {
    private final ExpiryQueue expiryQueue;
    private final TicketList cooling = new TicketList(); // oldest first
    private int slots; // taken by cooling tickets

    LockDelay(ExpiryQueue expiryQueue) {
        this.expiryQueue = expiryQueue;
    }

    /** Slots closed now. */
    int slots() {
        return slots;
    }

    /** Keeps the slots of {@code t}, a holder being ended, closed until {@code until}. */
    void start(Ticket t, long until) {
        t.cooling = true;
        t.coolUntil = until;
        slots += t.held;
        cooling.addLast(t);
        expiryQueue.schedule(t, until);
    }

    /** Opens the slots of cooling {@code t} and returns true if its delay is over, else files it again. */
    boolean end(Ticket t, long now) {
        if (now < t.coolUntil) {
            expiryQueue.schedule(t, t.coolUntil);
            return false;
        }
        cooling.remove(t);
        slots -= t.held;
        t.cooling = false;
        return true;
    }

    /** Whether the slots of ticket {@code id} cool here. */
    boolean cools(String id) {
        for (Ticket t : cooling) {
            if (t.id.equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code t}, gone, cools and its delay is over at {@code now}. */
    static boolean isOver(Ticket t, long now) {
        return t.cooling && now >= t.coolUntil;
    }

    /** Files {@code t}, gone, again if it cools. */
    void refile(Ticket t) {
        if (t.cooling) {
            expiryQueue.schedule(t, t.coolUntil);
        }
    }

    List<LockDetail.Delay> delays(long now) {
        List<LockDetail.Delay> delays = new ArrayList<>(cooling.size());
        for (Ticket t : cooling) {
            delays.add(new LockDetail.Delay(t.id, t.held, Math.max(0, t.coolUntil - now)));
        }
        return List.copyOf(delays);
    }

    List<LockImage.CoolingImage> images() {
        List<LockImage.CoolingImage> images = new ArrayList<>(cooling.size());
        for (Ticket t : cooling) {
            images.add(new LockImage.CoolingImage(t.id, t.queuedAt, t.held, t.coolUntil));
        }
        return images;
    }

    /** Puts back the cooling tickets of an image, exactly, into an empty delay. */
    void load(List<LockImage.CoolingImage> images, NamedSemaphore owner) {
        for (LockImage.CoolingImage c : images) {
            Ticket t = new Ticket(c.id(), -1, "", null, SlotRequest.ONE, owner, c.queuedAt());
            t.state = TicketState.GONE;
            t.held = c.slots();
            start(t, c.until());
        }
    }
}
