package lockserver.safety;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The independent safety checker. Knows nothing of the server's code: it is fed the lock
 * sizes, what the clients saw ({@link Hold}s with their timestamps and fencing tokens, and
 * the tickets their queries got) and the server's own grant log ({@link GrantRecord}s in
 * journal order, across restarts), and reports every broken invariant:
 * <ol>
 * <li>client view: at no instant do more than SIZE vouched holding intervals of a lock overlap;
 * fencing tokens of a lock are unique and grow for each client; no live grant is reported
 * gone before any of its deadlines could have passed;</li>
 * <li>grant log: replayed per lock, never more than SIZE granted; tokens strictly increase
 * (across restarts too); grants go to the oldest queued ticket; every record refers to a
 * ticket in the right state; at the end of every operation either all SIZE slots are taken
 * or nobody is queued, so every released or expired slot is handed on at once; the live
 * tickets when a run stopped are the number the next run restored;</li>
 * <li>cross-check: every ticket a client got, every grant and token it saw, every claim and
 * every release answered true appear in the log with the same lock, ticket and token.</li>
 * </ol>
 */
public final class SafetyChecker {
    private static final int MAX_DETAILS = 25;

    private final Map<String, Integer> sizes;
    private final List<String> problems = new ArrayList<>();
    private int problemCount;

    /** Per lock, for the summary. */
    public static final class LockStats {
        public final String lock;
        public final int size;
        public int clientMax;
        int logMax;
        long clientIntervals;
        long grants;
        long claims;
        long removedHolders;
        long removedQueued;
        long reuses;
        long boundaryChecks;
        long firstToken;
        long lastToken;

        LockStats(String lock, int size) {
            this.lock = lock;
            this.size = size;
        }
    }

    public final Map<String, LockStats> stats = new LinkedHashMap<>();

    public SafetyChecker(Map<String, Integer> sizes) {
        this.sizes = sizes;
        sizes.forEach((lock, size) -> stats.put(lock, new LockStats(lock, size)));
    }

    public List<String> problems() {
        return problems;
    }

    public int problemCount() {
        return problemCount;
    }

    public void problem(String what) {
        problemCount++;
        if (problems.size() < MAX_DETAILS) {
            problems.add(what);
        }
    }

    // ---------------------------------------------------------------- checker 1: the clients' view

    public void checkClients(List<Hold> holds) {
        Map<String, List<Hold>> byLock = new TreeMap<>();
        for (Hold h : holds) {
            if (h.premature) {
                problem("client view: " + h + ": " + h.prematureWhat);
            }
            byLock.computeIfAbsent(h.lock, k -> new ArrayList<>()).add(h);
        }
        for (Map.Entry<String, List<Hold>> e : byLock.entrySet()) {
            String lock = e.getKey();
            LockStats st = stats.get(lock);
            if (st == null) {
                problem("client view: a grant on lock " + lock + ", which is not configured");
                continue;
            }
            sweep(st, e.getValue());
            Map<Long, Hold> byToken = new HashMap<>();
            for (Hold h : e.getValue()) {
                if (h.token != 0) {
                    Hold other = byToken.putIfAbsent(h.token, h);
                    if (other != null) {
                        problem("client view: fencing token " + h.token + " of lock " + lock + " given twice: "
                                + other + " and " + h);
                    }
                }
            }
        }
        Map<String, Hold> lastOfClientAndLock = new HashMap<>();
        List<Hold> ordered = new ArrayList<>(holds);
        ordered.sort(Comparator.comparingInt((Hold h) -> h.client).thenComparingInt(h -> h.seq));
        for (Hold h : ordered) {
            if (h.token == 0) {
                continue;
            }
            Hold before = lastOfClientAndLock.put(h.client + "/" + h.lock, h);
            if (before != null && h.token <= before.token) {
                problem("client view: client " + h.client + " got token " + h.token + " on " + h.lock
                        + " after token " + before.token + " (" + before + " then " + h + ")");
            }
        }
    }

    /** At no instant more than SIZE vouched intervals; an interval ending when another starts does not overlap it. */
    private void sweep(LockStats st, List<Hold> holds) {
        List<long[]> events = new ArrayList<>(); // time, +1/-1, index
        for (int i = 0; i < holds.size(); i++) {
            Hold h = holds.get(i);
            if (h.hasInterval()) {
                st.clientIntervals++;
                events.add(new long[] {h.granted, 1, i});
                events.add(new long[] {h.end, -1, i});
            }
        }
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0] - b[0], 0) : Long.compare(a[1], b[1]));
        Set<Integer> active = new LinkedHashSet<>();
        int reported = 0;
        for (long[] ev : events) {
            if (ev[1] < 0) {
                active.remove((int) ev[2]);
                continue;
            }
            active.add((int) ev[2]);
            st.clientMax = Math.max(st.clientMax, active.size());
            if (active.size() > st.size && reported++ < 3) {
                StringBuilder who = new StringBuilder();
                int listed = 0;
                for (int i : active) {
                    Hold h = holds.get(i);
                    if (listed++ == 8) {
                        who.append("\n    ... and ").append(active.size() - 8).append(" more");
                        break;
                    }
                    who.append("\n    ").append(h).append(" vouched [").append(h.granted).append(", ").append(h.end)
                            .append("]");
                }
                problem("client view: " + active.size() + " holders of " + st.lock + " (size " + st.size
                        + ") at the same instant:" + who);
            }
        }
    }

    /**
     * Fencing tokens follow real time: a grant the client saw (lock.wait answered true)
     * before another ticket of the same lock was even queried was made first, so its token is
     * smaller. Catches a node that hands out a token from a stale state, which the per-client
     * order alone can miss.
     */
    public void checkTokenOrder(List<Hold> holds) {
        Map<String, List<Hold>> byLock = new TreeMap<>();
        for (Hold h : holds) {
            if (h.token != 0) {
                byLock.computeIfAbsent(h.lock, k -> new ArrayList<>()).add(h);
            }
        }
        for (List<Hold> list : byLock.values()) {
            List<Hold> bySeen = new ArrayList<>(list);
            bySeen.sort((a, b) -> Long.compare(a.granted - b.granted, 0));
            List<Hold> byQueried = new ArrayList<>(list);
            byQueried.sort((a, b) -> Long.compare(a.queried - b.queried, 0));
            int next = 0;
            Hold highest = null;
            int reported = 0;
            for (Hold later : byQueried) {
                while (next < bySeen.size() && bySeen.get(next).granted - later.queried < 0) {
                    Hold seen = bySeen.get(next++);
                    if (highest == null || seen.token > highest.token) {
                        highest = seen;
                    }
                }
                if (highest != null && later.token <= highest.token && reported++ < 3) {
                    problem("client view: token " + later.token + " of " + later + " does not grow: " + highest
                            + " had token " + highest.token + " and was seen granted "
                            + (later.queried - highest.granted) / 1_000_000 + " ms before the later ticket was queried");
                }
            }
        }
    }

    /**
     * A queued ticket must not vanish while its client keeps calling: it may end only by idle
     * expiry (no call for EXPIRATION_TIME) or by a grant nobody claimed within GRACE_TIME, and
     * a grant is made after the last call that found the ticket still queued. So a "gone"
     * answer before that call plus the shorter of the two, less the margin, is a lost ticket.
     */
    public void checkQueuedGone(List<StressClient.QueuedGone> gone, long graceNanos, Hold.Timing t) {
        for (StressClient.QueuedGone g : gone) {
            long earliest = g.lastAlive() + Math.min(graceNanos, t.expirationNanos()) - t.marginNanos();
            if (g.received() - earliest < 0) {
                problem("client view: queued ticket " + g.ticket() + " of lock " + g.lock() + " (client " + g.client()
                        + ") lost: found gone " + (g.received() - g.lastAlive()) / 1_000_000 + " ms after the last call "
                        + "that found it queued was sent (query " + (g.received() - g.queried()) / 1_000_000
                        + " ms before; " + g.failedCalls() + " failed wait call(s))");
            }
        }
    }

    // ---------------------------------------------------------------- checker 2: the server's grant log

    private static final class State {
        final LinkedHashSet<String> queued = new LinkedHashSet<>();
        final LinkedHashSet<String> granted = new LinkedHashSet<>();
        long lastToken;
        /** a holder left while tickets were queued: the next records of the lock must hand its slot on */
        String freedBy;
    }

    private final Map<String, State> states = new HashMap<>();
    private final Map<String, String> lockOfTicket = new HashMap<>();
    private final Map<String, Long> tokenOfTicket = new HashMap<>();
    private final Set<String> claimed = new HashSet<>();
    private final Map<String, Integer> removedAt = new HashMap<>();
    private final Map<String, Integer> grantedAt = new HashMap<>();

    /**
     * Replays the grant log. {@code runStarts.get(k)} is the index of the first record of run k
     * and {@code restored.get(k)} the number of tickets run k said it restored (-1: unknown).
     */
    void checkGrantLog(List<GrantRecord> records, List<Integer> runStarts, List<Integer> restored,
                       boolean expectDrained) {
        for (String lock : sizes.keySet()) {
            states.put(lock, new State());
        }
        for (int i = 0; i < records.size(); i++) {
            int run = runStarts.indexOf(i);
            if (run > 0 && restored.get(run) >= 0) {
                int live = lockOfTicket.size() - removedAt.size();
                if (live != restored.get(run)) {
                    problem("grant log: run " + run + " restored " + restored.get(run) + " ticket(s), but "
                            + live + " were live at the end of run " + (run - 1) + " by the log");
                }
            }
            apply(records.get(i), i);
        }
        for (Map.Entry<String, State> e : states.entrySet()) {
            atOperationBoundary(e.getKey(), e.getValue(), "at the end of the log");
            if (expectDrained && (!e.getValue().granted.isEmpty() || !e.getValue().queued.isEmpty())) {
                problem("grant log: lock " + e.getKey() + " ends with " + e.getValue().granted.size() + " granted and "
                        + e.getValue().queued.size() + " queued, though the server reported it empty");
            }
        }
    }

    private void apply(GrantRecord r, int i) {
        String where = "record #" + i + " " + r;
        switch (r.type()) {
            case 'L' -> {
                if (!states.containsKey(r.lock())) {
                    states.put(r.lock(), new State());
                    stats.put(r.lock(), new LockStats(r.lock(), (int) r.token()));
                }
            }
            case 'Q' -> {
                State s = states.get(r.lock());
                if (s == null) {
                    problem("grant log: " + where + ": unknown lock");
                    return;
                }
                if (lockOfTicket.putIfAbsent(r.ticket(), r.lock()) != null) {
                    problem("grant log: " + where + ": the ticket was queued before");
                    return;
                }
                atOperationBoundary(r.lock(), s, "before " + where);
                s.queued.add(r.ticket());
            }
            case 'G' -> {
                State s = states.get(r.lock());
                LockStats st = stats.get(r.lock());
                if (s == null) {
                    problem("grant log: " + where + ": unknown lock");
                    return;
                }
                if (!r.lock().equals(lockOfTicket.get(r.ticket()))) {
                    problem("grant log: " + where + ": the ticket was queued on " + lockOfTicket.get(r.ticket()));
                }
                if (!s.queued.contains(r.ticket())) {
                    problem("grant log: " + where + ": granted a ticket that is not queued ("
                            + (s.granted.contains(r.ticket()) ? "already granted" : "gone or never queued") + ")");
                } else {
                    String oldest = s.queued.iterator().next();
                    if (!oldest.equals(r.ticket())) {
                        problem("grant log: " + where + ": not FIFO: ticket " + oldest + " was queued earlier and "
                                + "still waits");
                    }
                    s.queued.remove(r.ticket());
                }
                s.granted.add(r.ticket());
                grantedAt.put(r.ticket(), i);
                tokenOfTicket.put(r.ticket(), r.token());
                st.grants++;
                st.logMax = Math.max(st.logMax, s.granted.size());
                if (s.granted.size() > st.size) {
                    problem("grant log: " + where + ": " + s.granted.size() + " tickets granted on " + r.lock()
                            + " of size " + st.size + ": " + s.granted);
                }
                if (r.token() <= s.lastToken) {
                    problem("grant log: " + where + ": token " + r.token() + " does not grow (the last grant of "
                            + r.lock() + " had token " + s.lastToken + ")");
                }
                if (st.firstToken == 0) {
                    st.firstToken = r.token();
                }
                st.lastToken = r.token();
                s.lastToken = Math.max(s.lastToken, r.token());
                if (s.freedBy != null) {
                    st.reuses++;
                    s.freedBy = null;
                }
            }
            case 'C', 'X' -> {
                String lock = lockOfTicket.get(r.ticket());
                if (lock == null) {
                    problem("grant log: " + where + ": a ticket never queued");
                    return;
                }
                State s = states.get(lock);
                LockStats st = stats.get(lock);
                atOperationBoundary(lock, s, "before " + where);
                if (r.type() == 'C') {
                    if (!s.granted.contains(r.ticket())) {
                        problem("grant log: " + where + ": claims a ticket that is not granted");
                    } else if (!claimed.add(r.ticket())) {
                        problem("grant log: " + where + ": claimed twice");
                    }
                    st.claims++;
                    return;
                }
                if (s.granted.remove(r.ticket())) {
                    st.removedHolders++;
                    if (!s.queued.isEmpty()) {
                        s.freedBy = where;
                    }
                } else if (s.queued.remove(r.ticket())) {
                    st.removedQueued++;
                } else {
                    problem("grant log: " + where + ": removes a ticket that is already gone");
                    return;
                }
                removedAt.put(r.ticket(), i);
            }
            default -> problem("grant log: " + where + ": unknown record type");
        }
    }

    /**
     * Between two operations on a lock (before its next query, claim or removal record, and at
     * the end), every slot is taken or nobody waits: a freed slot went to the oldest waiter.
     */
    private void atOperationBoundary(String lock, State s, String where) {
        LockStats st = stats.get(lock);
        st.boundaryChecks++;
        if (s.granted.size() < st.size && !s.queued.isEmpty()) {
            problem("grant log: " + where + ": lock " + lock + " has " + s.granted.size() + " of " + st.size
                    + " slots granted while " + s.queued.size() + " ticket(s) wait (oldest " + s.queued.iterator().next()
                    + ")" + (s.freedBy == null ? "" : "; the slot was freed by " + s.freedBy) + ": not reused");
            s.freedBy = null;
        }
    }

    // ---------------------------------------------------------------- cross-check

    /** What the clients saw must be in the grant log. Call after {@link #checkGrantLog}. */
    void crossCheck(List<Hold> holds, List<String[]> queried) {
        for (String[] q : queried) {
            String lock = lockOfTicket.get(q[1]);
            if (!q[0].equals(lock)) {
                problem("cross-check: the query of ticket " + q[1] + " on " + q[0] + " was answered, but the log "
                        + (lock == null ? "has no queued record for it" : "queued it on " + lock));
            }
        }
        for (Hold h : holds) {
            Long token = tokenOfTicket.get(h.ticket);
            if (token == null || !h.lock.equals(lockOfTicket.get(h.ticket))) {
                problem("cross-check: " + h + " was granted, but the log has no grant of it on " + h.lock);
                continue;
            }
            if (h.token != 0 && h.token != token) {
                problem("cross-check: " + h + ": the client got token " + h.token + ", the log granted token " + token);
            }
            if (!claimed.contains(h.ticket)) {
                problem("cross-check: " + h + ": lock.wait answered true, but the log has no claim of it");
            }
            if (h.how == Hold.End.RELEASED) {
                Integer removed = removedAt.get(h.ticket);
                if (removed == null || removed < grantedAt.get(h.ticket)) {
                    problem("cross-check: " + h + ": lock.release answered true, but the log never removes it");
                }
            }
        }
    }

    /** Live tickets per lock after the replay: granted, queued. */
    Map<String, int[]> finalState() {
        Map<String, int[]> out = new TreeMap<>();
        states.forEach((lock, s) -> out.put(lock, new int[] {s.granted.size(), s.queued.size()}));
        return out;
    }
}
