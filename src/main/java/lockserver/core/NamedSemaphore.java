package lockserver.core;

import lockserver.wire.Fault;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A counting semaphore with a queue of tickets, each taking one or more slots. Guarantees:
 * never more than {@code size} slots taken (by holders, and by ended holders while
 * LOCK_DELAY keeps their slots closed); after every operation, either the head of the
 * {@link WaitQueue} needs more slots than are free or the queue is empty, so freed slots go
 * to the next waiter at once and nobody overtakes a waiter that needs many; fencing tokens
 * grow with every grant; the version grows with every change of {@link #status}.
 * Thread-safe: all state below, and the helpers it owns ({@link LockDelay},
 * {@link Watchers}, {@link RetryKeys}), is guarded by this object's monitor (a lock in the
 * object itself: the lifecycle takes thousands of locks a tick, each on cold memory, and a
 * ReentrantLock is two more objects to reach), and nothing is done under it but
 * bookkeeping (no I/O, no logging). Waits are completed only after the lock is released,
 * so what depends on them may run at once on the completing thread without holding this lock.
 */
public final class NamedSemaphore {
    private final String name;
    private final Clock clock;
    private final ExpiryQueue expiryQueue;
    private final SemaphoreContext context;
    private final LockCounts counts; // written under lock; shared with earlier semaphores of this name

    // guarded by this semaphore's monitor ("the lock")
    private LockSettings settings;
    private final WaitQueue queue = new WaitQueue();
    private final TicketList granted = new TicketList();
    private final LockDelay delay;
    private int used; // slots taken by granted tickets
    private long lastToken;
    private final RetryKeys keys = new RetryKeys();
    private boolean closed;
    private boolean retired;     // removed from the config: drains, then leaves the registry
    private final boolean configured; // created from the config file (not by lock.create)
    private final Wakes woken = new Wakes(); // waits to complete once the lock is released
    private final Watchers watchers = new Watchers(woken); // the version, and lock.watch calls

    NamedSemaphore(String name, LockSettings settings, boolean configured, SemaphoreContext context) {
        this.name = name;
        this.configured = configured;
        this.settings = settings;
        this.context = context;
        this.clock = context.clock;
        this.expiryQueue = context.expiryQueue;
        this.counts = context.countsFor(name);
        this.delay = new LockDelay(expiryQueue);
    }

    public String name() {
        return name;
    }

    /**
     * Queues a new ticket, or returns the live ticket queried before with the same
     * {@code key} (null: none). Its id is {@code madeId} when made elsewhere (by a cluster's
     * leader), else a slot's id ending in {@code random} (24 lowercase hex digits).
     */
    Ticket query(String madeId, String random, String info, String key, SlotRequest request) {
        Wakes.Wake[] wakes = Wakes.NONE;
        try {
            synchronized (this) {
                try {
                    if (closed) {
                        throw new LockException(Fault.SHUTTING_DOWN, "the server is shutting down");
                    }
                    if (retired) {
                        throw new LockException(Fault.UNKNOWN_LOCK,
                                "lock '" + name + "' was removed from the config and takes no new queries");
                    }
                    Ticket same = keys.get(key);
                    if (same != null) {
                        same.lastSeen = clock.nanoTime(); // a retry is a sign of life
                        return same;
                    }
                    if (request.slots(settings.size()) > settings.size()) {
                        throw new LockException(Fault.BAD_ARGUMENT, "options.permits is " + request.permits()
                                + " but lock '" + name + "' has only " + settings.size() + " slots");
                    }
                    if (queue.size() >= settings.maxQueue()) {
                        throw new LockException(Fault.QUEUE_FULL,
                                "lock '" + name + "' already has " + queue.size() + " tickets queued (MAX_QUEUE)");
                    }
                    long now = clock.nanoTime();
                    int slot = madeId == null ? context.tickets.reserve() : -1;
                    Ticket t = new Ticket(madeId == null ? context.tickets.id(slot, random) : madeId, slot, info, key,
                            request, this, now);
                    queue.add(t);
                    watchers.changed();
                    context.tickets.put(t);
                    keys.remember(t);
                    expiryQueue.schedule(t, deadline(t));
                    try {
                        context.listener.queued(name, t.id, info, key, request);
                    } catch (RuntimeException | Error e) {
                        remove(t); // not journaled: the client hears of no ticket, so none may stay
                        throw e;
                    }
                    grantWaiting(now);
                    return t;
                } finally {
                    wakes = woken.take(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            Wakes.complete(wakes);
        }
    }

    /**
     * Blocks up to {@code timeoutNanos} of real time until {@code t} is granted. Returns
     * true if it is granted, false if not yet, gone, or closing. Claims the grant if
     * {@code claim}.
     */
    boolean await(Ticket t, long timeoutNanos, boolean claim) throws InterruptedException {
        CompletableFuture<Boolean> wait = awaitAsync(t, timeoutNanos);
        boolean granted;
        try {
            granted = wait.get() || isGranted(t); // a grant may race the timeout
        } catch (InterruptedException e) {
            wait.complete(false); // unparks it
            throw e;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause()); // never: a wait completes with a value
        }
        return granted && (!claim || claim(t));
    }

    private synchronized boolean isGranted(Ticket t) {
        return t.state == TicketState.GRANTED;
    }

    /**
     * Like {@link #await} without claiming, but holds no thread while it waits: the future
     * completes with true on grant, false on removal, close or after {@code timeoutNanos}.
     * The future never completes under this semaphore's lock.
     */
    CompletableFuture<Boolean> awaitAsync(Ticket t, long timeoutNanos) {
        CompletableFuture<Boolean> f;
        synchronized (this) {
            if (t.state == TicketState.GONE) {
                return CompletableFuture.completedFuture(false);
            }
            if (!context.replicated) {
                t.lastSeen = clock.nanoTime();
            }
            if (t.state == TicketState.GRANTED || closed || timeoutNanos <= 0) {
                return CompletableFuture.completedFuture(t.state == TicketState.GRANTED);
            }
            if (t.parked == null) {
                t.parked = new ArrayList<>(1);
            }
            f = new CompletableFuture<>();
            t.parked.add(f);
        }
        // outside the lock: a grant may complete f meanwhile, and then unpark runs here at once
        f.whenComplete((granted, error) -> unpark(t, f));
        f.completeOnTimeout(false, timeoutNanos, TimeUnit.NANOSECONDS);
        return f;
    }

    private void unpark(Ticket t, CompletableFuture<Boolean> f) {
        synchronized (this) {
            if (t.parked != null) {
                t.parked.remove(f);
            }
            if (t.state != TicketState.GONE && !context.replicated) {
                t.lastSeen = clock.nanoTime(); // the end of a wait is a sign of life too
            }
        }
    }

    /** Completes every parked wait of {@code t} once the lock is released ({@link Wakes}). */
    private void wakeParked(Ticket t, boolean granted) {
        if (t.parked != null) {
            woken.add(t.parked, granted);
            t.parked = null;
        }
    }

    /**
     * Completes with true once the version is past {@code since} (at once if it is already),
     * or with false after {@code timeoutNanos} or on close. Holds no thread; never completes
     * under this lock.
     */
    CompletableFuture<Boolean> watch(long since, long timeoutNanos) {
        CompletableFuture<Boolean> f;
        synchronized (this) {
            long version = watchers.version();
            if (version != since || closed || timeoutNanos <= 0) {
                return CompletableFuture.completedFuture(version != since);
            }
            f = watchers.add();
        }
        f.whenComplete((changed, error) -> {
            synchronized (this) {
                watchers.remove(f);
            }
        });
        f.completeOnTimeout(false, timeoutNanos, TimeUnit.NANOSECONDS);
        return f;
    }

    /** Claims a grant; false if the ticket is not granted (any more). */
    boolean claim(Ticket t) {
        synchronized (this) {
            if (t.state != TicketState.GRANTED) {
                return false;
            }
            t.lastSeen = clock.nanoTime();
            claimUnderLock(t);
            return true;
        }
    }

    boolean release(Ticket t) {
        Wakes.Wake[] wakes = Wakes.NONE;
        try {
            synchronized (this) {
                try {
                    if (t.state == TicketState.GONE) {
                        return false;
                    }
                    boolean wasGranted = t.state == TicketState.GRANTED;
                    // counted first: removing the last ticket of a retired lock frees its name, and a
                    // new lock of that name shares these counts
                    counts.add(wasGranted ? LockCounts.RELEASES : LockCounts.CANCELS);
                    remove(t);
                    try {
                        context.listener.released(name, t.id, wasGranted);
                    } finally {
                        grantWaiting(clock.nanoTime()); // the slot goes on even if the listener failed
                    }
                    return true;
                } finally {
                    wakes = woken.take(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            Wakes.complete(wakes);
        }
    }

    boolean renew(Ticket t) {
        synchronized (this) {
            if (t.state == TicketState.GONE) {
                return false;
            }
            t.lastSeen = clock.nanoTime();
            return true;
        }
    }

    /**
     * Asks the holder to let go: {@link #check} shows {@code reason} from now on, and the
     * ticket is ended {@code afterNanos} from now unless released first (sooner, if one of
     * its other deadlines comes first). A later revoke replaces an earlier one.
     */
    boolean revoke(Ticket t, String reason, long afterNanos) {
        synchronized (this) {
            if (t.state == TicketState.GONE) {
                return false;
            }
            t.revokeReason = reason;
            t.revokeAt = Deadlines.plus(clock.nanoTime(), afterNanos);
            expiryQueue.schedule(t, deadline(t));
            context.listener.revoked(name, t.id, reason, afterNanos);
            return true;
        }
    }

    /**
     * A fresh idle time and, for an unclaimed grant, a fresh grace time, from now: for
     * tickets whose holders could not reach the server (a restart, a cluster's new leader).
     * The maximum lock time still counts from the grant.
     */
    void refresh(Ticket t) {
        synchronized (this) {
            if (t.state == TicketState.GONE) {
                return;
            }
            long now = clock.nanoTime();
            t.lastSeen = now;
            if (t.state == TicketState.GRANTED && !t.claimed) {
                t.graceFrom = now;
            }
        }
    }

    /** The ticket's state; if {@code holderCalling}, also a sign of life that claims a fresh grant. */
    TicketView check(Ticket t, boolean holderCalling) {
        synchronized (this) {
            if (t.state == TicketState.GONE) {
                return TicketView.gone(t.id);
            }
            long now = clock.nanoTime();
            if (holderCalling) {
                t.lastSeen = now;
                if (t.state == TicketState.GRANTED) {
                    claimUnderLock(t);
                }
            }
            int position = t.state == TicketState.GRANTED ? 0 : queue.ahead(t, settings.agingNanos()) + 1;
            return TicketViews.view(t, name, position, settings, now);
        }
    }

    public LockStatus status() {
        synchronized (this) {
            return new LockStatus(name, settings.size(), granted.size(), queue.size(), used, delay.slots(),
                    watchers.version());
        }
    }

    public LockSettings settings() {
        synchronized (this) {
            return settings;
        }
    }

    /**
     * Called by the lifecycle when {@code t} comes up in the expiry queue: ends it if it is
     * due (appending to {@code expired}), else files it again for its next deadline.
     */
    void onDeadline(Ticket t, long now, ExpiryLog expired) {
        Wakes.Wake[] wakes = Wakes.NONE;
        try {
            synchronized (this) {
                try {
                    if (t.state == TicketState.GONE) {
                        if (t.cooling && delay.end(t, now)) {
                            watchers.changed();
                            grantWaiting(now);
                            leaveIfDrained(); // a retired lock stays while its slots cool
                        }
                        return; // released since it came up
                    }
                    if (t.parked != null && !t.parked.isEmpty() && !context.replicated) {
                        t.lastSeen = Math.max(t.lastSeen, now); // a blocked wait is a sign of life
                    }
                    Expiry.Cause cause = dueCause(t, now);
                    if (cause == null) {
                        // never for now or earlier: that would bring it up again within this same tick
                        expiryQueue.schedule(t, Math.max(deadline(t), now + 1));
                        return;
                    }
                    boolean wasGranted = t.state == TicketState.GRANTED;
                    counts.add(LockCounts.EXPIRIES + cause.ordinal()); // before the name may be freed, as in release
                    // the expiry queue gave it up when it came up; if a grant on another thread has
                    // filed it again since, that was for a time already past (it is due), so it comes
                    // up at the next tick and is dropped as gone
                    unlink(t);
                    long delayNanos = settings.lockDelayNanos();
                    if (wasGranted && delayNanos > 0 && cause != Expiry.Cause.REVOKED) {
                        delay.start(t, Deadlines.plus(now, delayNanos)); // before any grant: its slots stay taken
                        watchers.changed();
                    }
                    leaveIfDrained(); // after the delay started: a retired lock stays while slots cool
                    expired.add(name, t.id, t.info, cause);
                    try {
                        context.listener.expired(name, t.id, cause, wasGranted);
                        if (t.cooling) {
                            context.listener.delayed(name, t.id, t.held, delayNanos);
                        }
                    } finally {
                        grantWaiting(now); // the slot goes on even if the listener failed
                    }
                } finally {
                    wakes = woken.take(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            Wakes.complete(wakes);
        }
    }

    /** Whether {@code t} is still here and one of its deadlines is at or before {@code now}. */
    boolean isDue(Ticket t, long now) {
        synchronized (this) {
            return t.state == TicketState.GONE ? LockDelay.isOver(t, now) : dueCause(t, now) != null;
        }
    }

    /** Files {@code t} again if it is still here; for a lifecycle that took it from the queue but could not look at it. */
    void refile(Ticket t) {
        synchronized (this) {
            if (t.state != TicketState.GONE) {
                expiryQueue.schedule(t, deadline(t));
            } else {
                delay.refile(t);
            }
        }
    }

    /** A snapshot with every holder and waiter, for operators. */
    public LockDetail detail() {
        synchronized (this) {
            long now = clock.nanoTime();
            List<LockDetail.Holder> holders = new ArrayList<>(granted.size());
            for (Ticket t : granted) {
                holders.add(TicketViews.holder(t, now - t.grantedAt, settings, now));
            }
            List<LockDetail.Holder> waiting = new ArrayList<>(queue.size());
            for (Ticket t : queue.inOrder(settings.agingNanos())) {
                waiting.add(TicketViews.holder(t, now - t.queuedAt, settings, now));
            }
            return new LockDetail(name, settings, retired, List.copyOf(holders), List.copyOf(waiting), used,
                    delay.delays(now));
        }
    }

    boolean configured() {
        return configured;
    }

    boolean isRetired() {
        synchronized (this) {
            return retired;
        }
    }

    /**
     * Applies new settings: a larger size grants at once, a smaller one revokes nobody
     * but grants nothing until below it; new times apply to the tickets already here.
     * Queued tickets that ask for more slots than the new size are ended (cause
     * {@link Expiry.Cause#RESIZED}): they could never be granted, and would block the queue.
     * Also takes back a retirement. Returns how many tickets were ended that way, or -1 if
     * the lock had already left the registry.
     */
    int reconfigure(LockSettings newSettings) {
        Wakes.Wake[] wakes = Wakes.NONE;
        try {
            synchronized (this) {
                try {
                    if (retired && isEmpty()) {
                        return -1; // already drained and gone: the caller creates it anew
                    }
                    retired = false;
                    int ended = 0;
                    if (!newSettings.equals(settings)) {
                        long now = clock.nanoTime();
                        if (newSettings.size() != settings.size()) {
                            watchers.changed();
                        }
                        settings = newSettings;
                        try {
                            ended = endTooLarge(now);
                        } finally { // the new times and slots apply even if the listener failed
                            for (Ticket t : queue) {
                                expiryQueue.schedule(t, deadline(t));
                            }
                            for (Ticket t : granted) {
                                expiryQueue.schedule(t, deadline(t));
                            }
                            grantWaiting(now);
                        }
                    }
                    return ended;
                } finally {
                    wakes = woken.take(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            Wakes.complete(wakes);
        }
    }

    /** Stops taking queries; the lock leaves the registry once its tickets are gone and its delayed slots open. */
    void retire() {
        synchronized (this) {
            retired = true;
            leaveIfDrained();
        }
    }

    /** Stops taking queries and answers every blocked wait. */
    void close() {
        Wakes.Wake[] wakes = Wakes.NONE;
        try {
            synchronized (this) {
                try {
                    closed = true;
                    for (Ticket t : queue) {
                        wakeParked(t, false);
                    }
                    watchers.close();
                } finally {
                    wakes = woken.take(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            Wakes.complete(wakes);
        }
    }

    // --- the rest runs under lock ---

    /** Ends the queued tickets that ask for more slots than the lock has; returns how many. */
    private int endTooLarge(long now) {
        List<Ticket> tooLarge = null;
        for (Ticket t : queue) {
            if (!t.exclusive && t.permits > settings.size()) {
                (tooLarge == null ? tooLarge = new ArrayList<>() : tooLarge).add(t);
            }
        }
        if (tooLarge == null) {
            return 0;
        }
        RuntimeException failed = null; // every one is ended even if the listener fails on one
        for (Ticket t : tooLarge) {
            counts.add(LockCounts.EXPIRIES + Expiry.Cause.RESIZED.ordinal());
            remove(t);
            try {
                context.listener.expired(name, t.id, Expiry.Cause.RESIZED, false);
            } catch (RuntimeException e) {
                failed = firstWithRest(failed, e);
            }
        }
        if (failed != null) {
            throw failed;
        }
        return tooLarge.size();
    }

    private Expiry.Cause dueCause(Ticket t, long now) {
        return Deadlines.dueCause(t, settings, now);
    }

    /** The earliest time at which {@code t} may have to end; Long.MAX_VALUE stands for never. */
    private long deadline(Ticket t) {
        return Deadlines.deadline(t, settings);
    }

    private void claimUnderLock(Ticket t) {
        if (!t.claimed) {
            t.claimed = true;
            context.listener.claimed(name, t.id);
        }
    }

    /**
     * Puts back tickets a journal remembered, queued ones in their order; each gets a fresh
     * idle time (and the aging of its priority starts again). Fencing tokens go on from
     * {@code lastToken}. Queued tickets that ask for more slots than the lock now has are
     * ended, as by {@link #reconfigure}. Slots LOCK_DELAY kept closed stay closed for what
     * is left of their delay, at most the lock's LOCK_DELAY now.
     */
    void restore(List<RestoredTicket> restored, List<RestoredDelay> delays, long lastTokenSeen) {
        Wakes.Wake[] wakes = Wakes.NONE;
        try {
            synchronized (this) {
                try {
                    long now = clock.nanoTime();
                    lastToken = Math.max(lastToken, lastTokenSeen);
                    for (RestoredTicket r : restored) {
                        Ticket t = SemaphoreImage.ticket(r, settings.size(), this, now);
                        if (r.granted()) {
                            lastToken = Math.max(lastToken, r.token());
                        }
                        adopt(t);
                    }
                    List<RestoredDelay> fresh = delays.stream().filter(d -> !delay.cools(d.ticket())).toList(); // sent twice
                    delay.load(SemaphoreImage.cooling(fresh, settings, now), this);
                    watchers.changed();
                    try {
                        endTooLarge(now);
                    } finally {
                        grantWaiting(now); // the queue goes on even if the listener failed
                    }
                } finally {
                    wakes = woken.take(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            Wakes.complete(wakes);
        }
    }

    /** This lock exactly as it stands, for a cluster's snapshot. */
    LockImage image() {
        synchronized (this) {
            return new LockImage(name, settings, configured, retired, lastToken, watchers.version(),
                    SemaphoreImage.images(granted, granted.size()), SemaphoreImage.images(queue, queue.size()),
                    delay.images());
        }
    }

    /** Puts back the tickets and counters of {@code image} exactly; on a lock that is new and empty. */
    void load(LockImage image) {
        synchronized (this) {
            lastToken = image.lastToken();
            watchers.load(image.version());
            retired = image.retired();
            for (LockImage.TicketImage i : image.granted()) {
                adopt(SemaphoreImage.ticket(i, true, this));
            }
            for (LockImage.TicketImage i : image.queue()) {
                adopt(SemaphoreImage.ticket(i, false, this));
            }
            delay.load(image.cooling(), this);
        }
    }

    /** Takes in {@code t}, made from an image or a journal's record, as a holder or a waiter. */
    private void adopt(Ticket t) {
        if (t.state == TicketState.GRANTED) {
            used += t.held;
            granted.addLast(t);
        } else {
            queue.add(t);
        }
        context.tickets.put(t);
        keys.remember(t);
        expiryQueue.schedule(t, deadline(t));
    }

    /** No ticket and no cooling slot: a retired lock may leave (one added again meanwhile keeps its delay). */
    private boolean isEmpty() {
        return queue.isEmpty() && granted.isEmpty() && delay.slots() == 0;
    }

    private void leaveIfDrained() {
        if (retired && isEmpty()) {
            context.drained(this);
        }
    }

    /** Takes {@code t} out of the lock and the expiry queue, and wakes its waiters. */
    private void remove(Ticket t) {
        expiryQueue.cancel(t);
        removeUnfiled(t);
    }

    /** {@link #remove} for a ticket not in the expiry queue: saves the queue's lock on every expiry. */
    private void removeUnfiled(Ticket t) {
        unlink(t);
        leaveIfDrained();
    }

    /** {@link #removeUnfiled} without letting a retired lock leave: the caller does that. */
    private void unlink(Ticket t) {
        if (t.state == TicketState.GRANTED) {
            granted.remove(t);
            used -= t.held;
        } else {
            queue.remove(t);
        }
        t.state = TicketState.GONE;
        watchers.changed();
        context.tickets.remove(t);
        keys.forget(t);
        wakeParked(t, false);
    }

    /**
     * Grants the head of the queue while enough slots are free for it; tells the listener
     * last, so its failure leaves no slot idle. A head that needs more slots than are free
     * waits, and so does everyone behind it.
     */
    private void grantWaiting(long now) {
        RuntimeException failed = null;
        Ticket t;
        while ((t = queue.head(settings.agingNanos())) != null) {
            int need = t.exclusive ? settings.size() : t.permits;
            if (used + delay.slots() + need > settings.size()) {
                break;
            }
            queue.remove(t);
            t.state = TicketState.GRANTED;
            t.grantedAt = now;
            t.graceFrom = now;
            t.token = ++lastToken;
            t.claimed = false;
            t.held = need;
            used += need;
            granted.addLast(t);
            watchers.changed();
            expiryQueue.schedule(t, deadline(t)); // grace and maximum lock time count from now
            wakeParked(t, true);
            counts.granted(now - t.queuedAt);
            try {
                context.listener.granted(name, t.id, t.token, now - t.queuedAt);
            } catch (RuntimeException e) {
                failed = firstWithRest(failed, e);
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    /** The first of the listener's failures, carrying the later ones as suppressed. */
    private static RuntimeException firstWithRest(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
