package lockserver.core;

import lockserver.wire.Fault;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rules of one lock written as plainly as they read (lists, sorts and sums; no expiry
 * queue, no per-priority lists), as the reference {@link LockModelTest} holds a replica
 * {@link LockRegistry} against. Every method takes the time of the step. Not thread-safe.
 */
final class LockModel {
    private static final long MS = 1_000_000L;

    /** One ticket; after its end it stays in {@link #cooling} while LOCK_DELAY keeps its slots closed. */
    static final class Tk {
        final String id;
        final String name; // also the ticket's info, so the registry's details show it
        final SlotRequest request;
        final long queuedAt;
        final long seq;    // query order, for tickets queued at the same time
        TicketState state = TicketState.QUEUED;
        long lastSeen;
        long grantedAt;
        long token;
        boolean claimed;
        int held;
        String revokeReason;
        long revokeAt;
        long coolUntil;

        Tk(String id, String name, SlotRequest request, long queuedAt, long seq) {
            this.id = id;
            this.name = name;
            this.request = request;
            this.queuedAt = queuedAt;
            this.seq = seq;
            this.lastSeen = queuedAt;
        }
    }

    private final String lock;
    private LockSettings settings;
    private final List<Tk> queue = new ArrayList<>();   // in query order; queueInOrder() sorts
    private final List<Tk> holders = new ArrayList<>(); // in grant order
    private final List<Tk> cooling = new ArrayList<>(); // in the order their delays began
    private final Map<String, Tk> live = new LinkedHashMap<>(); // in query order
    private long lastToken;
    private long queries;

    LockModel(String lock, LockSettings settings) {
        this.lock = lock;
        this.settings = settings;
    }

    LockSettings settings() {
        return settings;
    }

    List<Tk> holders() {
        return holders;
    }

    /** The tickets queued or granted, in query order. */
    List<Tk> live() {
        return new ArrayList<>(live.values());
    }

    /** The fault the query is refused with, or null when the ticket is queued (and perhaps granted). */
    Fault query(String id, String name, SlotRequest request, long now) {
        if (request.slots(settings.size()) > settings.size()) {
            return Fault.BAD_ARGUMENT;
        }
        if (queue.size() >= settings.maxQueue()) {
            return Fault.QUEUE_FULL;
        }
        Tk t = new Tk(id, name, request, now, queries++);
        queue.add(t);
        live.put(id, t);
        grant(now);
        return null;
    }

    /** A sign of life that claims a grant; returns the ticket as it stands then. */
    TicketView check(String id, long now) {
        Tk t = live.get(id);
        if (t != null) {
            t.lastSeen = now;
            if (t.state == TicketState.GRANTED) {
                t.claimed = true;
            }
        }
        return view(id, now);
    }

    /** The ticket as it stands, changing nothing (an operator's peek). */
    TicketView view(String id, long now) {
        Tk t = live.get(id);
        if (t == null) {
            return TicketView.gone(id);
        }
        boolean held = t.state == TicketState.GRANTED;
        return new TicketView(id, lock, t.state, held ? 0 : queueInOrder().indexOf(t) + 1, held ? t.token : 0,
                t.name, held ? now - t.grantedAt : 0, Math.max(0, deadline(t) - now), slots(t),
                t.request.exclusive(), t.request.priority(), t.revokeReason == null ? "" : t.revokeReason,
                revokeIn(t, now));
    }

    boolean renew(String id, long now) {
        Tk t = live.get(id);
        if (t == null) {
            return false;
        }
        t.lastSeen = now;
        return true;
    }

    boolean release(String id, long now) {
        Tk t = live.remove(id);
        if (t == null) {
            return false;
        }
        (t.state == TicketState.GRANTED ? holders : queue).remove(t);
        t.state = TicketState.GONE;
        grant(now);
        return true;
    }

    boolean revoke(String id, String reason, long afterNanos, long now) {
        Tk t = live.get(id);
        if (t == null) {
            return false;
        }
        t.revokeReason = reason;
        t.revokeAt = now + afterNanos;
        return true;
    }

    /**
     * Ends what is due, as a replica does: round after round, every ticket due (and every
     * delay that is over) in (query time, id) order, each judged again when its turn comes.
     */
    List<Expiry> tick(long now) {
        List<Expiry> ended = new ArrayList<>();
        while (true) {
            List<Tk> due = new ArrayList<>();
            for (Tk t : live.values()) {
                if (dueCause(t, now) != null) {
                    due.add(t);
                }
            }
            for (Tk t : cooling) {
                if (now >= t.coolUntil) {
                    due.add(t);
                }
            }
            if (due.isEmpty()) {
                return ended;
            }
            due.sort(Comparator.<Tk>comparingLong(t -> t.queuedAt).thenComparing(t -> t.id));
            for (Tk t : due) {
                if (t.state == TicketState.GONE) {
                    cooling.remove(t); // only delays that are over were picked
                    grant(now);
                    continue;
                }
                Expiry.Cause cause = dueCause(t, now);
                if (cause != null) {
                    end(t, cause, now);
                    ended.add(new Expiry(lock, t.id, t.name, cause));
                }
            }
        }
    }

    /** New settings apply to every ticket; queued ones asking for more slots than there are end. */
    void reconfigure(LockSettings newSettings, long now) {
        if (newSettings.equals(settings)) {
            return;
        }
        settings = newSettings;
        for (Tk t : List.copyOf(queue)) {
            if (!t.request.exclusive() && t.request.permits() > settings.size()) {
                queue.remove(t);
                live.remove(t.id);
                t.state = TicketState.GONE;
            }
        }
        grant(now);
    }

    /** Grants the head of the queue while its slots are free; the head blocks everyone behind it. */
    private void grant(long now) {
        while (!queue.isEmpty()) {
            Tk t = queueInOrder().get(0);
            int need = slots(t);
            if (used() + delayed() + need > settings.size()) {
                return;
            }
            queue.remove(t);
            t.state = TicketState.GRANTED;
            t.grantedAt = now;
            t.token = ++lastToken;
            t.claimed = false;
            t.held = need;
            holders.add(t);
        }
    }

    private void end(Tk t, Expiry.Cause cause, long now) {
        boolean wasGranted = t.state == TicketState.GRANTED;
        (wasGranted ? holders : queue).remove(t);
        live.remove(t.id);
        t.state = TicketState.GONE;
        if (wasGranted && settings.lockDelayNanos() > 0 && cause != Expiry.Cause.REVOKED) {
            t.coolUntil = now + settings.lockDelayNanos();
            cooling.add(t);
        }
        grant(now);
    }

    private Expiry.Cause dueCause(Tk t, long now) {
        if (t.revokeReason != null && now >= t.revokeAt) {
            return Expiry.Cause.REVOKED;
        }
        if (t.state == TicketState.GRANTED) {
            if (!t.claimed && now >= t.grantedAt + settings.graceNanos()) {
                return Expiry.Cause.GRACE;
            }
            if (now >= t.grantedAt + settings.maxHoldNanos()) {
                return Expiry.Cause.MAX_LOCK_TIME;
            }
        }
        return now >= t.lastSeen + settings.idleNanos() ? Expiry.Cause.IDLE : null;
    }

    private long deadline(Tk t) {
        long at = t.lastSeen + settings.idleNanos();
        if (t.revokeReason != null) {
            at = Math.min(at, t.revokeAt);
        }
        if (t.state == TicketState.GRANTED) {
            at = Math.min(at, t.grantedAt + settings.maxHoldNanos());
            if (!t.claimed) {
                at = Math.min(at, t.grantedAt + settings.graceNanos());
            }
        }
        return at;
    }

    private static long revokeIn(Tk t, long now) {
        return t.revokeReason == null ? 0 : Math.max(0, t.revokeAt - now);
    }

    /** Higher rank first (priority less the aging period of the query), then older, then queried first. */
    List<Tk> queueInOrder() {
        List<Tk> sorted = new ArrayList<>(queue);
        sorted.sort(Comparator.<Tk>comparingLong(t -> -rank(t)).thenComparingLong(t -> t.queuedAt)
                .thenComparingLong(t -> t.seq));
        return sorted;
    }

    private long rank(Tk t) {
        return t.request.priority() - period(t.queuedAt);
    }

    private long period(long time) {
        return settings.agingNanos() == 0 ? 0 : Math.floorDiv(time, settings.agingNanos());
    }

    private int slots(Tk t) {
        return t.state == TicketState.GRANTED ? t.held
                : t.request.exclusive() ? settings.size() : t.request.permits();
    }

    int used() {
        return holders.stream().mapToInt(t -> t.held).sum();
    }

    int delayed() {
        return cooling.stream().mapToInt(t -> t.held).sum();
    }

    /** The lock as {@link LockModelTest#describe} writes the registry's: who holds, who waits, what cools. */
    String describe(long now) {
        StringBuilder s = new StringBuilder();
        s.append("size ").append(settings.size()).append(", ").append(holders.size()).append(" granted, ")
                .append(queue.size()).append(" queued, used ").append(used()).append(", delayed ").append(delayed())
                .append("\n  holders:");
        for (Tk t : holders) {
            LockModelTest.holder(s, t.name, t.token, t.claimed, t.held, Math.max(0, deadline(t) - now),
                    t.request.priority(), t.revokeReason == null ? "" : t.revokeReason, revokeIn(t, now));
        }
        s.append("\n  queue:");
        for (Tk t : queueInOrder()) {
            long effective = t.request.priority() + period(now) - period(t.queuedAt);
            LockModelTest.holder(s, t.name, 0, false, slots(t), Math.max(0, deadline(t) - now), effective,
                    t.revokeReason == null ? "" : t.revokeReason, revokeIn(t, now));
        }
        s.append("\n  delays:");
        for (Tk t : cooling) {
            s.append(' ').append(t.name).append('x').append(t.held).append(" for ")
                    .append(Math.max(0, t.coolUntil - now) / MS).append("ms");
        }
        return s.toString();
    }
}
