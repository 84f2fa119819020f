package lockserver.core;

import lockserver.wire.Fault;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A counting semaphore with a FIFO queue of tickets. Guarantees: never more than
 * {@code size} tickets granted; after every operation, either every slot is taken or
 * the queue is empty, so a freed slot goes to the oldest waiter at once; fencing tokens
 * grow with every grant. Thread-safe: all state below is guarded by this object's
 * monitor (a lock in the object itself: the lifecycle takes thousands of locks a tick, each
 * on cold memory, and a ReentrantLock is two more objects to reach), and nothing is done
 * under it but bookkeeping (no I/O, no logging). Waits are completed only after the lock is
 * released, so what depends on them may run at once on the completing thread without
 * holding this lock.
 */
public final class NamedSemaphore {
    private final String name;
    private final Clock clock;
    private final ExpiryQueue expiryQueue;
    private final SemaphoreContext context;
    private final LockCounts counts; // written under lock; shared with earlier semaphores of this name

    // guarded by this semaphore's monitor ("the lock")
    private LockSettings settings;
    private final TicketList queue = new TicketList();
    private final TicketList granted = new TicketList();
    private long lastToken;
    private Map<String, Ticket> byKey; // live tickets by their retry key; null until a query brings one
    private boolean closed;
    private boolean retired;     // removed from the config: drains, then leaves the registry
    private final boolean configured; // created from the config file (not by lock.create)
    private static final Wake[] NO_WAKES = new Wake[0];
    private Wake[] woken = NO_WAKES; // parked waits to complete once the lock is released
    private int wokenCount;

    private record Wake(CompletableFuture<Boolean> future, boolean granted) {
    }

    NamedSemaphore(String name, LockSettings settings, boolean configured, SemaphoreContext context) {
        this.name = name;
        this.configured = configured;
        this.settings = settings;
        this.context = context;
        this.clock = context.clock;
        this.expiryQueue = context.expiryQueue;
        this.counts = context.countsFor(name);
    }

    public String name() {
        return name;
    }

    /**
     * Queues a new ticket, or returns the live ticket queried before with the same
     * {@code key} (null: none). Its id is {@code madeId} when made elsewhere (by a cluster's
     * leader), else a slot's id ending in {@code random} (24 lowercase hex digits).
     */
    Ticket query(String madeId, String random, String info, String key) {
        Wake[] wakes = NO_WAKES;
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
                    Ticket same = key == null || byKey == null ? null : byKey.get(key);
                    if (same != null) {
                        same.lastSeen = clock.nanoTime(); // a retry is a sign of life
                        return same;
                    }
                    if (queue.size() >= settings.maxQueue()) {
                        throw new LockException(Fault.QUEUE_FULL,
                                "lock '" + name + "' already has " + queue.size() + " tickets queued (MAX_QUEUE)");
                    }
                    long now = clock.nanoTime();
                    int slot = madeId == null ? context.tickets.reserve() : -1;
                    Ticket t = new Ticket(madeId == null ? context.tickets.id(slot, random) : madeId, slot, info, key,
                            this, now);
                    queue.addLast(t);
                    context.tickets.put(t);
                    rememberKey(t);
                    expiryQueue.schedule(t, deadline(t));
                    try {
                        context.listener.queued(name, t.id, info);
                    } catch (RuntimeException | Error e) {
                        remove(t); // not journaled: the client hears of no ticket, so none may stay
                        throw e;
                    }
                    grantWaiting(now);
                    return t;
                } finally {
                    wakes = takeWoken(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            complete(wakes);
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

    /** Completes every parked wait of {@code t} once the lock is released ({@link #takeWoken}). */
    private void wakeParked(Ticket t, boolean granted) {
        List<CompletableFuture<Boolean>> waits = t.parked;
        if (waits != null) {
            t.parked = null;
            for (CompletableFuture<Boolean> f : waits) {
                if (wokenCount == woken.length) {
                    woken = Arrays.copyOf(woken, Math.max(4, wokenCount * 2));
                }
                woken[wokenCount++] = new Wake(f, granted);
            }
        }
    }

    /** The waits woken under the lock so far, which the caller completes once it has left the lock. */
    private Wake[] takeWoken() {
        if (wokenCount == 0) {
            return NO_WAKES;
        }
        Wake[] wakes = Arrays.copyOf(woken, wokenCount);
        Arrays.fill(woken, 0, wokenCount, null);
        wokenCount = 0;
        return wakes;
    }

    private static void complete(Wake[] wakes) {
        for (Wake w : wakes) {
            w.future().complete(w.granted());
        }
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
        Wake[] wakes = NO_WAKES;
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
                    wakes = takeWoken(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            complete(wakes);
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
            int position = 0;
            if (t.state == TicketState.QUEUED) {
                for (Ticket q : queue) {
                    position++;
                    if (q == t) {
                        break;
                    }
                }
            }
            boolean held = t.state == TicketState.GRANTED;
            return new TicketView(t.id, name, t.state, position, held ? t.token : 0, t.info,
                    held ? now - t.grantedAt : 0, Math.max(0, deadline(t) - now));
        }
    }

    public LockStatus status() {
        synchronized (this) {
            return new LockStatus(name, settings.size(), granted.size(), queue.size());
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
        Wake[] wakes = NO_WAKES;
        try {
            synchronized (this) {
                try {
                    if (t.state == TicketState.GONE) {
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
                    removeUnfiled(t);
                    expired.add(name, t.id, t.info, cause);
                    try {
                        context.listener.expired(name, t.id, cause, wasGranted);
                    } finally {
                        grantWaiting(now); // the slot goes on even if the listener failed
                    }
                } finally {
                    wakes = takeWoken(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            complete(wakes);
        }
    }

    /** Whether {@code t} is still here and one of its deadlines is at or before {@code now}. */
    boolean isDue(Ticket t, long now) {
        synchronized (this) {
            return t.state != TicketState.GONE && dueCause(t, now) != null;
        }
    }

    /** Files {@code t} again if it is still here; for a lifecycle that took it from the queue but could not look at it. */
    void refile(Ticket t) {
        synchronized (this) {
            if (t.state != TicketState.GONE) {
                expiryQueue.schedule(t, deadline(t));
            }
        }
    }

    /** A snapshot with every holder and waiter, for operators. */
    public LockDetail detail() {
        synchronized (this) {
            long now = clock.nanoTime();
            List<LockDetail.Holder> holders = new ArrayList<>(granted.size());
            for (Ticket t : granted) {
                holders.add(holder(t, now - t.grantedAt, now));
            }
            List<LockDetail.Holder> waiting = new ArrayList<>(queue.size());
            for (Ticket t : queue) {
                waiting.add(holder(t, now - t.queuedAt, now));
            }
            return new LockDetail(name, settings, retired, List.copyOf(holders), List.copyOf(waiting));
        }
    }

    private LockDetail.Holder holder(Ticket t, long age, long now) {
        return new LockDetail.Holder(t.id, t.info, t.token, t.claimed, age, now - t.lastSeen,
                Math.max(0, deadline(t) - now));
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
     * Also takes back a retirement. Returns false if the lock had already left the registry.
     */
    boolean reconfigure(LockSettings newSettings) {
        Wake[] wakes = NO_WAKES;
        try {
            synchronized (this) {
                try {
                    if (retired && isEmpty()) {
                        return false; // already drained and gone: the caller creates it anew
                    }
                    retired = false;
                    if (!newSettings.equals(settings)) {
                        settings = newSettings;
                        for (Ticket t : queue) {
                            expiryQueue.schedule(t, deadline(t));
                        }
                        for (Ticket t : granted) {
                            expiryQueue.schedule(t, deadline(t));
                        }
                        grantWaiting(clock.nanoTime());
                    }
                    return true;
                } finally {
                    wakes = takeWoken(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            complete(wakes);
        }
    }

    /** Stops taking queries; the lock leaves the registry once its tickets are gone. */
    void retire() {
        synchronized (this) {
            retired = true;
            leaveIfDrained();
        }
    }

    /** Stops taking queries and answers every blocked wait. */
    void close() {
        Wake[] wakes = NO_WAKES;
        try {
            synchronized (this) {
                try {
                    closed = true;
                    for (Ticket t : queue) {
                        wakeParked(t, false);
                    }
                } finally {
                    wakes = takeWoken(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            complete(wakes);
        }
    }

    // --- the rest runs under lock ---

    private Expiry.Cause dueCause(Ticket t, long now) {
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
    private long deadline(Ticket t) {
        long at = plus(t.lastSeen, settings.idleNanos());
        if (t.state == TicketState.GRANTED) {
            at = Math.min(at, plus(t.grantedAt, settings.maxHoldNanos()));
            if (!t.claimed) {
                at = Math.min(at, plus(t.graceFrom, settings.graceNanos()));
            }
        }
        return at;
    }

    /** {@code time + nanos} for nanos > 0, held at Long.MAX_VALUE instead of wrapping (settings may be huge). */
    private static long plus(long time, long nanos) {
        long sum = time + nanos;
        return sum < time ? Long.MAX_VALUE : sum;
    }

    private void claimUnderLock(Ticket t) {
        if (!t.claimed) {
            t.claimed = true;
            context.listener.claimed(name, t.id);
        }
    }

    /**
     * Puts back tickets a journal remembered, queued ones in their order; each gets a fresh
     * idle time. Fencing tokens go on from {@code lastToken}.
     */
    void restore(java.util.List<RestoredTicket> restored, long lastTokenSeen) {
        Wake[] wakes = NO_WAKES;
        try {
            synchronized (this) {
                try {
                    long now = clock.nanoTime();
                    lastToken = Math.max(lastToken, lastTokenSeen);
                    for (RestoredTicket r : restored) {
                        Ticket t = new Ticket(r.id(), -1, r.info(), null, this, now); // its id has no slot here
                        if (r.granted()) {
                            t.state = TicketState.GRANTED;
                            t.grantedAt = now - r.heldNanos();
                            t.graceFrom = t.grantedAt;
                            t.token = r.token();
                            t.claimed = r.claimed();
                            lastToken = Math.max(lastToken, r.token());
                            granted.addLast(t);
                        } else {
                            queue.addLast(t);
                        }
                        context.tickets.put(t);
                        expiryQueue.schedule(t, deadline(t));
                    }
                    grantWaiting(now);
                } finally {
                    wakes = takeWoken(); // in the same hold: each call completes what it woke
                }
            }
        } finally {
            complete(wakes);
        }
    }

    /** This lock exactly as it stands, for a cluster's snapshot. */
    LockImage image() {
        synchronized (this) {
            List<LockImage.TicketImage> holders = new ArrayList<>(granted.size());
            for (Ticket t : granted) {
                holders.add(image(t));
            }
            List<LockImage.TicketImage> waiting = new ArrayList<>(queue.size());
            for (Ticket t : queue) {
                waiting.add(image(t));
            }
            return new LockImage(name, settings, configured, retired, lastToken, holders, waiting);
        }
    }

    private static LockImage.TicketImage image(Ticket t) {
        return new LockImage.TicketImage(t.id, t.info, t.key, t.queuedAt, t.lastSeen, t.grantedAt, t.graceFrom,
                t.token, t.claimed);
    }

    /** Puts back the tickets and counters of {@code image} exactly; on a lock that is new and empty. */
    void load(LockImage image) {
        synchronized (this) {
            lastToken = image.lastToken();
            retired = image.retired();
            for (LockImage.TicketImage i : image.granted()) {
                Ticket t = loadTicket(i, granted);
                t.state = TicketState.GRANTED;
                t.grantedAt = i.grantedAt();
                t.graceFrom = i.graceFrom();
                t.token = i.token();
                t.claimed = i.claimed();
                expiryQueue.schedule(t, deadline(t));
            }
            for (LockImage.TicketImage i : image.queue()) {
                Ticket t = loadTicket(i, queue);
                expiryQueue.schedule(t, deadline(t));
            }
        }
    }

    private Ticket loadTicket(LockImage.TicketImage i, TicketList list) {
        Ticket t = new Ticket(i.id(), -1, i.info(), i.key(), this, i.queuedAt());
        t.lastSeen = i.lastSeen();
        list.addLast(t);
        context.tickets.put(t);
        rememberKey(t);
        return t;
    }

    private void rememberKey(Ticket t) {
        if (t.key != null) {
            if (byKey == null) {
                byKey = new HashMap<>();
            }
            byKey.put(t.key, t);
        }
    }

    private boolean isEmpty() {
        return queue.isEmpty() && granted.isEmpty();
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
        if (t.state == TicketState.GRANTED) {
            granted.remove(t);
        } else {
            queue.remove(t);
        }
        t.state = TicketState.GONE;
        context.tickets.remove(t);
        if (t.key != null) {
            byKey.remove(t.key, t);
        }
        wakeParked(t, false);
        leaveIfDrained();
    }

    /** Grants the oldest queued tickets while slots are free; tells the listener last, so its failure leaves no slot idle. */
    private void grantWaiting(long now) {
        RuntimeException failed = null;
        while (granted.size() < settings.size() && !queue.isEmpty()) {
            Ticket t = queue.first();
            queue.remove(t);
            t.state = TicketState.GRANTED;
            t.grantedAt = now;
            t.graceFrom = now;
            t.token = ++lastToken;
            t.claimed = false;
            granted.addLast(t);
            expiryQueue.schedule(t, deadline(t)); // grace and maximum lock time count from now
            wakeParked(t, true);
            counts.granted(now - t.queuedAt);
            try {
                context.listener.granted(name, t.id, t.token, now - t.queuedAt);
            } catch (RuntimeException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
