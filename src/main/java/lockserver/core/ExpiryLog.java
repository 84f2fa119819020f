package lockserver.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a lifecycle tick ended, kept for the log lines written after it. A buffer reused
 * from tick to tick, so the tick allocates nothing per ticket: it ends thousands at a time,
 * and every allocation in it brings nearer a collection that would then stop it.
 * Not thread-safe: the thread that ticks fills it and reads it.
 */
public final class ExpiryLog {
    private String[] locks = new String[64];
    private String[] tickets = new String[64];
    private String[] infos = new String[64];
    private Expiry.Cause[] causes = new Expiry.Cause[64];
    private int size;

    void add(String lock, String ticket, String info, Expiry.Cause cause) {
        if (size == locks.length) {
            int n = size * 2;
            locks = Arrays.copyOf(locks, n);
            tickets = Arrays.copyOf(tickets, n);
            infos = Arrays.copyOf(infos, n);
            causes = Arrays.copyOf(causes, n);
        }
        locks[size] = lock;
        tickets[size] = ticket;
        infos[size] = info;
        causes[size] = cause;
        size++;
    }

    public int size() {
        return size;
    }

    public String lock(int i) {
        return locks[check(i)];
    }

    public String ticket(int i) {
        return tickets[check(i)];
    }

    public String info(int i) {
        return infos[check(i)];
    }

    public Expiry.Cause cause(int i) {
        return causes[check(i)];
    }

    /** A copy of the entries, oldest first. */
    public List<Expiry> toList() {
        List<Expiry> all = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            all.add(new Expiry(locks[i], tickets[i], infos[i], causes[i]));
        }
        return all;
    }

    /** Empties it for the next tick (and lets go of the strings). */
    public void clear() {
        Arrays.fill(locks, 0, size, null);
        Arrays.fill(tickets, 0, size, null);
        Arrays.fill(infos, 0, size, null);
        Arrays.fill(causes, 0, size, null);
        size = 0;
    }

    private int check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("entry " + i + " of " + size);
        }
        return i;
    }
}
