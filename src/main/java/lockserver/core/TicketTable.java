package lockserver.core;

import lockserver.wire.Fault;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The live tickets by id. A ticket made here gets a slot, and its id names the slot (its
 * first 8 hex digits, masked with a per-table random number) before 96 random bits: finding a
 * ticket is one array read and a string compare, and removing one is a store into that
 * slot. The lifecycle removes thousands of tickets a tick, each on cold memory, and a hash
 * map's removal (its table, its entry, a lock on the entry) was a third of a tick.
 * Tickets whose ids were made elsewhere (restored from a journal) are kept in a hash map
 * beside the slots.
 *
 * <p>Thread-safe. Lookups take no lock. {@link #lock} guards the free slots and the growth
 * of the chunk directory; slots live in chunks that never move, so a slot is written with
 * a release store and read with an acquire load, without the lock. A freed slot is reused:
 * a lookup with the id of a ticket gone before finds another ticket there, or none, and
 * answers that it is gone.
 */
final class TicketTable {
    private static final int CHUNK_BITS = 12;
    private static final int CHUNK = 1 << CHUNK_BITS;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Ticket[].class);

    private final int mask; // so that ids do not all start with zeros; it hides nothing (lock.list shows counts)
    private final ReentrantLock lock = new ReentrantLock();
    private volatile Ticket[][] chunks = new Ticket[0][];
    private final ConcurrentHashMap<String, Ticket> foreign = new ConcurrentHashMap<>(); // ids made elsewhere
    // guarded by lock
    private int[] free = new int[CHUNK];
    private int freeCount;
    private int used; // slots 0..used-1 have been handed out at least once

    TicketTable(int mask) {
        this.mask = mask;
    }

    /** Hands out a free slot; the caller fills it with {@link #put} right away (nothing between may fail). */
    int reserve() {
        lock.lock();
        try {
            if (freeCount > 0) {
                return free[--freeCount];
            }
            if (used == Integer.MAX_VALUE) {
                throw new LockException(Fault.QUEUE_FULL, "the server holds " + used + " tickets, the most it can");
            }
            int slot = used++;
            if ((slot >>> CHUNK_BITS) >= chunks.length) {
                Ticket[][] grown = Arrays.copyOf(chunks, chunks.length + 1);
                grown[chunks.length] = new Ticket[CHUNK];
                chunks = grown;
            }
            return slot;
        } finally {
            lock.unlock();
        }
    }

    /** The id of the ticket in {@code slot}: 8 hex digits of the masked slot, then {@code random}'s 24. */
    String id(int slot, String random) {
        return hex8(slot ^ mask) + random;
    }

    /** Adds a ticket made with a reserved slot, or, with slot -1, one whose id was made elsewhere. */
    void put(Ticket t) {
        if (t.slot < 0) {
            foreign.put(t.id, t);
        } else {
            SLOT.setRelease(chunks[t.slot >>> CHUNK_BITS], t.slot & (CHUNK - 1), t);
        }
    }

    /** The ticket of that id (32 lowercase hex digits), or null. */
    Ticket get(String id) {
        int slot = parseHex8(id) ^ mask;
        Ticket[][] c = chunks;
        if (slot >= 0 && (slot >>> CHUNK_BITS) < c.length) {
            Ticket t = (Ticket) SLOT.getAcquire(c[slot >>> CHUNK_BITS], slot & (CHUNK - 1));
            if (t != null && t.id.equals(id)) {
                return t;
            }
        }
        return foreign.isEmpty() ? null : foreign.get(id);
    }

    /** Removes {@code t}; its slot may be handed out again at once. */
    void remove(Ticket t) {
        if (t.slot < 0) {
            foreign.remove(t.id, t);
            return;
        }
        lock.lock();
        try {
            Ticket[] chunk = chunks[t.slot >>> CHUNK_BITS];
            if (chunk[t.slot & (CHUNK - 1)] == t) {
                SLOT.setRelease(chunk, t.slot & (CHUNK - 1), (Ticket) null);
                pushFree(t.slot);
            }
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return used - freeCount + foreign.size();
        } finally {
            lock.unlock();
        }
    }

    /** Calls {@code action} with every ticket here; tickets added or removed meanwhile may be missed. */
    void forEach(Consumer<Ticket> action) {
        for (Ticket[] chunk : chunks) {
            for (int i = 0; i < CHUNK; i++) {
                Ticket t = (Ticket) SLOT.getAcquire(chunk, i);
                if (t != null) {
                    action.accept(t);
                }
            }
        }
        foreign.values().forEach(action);
    }

    private void pushFree(int slot) {
        if (freeCount == free.length) {
            free = Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = slot;
    }

    private static String hex8(int v) {
        char[] c = new char[8];
        for (int i = 7; i >= 0; i--) {
            c[i] = Character.forDigit(v & 15, 16);
            v >>>= 4;
        }
        return new String(c);
    }

    private static int parseHex8(String id) {
        int v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 4) | Character.digit(id.charAt(i), 16);
        }
        return v;
    }
}
