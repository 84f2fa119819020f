package lockserver.server.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.core.RestoredDelay;
import lockserver.core.RestoredTicket;

/**
 * The live state as the journal knows it (every ticket in queue order, the last token of
 * each lock, the locks lock.create made, the slots LOCK_DELAY keeps closed): what a restart
 * restores and what a snapshot saves.
 * Changes apply idempotently, so a batch written twice after a failed write is harmless.
 * Touched by the opening thread, then by the writer only.
 */
final class JournalState {
    private static final class Entry {
        final String lock;
        final String info;
        final String key;
        final long request; // JournalFormat.pack
        boolean granted;
        long token;
        long grantedAtMillis;
        boolean claimed;
        String revoke; // an admin's reason to ask the holder to let go, or null
        long revokeAtMillis;

        Entry(String lock, String info, String key, long request) {
            this.lock = lock;
            this.info = info;
            this.key = key;
            this.request = request;
        }
    }

    /** Slots of an ended holder that LOCK_DELAY keeps closed until {@code untilMillis} (wall clock). */
    private record Cooling(String lock, int slots, long untilMillis) {
    }

    private final LinkedHashMap<String, Entry> tickets = new LinkedHashMap<>();
    private final Map<String, Long> lastTokens = new LinkedHashMap<>();
    private final Map<String, Integer> createdLocks = new LinkedHashMap<>();
    private final Map<String, Cooling> cooling = new LinkedHashMap<>(); // those over are dropped by a snapshot

    void apply(Change c) {
        switch (c.kind) {
            case QUEUED -> tickets.put(c.ticket, new Entry(c.lock, c.info, c.key, c.number));
            case GRANTED -> {
                Entry e = tickets.get(c.ticket);
                if (e != null) {
                    e.granted = true;
                    e.token = c.token;
                    e.grantedAtMillis = c.number;
                    e.claimed = false;
                }
                lastTokens.merge(c.lock, c.token, Math::max);
            }
            case CLAIMED -> {
                Entry e = tickets.get(c.ticket);
                if (e != null && c.info == null) {
                    e.claimed = true;
                } else if (e != null) {
                    e.revoke = c.info;
                    e.revokeAtMillis = c.number;
                }
            }
            case REMOVED -> {
                tickets.remove(c.ticket);
                if (c.token > 0) {
                    cooling.put(c.ticket, new Cooling(c.lock, (int) Math.min(Integer.MAX_VALUE, c.token), c.number));
                }
            }
            case LOCK_CREATED -> createdLocks.put(c.lock, (int) c.number);
            case LAST_TOKEN -> lastTokens.merge(c.lock, c.token, Math::max);
            case HEADER, SYNC -> {
                // no state: the header's generation is read by the recovery
            }
        }
    }

    int ticketCount() {
        return tickets.size();
    }

    /** The tickets to restore, in queue order, their grant ages measured from {@code nowMillis}. */
    List<RestoredTicket> restoredTickets(long nowMillis) {
        List<RestoredTicket> out = new ArrayList<>(tickets.size());
        tickets.forEach((id, e) -> out.add(new RestoredTicket(id, e.lock, e.info, e.granted, e.token,
                e.granted ? TimeUnit.MILLISECONDS.toNanos(Math.max(0, nowMillis - e.grantedAtMillis)) : 0,
                e.claimed, JournalFormat.unpack(e.request), e.key, e.revoke,
                e.revoke == null ? 0 : TimeUnit.MILLISECONDS.toNanos(Math.max(0, e.revokeAtMillis - nowMillis)))));
        return out;
    }

    /** The slots whose LOCK_DELAY is not over at {@code nowMillis}, with what is left of it. */
    List<RestoredDelay> restoredDelays(long nowMillis) {
        List<RestoredDelay> out = new ArrayList<>();
        cooling.forEach((ticket, c) -> {
            if (c.untilMillis > nowMillis) {
                out.add(new RestoredDelay(c.lock, ticket, c.slots,
                        TimeUnit.MILLISECONDS.toNanos(c.untilMillis - nowMillis)));
            }
        });
        return out;
    }

    Map<String, Long> lastTokens() {
        return Map.copyOf(lastTokens);
    }

    Map<String, Integer> createdLocks() {
        return Map.copyOf(createdLocks);
    }

    /**
     * Writes this state as a snapshot whose journal file is {@code generation}, in 64 KB
     * pieces: built whole in memory, 100,000 tickets made a burst of garbage that pushed live
     * tickets into the old generation and ended in a full GC.
     */
    void writeSnapshot(FileChannel f, JournalFormat format, long generation, long nowMillis) throws IOException {
        Change c = new Change(false);
        format.reset();
        format.add(c.set(Change.Kind.HEADER, null, null, null, 0, generation));
        for (Map.Entry<String, Long> e : lastTokens.entrySet()) {
            format.add(c.set(Change.Kind.LAST_TOKEN, null, e.getKey(), null, e.getValue(), 0));
            format.writeToIfFull(f);
        }
        for (Map.Entry<String, Integer> e : createdLocks.entrySet()) {
            format.add(c.set(Change.Kind.LOCK_CREATED, null, e.getKey(), null, 0, e.getValue()));
            format.writeToIfFull(f);
        }
        for (Map.Entry<String, Entry> e : tickets.entrySet()) {
            Entry t = e.getValue();
            format.add(c.set(Change.Kind.QUEUED, e.getKey(), t.lock, t.info, 0, t.request).key(t.key));
            if (t.granted) {
                format.add(c.set(Change.Kind.GRANTED, e.getKey(), t.lock, null, t.token, t.grantedAtMillis));
                if (t.claimed) {
                    format.add(c.set(Change.Kind.CLAIMED, e.getKey(), null, null, 0, 0));
                }
                if (t.revoke != null) {
                    format.add(c.set(Change.Kind.CLAIMED, e.getKey(), null, t.revoke, 0, t.revokeAtMillis));
                }
            }
            format.writeToIfFull(f);
        }
        cooling.values().removeIf(k -> k.untilMillis <= nowMillis);
        for (Map.Entry<String, Cooling> e : cooling.entrySet()) {
            Cooling k = e.getValue();
            format.add(c.set(Change.Kind.REMOVED, e.getKey(), k.lock, null, k.slots, k.untilMillis));
            format.writeToIfFull(f);
        }
        format.writeTo(f);
        format.reset();
    }
}
