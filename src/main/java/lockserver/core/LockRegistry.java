package lockserver.core;

import lockserver.wire.Fault;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * All named locks of one server and the tickets in them: the whole semaphore state
 * machine, without I/O. Thread-safe: the maps are concurrent, and each lock's state is
 * guarded by that {@link NamedSemaphore}'s own lock, so locks contend with each other only
 * for the {@link ExpiryQueue}'s and the {@link TicketTable}'s locks, each held for O(1)
 * work. Ticket ids carry 96 random bits (and a masked slot number), so a ticket cannot be
 * guessed.
 */
public final class LockRegistry {
    public static final int MAX_INFO_LENGTH = 1024;
    public static final int MAX_KEY_LENGTH = 128;

    final Clock clock;
    final LockListener listener;
    final ExpiryQueue expiryQueue = new ExpiryQueue();
    private final ConcurrentHashMap<String, NamedSemaphore> locks = new ConcurrentHashMap<>();
    /** By lock name, never removed: a lock removed and added again goes on counting. */
    private final ConcurrentHashMap<String, LockCounts> counts = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    final TicketTable tickets = new TicketTable(random.nextInt());
    private final SemaphoreContext context;
    private volatile boolean closed;

    public LockRegistry(Clock clock) {
        this(clock, LockListener.NONE);
    }

    public LockRegistry(Clock clock, LockListener listener) {
        this(clock, listener, false);
    }

    private LockRegistry(Clock clock, LockListener listener, boolean replicated) {
        this.clock = clock;
        this.listener = listener;
        this.context = new SemaphoreContext(clock, listener, expiryQueue, tickets, replicated, this::countsFor,
                this::drained);
    }

    /**
     * The state of one cluster node, changed only by the entries its log commits: ticket ids
     * come from the entries ({@link #query(String, String, String, String)}), {@code clock}
     * reads the time the entry carries, and a wait on this node is no sign of life.
     */
    public static LockRegistry replica(Clock clock) {
        return new LockRegistry(clock, LockListener.NONE, true);
    }

    /** Adds a lock that is not in the config; returns false (and changes nothing) if one of that name exists. */
    public boolean create(String name, LockSettings settings) {
        checkLockName(name);
        if (closed) {
            throw new LockException(Fault.SHUTTING_DOWN, "the server is shutting down");
        }
        return locks.putIfAbsent(name, new NamedSemaphore(name, settings, false, context)) == null;
    }

    /**
     * Makes the configured locks match {@code wanted}: adds new ones, applies changed
     * settings, and retires configured locks no longer wanted (they take no queries and
     * leave once drained). Locks made by {@link #create} stay. Returns one line per change.
     */
    public synchronized List<String> configure(Map<String, LockSettings> wanted) {
        List<String> changes = new ArrayList<>();
        for (Map.Entry<String, LockSettings> e : wanted.entrySet()) {
            String name = e.getKey();
            LockSettings settings = e.getValue();
            checkLockName(name);
            configureOne(name, settings, changes);
        }
        for (NamedSemaphore s : locks.values()) {
            if (s.configured() && !wanted.containsKey(s.name()) && !s.isRetired()) {
                LockStatus st = s.status();
                s.retire();
                changes.add("lock " + s.name() + " removed: takes no new queries; " + st.granted() + " holder(s) and "
                        + st.queued() + " queued ticket(s) drain");
            }
        }
        return changes;
    }

    /**
     * Applies {@code settings} to the lock of that name, or adds it. A lock is only ever put
     * where there is none: lock.create (not synchronized) may add one meanwhile, and a lock
     * replaced while in use would let two semaphores grant the same name's slots.
     */
    private void configureOne(String name, LockSettings settings, List<String> changes) {
        while (true) {
            NamedSemaphore existing = locks.get(name);
            if (existing != null) {
                LockSettings before = existing.settings();
                boolean wasRetired = existing.isRetired();
                int tooLarge = existing.reconfigure(settings);
                if (tooLarge >= 0) {
                    if (wasRetired) {
                        changes.add("lock " + name + " is configured again and takes queries");
                    }
                    if (!before.equals(settings)) {
                        changes.add("lock " + name + ": " + describe(before) + " -> " + describe(settings));
                    }
                    if (tooLarge > 0) {
                        changes.add("lock " + name + ": ended " + tooLarge + " queued ticket(s) that asked for more "
                                + "than its " + settings.size() + " slot(s)");
                    }
                    return;
                }
                locks.remove(name, existing); // drained and gone (it takes itself out; this makes sure)
            } else if (locks.putIfAbsent(name, new NamedSemaphore(name, settings, true, context)) == null) {
                changes.add("lock " + name + " added: " + describe(settings));
                return;
            }
        }
    }

    /**
     * Puts back what a journal remembered, before the server takes requests: tickets of a
     * lock no longer configured come back on a retired lock of {@code orphanSettings} that
     * drains. {@code tickets} are in journal order (so queues keep their order). Slots
     * {@code delays} name stay closed on locks that are still there.
     */
    public synchronized void restore(List<RestoredTicket> tickets, List<RestoredDelay> delays,
                                     Map<String, Long> lastTokens, LockSettings orphanSettings) {
        Map<String, List<RestoredTicket>> byLock = new java.util.LinkedHashMap<>();
        for (RestoredTicket t : tickets) {
            byLock.computeIfAbsent(t.lock(), k -> new ArrayList<>()).add(t);
        }
        Map<String, List<RestoredDelay>> delaysByLock = new HashMap<>();
        for (RestoredDelay d : delays) {
            delaysByLock.computeIfAbsent(d.lock(), k -> new ArrayList<>()).add(d);
            byLock.computeIfAbsent(d.lock(), k -> new ArrayList<>());
        }
        for (String lock : lastTokens.keySet()) {
            byLock.computeIfAbsent(lock, k -> new ArrayList<>());
        }
        for (Map.Entry<String, List<RestoredTicket>> e : byLock.entrySet()) {
            NamedSemaphore s = locks.get(e.getKey());
            List<RestoredDelay> cooling = delaysByLock.getOrDefault(e.getKey(), List.of());
            long lastToken = lastTokens.getOrDefault(e.getKey(), 0L);
            if (s == null) {
                if (e.getValue().isEmpty()) {
                    continue; // a lock that is gone and had no tickets left: nobody can take its slots
                }
                s = new NamedSemaphore(e.getKey(), orphanSettings, true, context);
                locks.put(e.getKey(), s);
                s.restore(e.getValue(), cooling, lastToken);
                s.retire();
            } else {
                s.restore(e.getValue(), cooling, lastToken);
            }
        }
    }

    /**
     * A sign of life for every ticket: called once the server takes requests after a
     * restore, so restored clients get their full expiration time to reach it.
     */
    public void renewAll() {
        tickets.forEach(t -> t.semaphore.refresh(t));
    }

    /** Every lock exactly as it stands, sorted by name: a cluster node's snapshot. */
    public List<LockImage> image() {
        List<LockImage> all = new ArrayList<>(locks.size());
        for (NamedSemaphore s : locks.values()) {
            all.add(s.image());
        }
        all.sort(Comparator.comparing(LockImage::name));
        return all;
    }

    /** Puts back {@link #image()}'s locks exactly, into a registry that has none yet (a node loading a snapshot). */
    public synchronized void load(List<LockImage> images) {
        if (!locks.isEmpty()) {
            throw new IllegalStateException("load into a registry that already has locks");
        }
        for (LockImage image : images) {
            NamedSemaphore s = new NamedSemaphore(image.name(), image.settings(), image.configured(), context);
            locks.put(image.name(), s);
            s.load(image);
        }
    }

    /** The counts of every lock name this registry has had, for the metrics. */
    public Map<String, LockCounts> counts() {
        return Collections.unmodifiableMap(counts);
    }

    private LockCounts countsFor(String lock) {
        return counts.computeIfAbsent(lock, name -> new LockCounts());
    }

    private void drained(NamedSemaphore s) {
        locks.remove(s.name(), s);
    }

    private static String describe(LockSettings s) {
        return String.format(Locale.ROOT, "size %d, grace %s s, expiration %s s, max lock time %s s, max queue %d",
                s.size(), secs(s.graceNanos()), secs(s.idleNanos()), secs(s.maxHoldNanos()), s.maxQueue());
    }

    private static String secs(long nanos) {
        return java.math.BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
    }

    /** Appends a new ticket to the lock's queue (granting it at once if a slot is free) and returns its id. */
    public String query(String lock, String info) {
        return query(lock, info, null);
    }

    /**
     * Like {@link #query(String, String)}, but a query with the {@code key} (null: none) of
     * a ticket of this lock that still lives returns that ticket: a client's retry after a
     * lost answer leaves no second ticket behind.
     */
    public String query(String lock, String info, String key) {
        return query(lock, info, key, SlotRequest.ONE);
    }

    /** Like {@link #query(String, String, String)}, asking for the slots and priority of {@code request}. */
    public String query(String lock, String info, String key, SlotRequest request) {
        checkQuery(info, key);
        NamedSemaphore semaphore = semaphore(lock);
        byte[] bytes = new byte[12];
        random.nextBytes(bytes);
        return semaphore.query(null, HexFormat.of().formatHex(bytes), info, key, request).id;
    }

    /** Like {@link #query(String, String, String, SlotRequest)} with the new ticket's {@code id} made elsewhere (by a cluster's leader). */
    public String query(String lock, String info, String key, SlotRequest request, String id) {
        checkQuery(info, key);
        if (!isTicketId(id)) {
            throw new LockException(Fault.BAD_TICKET, "malformed ticket id '" + abbreviate(id) + "'");
        }
        return semaphore(lock).query(id, null, info, key, request).id;
    }

    private static void checkQuery(String info, String key) {
        if (info.length() > MAX_INFO_LENGTH) {
            throw new LockException(Fault.BAD_ARGUMENT,
                    "info is " + info.length() + " characters long; at most " + MAX_INFO_LENGTH + " are allowed");
        }
        if (key != null && (key.isEmpty() || key.length() > MAX_KEY_LENGTH)) {
            throw new LockException(Fault.BAD_ARGUMENT, "options.key is " + key.length()
                    + " characters long; use 1 to " + MAX_KEY_LENGTH);
        }
    }

    /**
     * Waits up to {@code timeoutNanos} (real time) for the ticket to be granted. True once
     * granted; false on timeout (the ticket stays queued), when gone, or when closing.
     */
    public boolean await(String ticket, long timeoutNanos) throws InterruptedException {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.await(t, Math.max(0, timeoutNanos), true);
    }

    /**
     * Like {@link #await} but leaves the grant unclaimed, so the caller can first make sure
     * the holder will hear of it, then {@link #claim} it. A grant nobody claims is withdrawn
     * after the grace time.
     */
    public boolean awaitUnclaimed(String ticket, long timeoutNanos) throws InterruptedException {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.await(t, Math.max(0, timeoutNanos), false);
    }

    /**
     * {@link #awaitUnclaimed} without holding a thread: the future completes with true once
     * granted, false when gone, closing or after the timeout. Run dependent stages on an
     * executor: the future may complete on a thread that holds a lock's monitor.
     */
    public CompletableFuture<Boolean> awaitAsync(String ticket, long timeoutNanos) {
        Ticket t = ticket(ticket);
        return t == null ? CompletableFuture.completedFuture(false)
                : t.semaphore.awaitAsync(t, Math.max(0, timeoutNanos));
    }

    /** Claims the ticket's grant; false if it is not granted (any more). */
    public boolean claim(String ticket) {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.claim(t);
    }

    /** Frees the slot or cancels the queued ticket; false if the ticket is gone. */
    public boolean release(String ticket) {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.release(t);
    }

    /**
     * Asks the holder to let go: {@link #check} shows {@code reason} (1 to
     * {@link #MAX_INFO_LENGTH} characters), and the ticket is ended {@code afterNanos} from
     * now unless released first. False if the ticket is gone.
     */
    public boolean revoke(String ticket, String reason, long afterNanos) {
        if (reason.isEmpty() || reason.length() > MAX_INFO_LENGTH) {
            throw new LockException(Fault.BAD_ARGUMENT, "reason is " + reason.length()
                    + " characters long; use 1 to " + MAX_INFO_LENGTH);
        }
        if (afterNanos < 0) {
            throw new LockException(Fault.BAD_ARGUMENT, "seconds must not be negative");
        }
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.revoke(t, reason, afterNanos);
    }

    /**
     * The lock's status once its version differs from {@code since}, at once if it already
     * does; else after {@code timeoutNanos} (real time), or when closing. Holds no thread.
     */
    public CompletableFuture<LockStatus> watch(String lock, long since, long timeoutNanos) {
        NamedSemaphore s = semaphore(lock);
        return s.watch(since, Math.max(0, timeoutNanos)).thenApply(changed -> s.status());
    }

    /** Records a sign of life; false if the ticket is gone. */
    public boolean renew(String ticket) {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.renew(t);
    }

    /** A snapshot of the ticket; a sign of life, and claims a fresh grant. */
    public TicketView check(String ticket) {
        Ticket t = ticket(ticket);
        return t == null ? TicketView.gone(ticket) : t.semaphore.check(t, true);
    }

    /** A snapshot of the ticket that changes nothing (not a sign of life), for operators. */
    public TicketView peek(String ticket) {
        Ticket t = ticket(ticket);
        return t == null ? TicketView.gone(ticket) : t.semaphore.check(t, false);
    }

    public LockStatus status(String lock) {
        return semaphore(lock).status();
    }

    /** Every lock's status, sorted by name. */
    public List<LockStatus> list() {
        List<LockStatus> all = new ArrayList<>(locks.size());
        for (NamedSemaphore s : locks.values()) {
            all.add(s.status());
        }
        all.sort(Comparator.comparing(LockStatus::name));
        return all;
    }

    public LockSettings settings(String lock) {
        return semaphore(lock).settings();
    }

    /** Every lock with its holders and queue, sorted by name. Shows ticket ids: for operators only. */
    public List<LockDetail> details() {
        List<LockDetail> all = new ArrayList<>(locks.size());
        for (NamedSemaphore s : locks.values()) {
            all.add(s.detail());
        }
        all.sort(Comparator.comparing(LockDetail::name));
        return all;
    }

    /**
     * Ends every ticket whose grace, idle or maximum lock time is up and hands the freed
     * slots on. Touches only tickets that are due (and those whose deadline a sign of life
     * has moved since they were filed: they are filed again).
     */
    public List<Expiry> tick() {
        ExpiryLog expired = new ExpiryLog();
        tick(expired);
        return expired.toList();
    }

    /**
     * Like {@link #tick()}, appending to {@code expired}; if it throws, {@code expired}
     * still holds what it ended before.
     */
    public void tick(ExpiryLog expired) {
        ExpiryTick.run(expiryQueue, clock.nanoTime(), context.replicated, expired);
    }

    /** Stops taking queries and answers every blocked wait with false. */
    public void close() {
        closed = true;
        for (NamedSemaphore s : locks.values()) {
            s.close();
        }
    }

    /** How many locks there are (none on a cluster node before its leader's settings arrive). */
    public int lockCount() {
        return locks.size();
    }

    public int ticketCount() {
        return tickets.size();
    }

    private NamedSemaphore semaphore(String lock) {
        NamedSemaphore s = locks.get(lock);
        if (s == null) {
            checkLockName(lock);
            throw new LockException(Fault.UNKNOWN_LOCK, "no lock named '" + lock + "'");
        }
        return s;
    }

    private Ticket ticket(String id) {
        if (!isTicketId(id)) {
            throw new LockException(Fault.BAD_TICKET,
                    "malformed ticket id '" + abbreviate(id) + "': expected 32 lowercase hex digits");
        }
        return tickets.get(id);
    }

    /**
     * Lock names: 1 to 64 of {@code A-Z a-z 0-9 _ . : -}, starting with a letter or digit;
     * safe in INI section headers, URLs and logs. (Checked by hand, not by a regex: this
     * runs on every call, and a Matcher is two allocations.)
     */
    public static boolean isLockName(String name) {
        int n = name.length();
        if (n < 1 || n > 64 || !isAsciiLetterOrDigit(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = name.charAt(i);
            if (!isAsciiLetterOrDigit(c) && c != '_' && c != '.' && c != ':' && c != '-') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAsciiLetterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** Ticket ids: 32 lowercase hex digits (a masked slot and 12 random bytes, as {@link #query} makes them). */
    static boolean isTicketId(String id) {
        if (id.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = id.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    private static void checkLockName(String name) {
        if (!isLockName(name)) {
            throw new LockException(Fault.BAD_ARGUMENT, "invalid lock name '" + abbreviate(name)
                    + "': use 1 to 64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit");
        }
    }

    /** A short, printable form of client input for error messages. */
    public static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        String head = s.length() <= 40 ? s : s.substring(0, 40) + "...";
        return head.replaceAll("[^\\p{Print}]", "?");
    }
}
