package lockserver.core;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * All named locks of one server and the tickets in them: the whole semaphore state
 * machine, without I/O. Thread-safe: the maps are concurrent, and each lock's state is
 * guarded by that {@link NamedSemaphore}'s own lock, so locks never contend with each
 * other. Ticket ids carry 128 random bits, so a ticket cannot be guessed.
 */
public final class LockRegistry {
    /** Lock names: safe in INI section headers, URLs and logs. */
    public static final Pattern LOCK_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}");
    public static final int MAX_INFO_LENGTH = 1024;
    private static final Pattern TICKET_ID = Pattern.compile("[0-9a-f]{32}");

    final Clock clock;
    final ExpiryQueue expiryQueue = new ExpiryQueue();
    final ConcurrentHashMap<String, Ticket> tickets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, NamedSemaphore> locks = new ConcurrentHashMap<>();
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closed;

    public LockRegistry(Clock clock) {
        this.clock = clock;
    }

    /** Adds a lock; returns false (and changes nothing) if one of that name exists. */
    public boolean create(String name, LockSettings settings) {
        checkLockName(name);
        if (closed) {
            throw new LockException(Fault.SHUTTING_DOWN, "the server is shutting down");
        }
        return locks.putIfAbsent(name, new NamedSemaphore(name, settings, this)) == null;
    }

    /** Appends a new ticket to the lock's queue (granting it at once if a slot is free) and returns its id. */
    public String query(String lock, String info) {
        if (info.length() > MAX_INFO_LENGTH) {
            throw new LockException(Fault.BAD_ARGUMENT,
                    "info is " + info.length() + " characters long; at most " + MAX_INFO_LENGTH + " are allowed");
        }
        NamedSemaphore semaphore = semaphore(lock);
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return semaphore.query(HexFormat.of().formatHex(bytes), info).id;
    }

    /**
     * Waits up to {@code timeoutNanos} (real time) for the ticket to be granted. True once
     * granted; false on timeout (the ticket stays queued), when gone, or when closing.
     */
    public boolean await(String ticket, long timeoutNanos) throws InterruptedException {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.await(t, Math.max(0, timeoutNanos));
    }

    /** Frees the slot or cancels the queued ticket; false if the ticket is gone. */
    public boolean release(String ticket) {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.release(t);
    }

    /** Records a sign of life; false if the ticket is gone. */
    public boolean renew(String ticket) {
        Ticket t = ticket(ticket);
        return t != null && t.semaphore.renew(t);
    }

    /** A snapshot of the ticket; a sign of life, and claims a fresh grant. */
    public TicketView check(String ticket) {
        Ticket t = ticket(ticket);
        return t == null ? TicketView.gone(ticket) : t.semaphore.check(t);
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

    /**
     * Ends every ticket whose grace, idle or maximum lock time is up and hands the freed
     * slots on. Touches only tickets that are due.
     */
    public List<Expiry> tick() {
        long now = clock.nanoTime();
        List<Expiry> expired = List.of();
        ExpiryQueue.Entry due;
        while ((due = expiryQueue.pollDue(now)) != null) {
            if (expired.isEmpty()) {
                expired = new ArrayList<>();
            }
            due.ticket().semaphore.onDeadline(due, now, expired);
        }
        return expired;
    }

    /** Stops taking queries and answers every blocked wait with false. */
    public void close() {
        closed = true;
        for (NamedSemaphore s : locks.values()) {
            s.close();
        }
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
        if (!TICKET_ID.matcher(id).matches()) {
            throw new LockException(Fault.BAD_TICKET,
                    "malformed ticket id '" + abbreviate(id) + "': expected 32 lowercase hex digits");
        }
        return tickets.get(id);
    }

    private static void checkLockName(String name) {
        if (!LOCK_NAME.matcher(name).matches()) {
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
