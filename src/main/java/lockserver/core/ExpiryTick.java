package lockserver.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One tick of the lifecycle over the {@link ExpiryQueue}: takes the tickets that are due and
 * hands each to its semaphore, which ends it (appending to the {@link ExpiryLog}) or files
 * it again; a ticket taken but not looked at, because a semaphore threw, is filed again.
 * Stateless; each ticket is looked at under its own semaphore's monitor. A replica's tick
 * ends tickets in an order that does not depend on how its queue was filled.
 */
final class ExpiryTick {
    /**
     * Tickets are taken from the expiry queue in small chunks, each handled by one call of
     * {@link #endOrRefile}: the tick runs once a period, and a loop over thousands of
     * tickets in one call stayed interpreted or in C1 for 12-27 s after a start (the JIT
     * counts calls, and a loop only by its back-edges); a method called per chunk is
     * compiled sooner.
     */
    private static final int DUE_CHUNK = 16;

    /** The order in which a replica ends the tickets due in one tick. */
    private static final Comparator<Ticket> REPLICA_ORDER = Comparator.<Ticket>comparingLong(t -> t.queuedAt)
            .thenComparing(t -> t.id);

    private ExpiryTick() {
    }

    /** Ends what is due at {@code now}; if it throws, {@code expired} still holds what it ended before. */
    static void run(ExpiryQueue expiryQueue, long now, boolean replicated, ExpiryLog expired) {
        if (replicated) {
            tickInOrder(expiryQueue, now, expired);
            return;
        }
        Ticket[] due = new Ticket[DUE_CHUNK];
        int n;
        while ((n = expiryQueue.pollDue(now, due)) > 0) {
            endOrRefile(due, n, now, expired);
        }
    }

    /**
     * The tick of a cluster replica. Which tickets a tick ends, and in what order, decides
     * the tokens of the grants it makes, so it must not depend on how this replica's expiry
     * queue was filled (entry by entry, or from a snapshot, where a ticket is filed at its
     * deadline and not in an earlier bucket): it takes every ticket filed up to one bucket
     * past now (every ticket due now is among them), ends those due in (query time, id)
     * order, round after round while grants make more due, and files the rest again.
     */
    private static void tickInOrder(ExpiryQueue expiryQueue, long now, ExpiryLog expired) {
        long horizon = now + ExpiryQueue.GRANULARITY_NANOS;
        Ticket[] chunk = new Ticket[DUE_CHUNK];
        List<Ticket> notDue = new ArrayList<>();
        try {
            while (true) {
                List<Ticket> due = new ArrayList<>();
                int n;
                while ((n = expiryQueue.pollDue(horizon, chunk)) > 0) {
                    for (int i = 0; i < n; i++) {
                        (chunk[i].semaphore.isDue(chunk[i], now) ? due : notDue).add(chunk[i]);
                    }
                }
                if (due.isEmpty()) {
                    return;
                }
                due.sort(REPLICA_ORDER);
                for (Ticket t : due) {
                    t.semaphore.onDeadline(t, now, expired);
                }
            }
        } finally {
            for (Ticket t : notDue) {
                t.semaphore.refile(t);
            }
        }
    }

    private static void endOrRefile(Ticket[] due, int n, long now, ExpiryLog expired) {
        int i = 0;
        try {
            for (; i < n; i++) {
                due[i].semaphore.onDeadline(due[i], now, expired);
            }
        } finally {
            for (; i < n; i++) { // onDeadline threw: the tickets not looked at must not drop out of the queue
                due[i].semaphore.refile(due[i]);
            }
        }
    }
}
