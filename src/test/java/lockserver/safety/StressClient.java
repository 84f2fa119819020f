package lockserver.safety;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import lockserver.client.LockClient;
import lockserver.client.LockServerException;
import lockserver.client.TicketInfo;

/**
 * One of the stress test's clients: loops until {@code loadEnd}, each round querying a
 * random lock, waiting a random time, and then either holding (release, renew and release,
 * crash, idle past EXPIRATION_TIME, renew past MAX_LOCK_TIME) or giving up (cancel, or
 * crash while queued). Calls that fail because the server is down or stopping are retried
 * with the same ticket after a short pause until {@code hardStop}: a ticket the journal
 * restored goes on being used after the restart. Records every query and every grant it
 * saw ({@link Hold}), and every queued ticket it found gone ({@link QueuedGone}); touches
 * no shared state, so the test reads its lists after join. The calls go through an
 * {@link Rpc}: one server's {@link LockClient}, or a cluster client that moves to another
 * node when its node fails.
 */
public final class StressClient implements Runnable {
    private static final long MS = 1_000_000L;

    /** The calls a stress client makes; failures throw {@link LockServerException}. */
    public interface Rpc {
        String query(String lock, String info);

        /** As {@link LockClient#await}: false before the timeout only when the ticket is gone. */
        boolean await(String ticket, Duration timeout);

        TicketInfo check(String ticket);

        boolean release(String ticket);

        boolean renew(String ticket);

        static Rpc of(LockClient c) {
            return new Rpc() {
                public String query(String lock, String info) {
                    return c.query(lock, info);
                }

                public boolean await(String ticket, Duration timeout) {
                    return c.await(ticket, timeout);
                }

                public TicketInfo check(String ticket) {
                    return c.check(ticket);
                }

                public boolean release(String ticket) {
                    return c.release(ticket);
                }

                public boolean renew(String ticket) {
                    return c.renew(ticket);
                }
            };
        }
    }

    /**
     * A queued ticket that a wait or check found gone: when its query was sent, when the last
     * call that showed it alive (answered) was sent, and when the "gone" answer came.
     */
    public record QueuedGone(int client, String lock, String ticket, long queried, long lastAlive, long received,
                             int failedCalls) {
    }

    private final int id;
    private final Rpc rpc;
    private final Random rnd;
    private final String[] locks;
    private final int[] sizes;
    private final int[] cumulativeWeights;
    private volatile long loadEnd;
    private volatile long hardStop;
    private final Hold.Timing timing;
    private final long maxWaitNanos;
    private int seq;
    private boolean unreachable;
    /** fault codes that mean "this server cannot answer now": retried, not unexpected */
    private Set<Integer> tolerated = Set.of(LockServerException.UNREACHABLE, LockServerException.SHUTTING_DOWN);
    private int failureStreak;

    public final List<Hold> holds = new ArrayList<>();
    /** lock and ticket of every query the server answered */
    public final List<String[]> queried = new ArrayList<>();
    /** queued tickets found gone while the client waited for them */
    public final List<QueuedGone> queuedGone = new ArrayList<>();
    /** operation and failure counts */
    public final Map<String, Long> counts = new TreeMap<>();
    /** faults that should not happen here (not "unreachable" or "shutting down") */
    public final List<String> unexpected = new ArrayList<>();
    public Throwable crashed;
    /** remarkable events, for a person reading a kept run (-Dsafety.keep=DIR) */
    public final List<String> notes = new ArrayList<>();
    /** the most failed calls in a row (each retried after a pause) */
    public int longestFailureStreak;

    StressClient(int id, LockClient rpc, long seed, String[] locks, int[] sizes, int[] weights, long loadEnd, long hardStop,
                 Hold.Timing timing, long maxWaitNanos) {
        this(id, Rpc.of(rpc), seed, locks, sizes, weights, loadEnd, hardStop, timing, maxWaitNanos);
    }

    public StressClient(int id, Rpc rpc, long seed, String[] locks, int[] sizes, int[] weights, long loadEnd,
                        long hardStop, Hold.Timing timing, long maxWaitNanos) {
        this.id = id;
        this.rpc = rpc;
        this.rnd = new Random(seed);
        this.locks = locks;
        this.sizes = sizes;
        this.cumulativeWeights = new int[weights.length];
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            cumulativeWeights[i] = sum;
        }
        this.loadEnd = loadEnd;
        this.hardStop = hardStop;
        this.timing = timing;
        this.maxWaitNanos = maxWaitNanos;
    }

    /** Also retries (and does not report) these fault codes, e.g. a cluster's "no leader". Before {@link #run}. */
    public StressClient tolerating(int... codes) {
        Set<Integer> all = new java.util.HashSet<>(tolerated);
        for (int c : codes) {
            all.add(c);
        }
        tolerated = Set.copyOf(all);
        return this;
    }

    /** Moves the end of the load and the hard stop (the load may run until the test's events are done). */
    public void endLoad(long loadEnd, long hardStop) {
        this.hardStop = hardStop;
        this.loadEnd = loadEnd;
    }

    @Override
    public void run() {
        try {
            while (System.nanoTime() - loadEnd < 0) {
                round();
            }
        } catch (InterruptedException e) {
            count("interrupted");
        } catch (Throwable t) {
            crashed = t;
        }
    }

    private void round() throws InterruptedException {
        int pick = pickLock();
        String lock = locks[pick];
        int size = sizes[pick];
        long queriedAt = System.nanoTime();
        String ticket;
        try {
            ticket = rpc.query(lock, "safety client " + id);
        } catch (LockServerException e) {
            failed("query", e);
            pause();
            return;
        }
        count("query");
        queried.add(new String[] {lock, ticket});
        long lastAlive = queriedAt; // the ticket was made after the query was sent: its idle time starts later

        // wait a random time, in calls of at most MAX_WAIT_TIME; a failed call is retried
        long waitEnd = System.nanoTime() + rnd.nextInt(6000) * MS;
        if (waitEnd - (loadEnd + 1000 * MS) > 0) {
            waitEnd = loadEnd + 1000 * MS; // the load is ending: no long waits
        }
        boolean granted = false;
        boolean gone = false;
        long waitSent = 0;
        int waitFailures = 0;
        while (true) {
            long sliceStart = System.nanoTime();
            long slice = Math.max(0, Math.min(waitEnd - sliceStart, maxWaitNanos));
            boolean ok;
            try {
                ok = rpc.await(ticket, Duration.ofNanos(slice));
            } catch (LockServerException e) {
                failed("wait", e);
                waitFailures++;
                if (System.nanoTime() - waitEnd >= 0 || System.nanoTime() - hardStop >= 0) {
                    break;
                }
                pause();
                continue;
            }
            count("wait");
            if (ok) {
                granted = true;
                waitSent = sliceStart;
                break;
            }
            if (System.nanoTime() - (sliceStart + slice) < 0) {
                gone = true; // LockClient.await answers false before its time only when check says gone
                queuedGone.add(new QueuedGone(id, lock, ticket, queriedAt, lastAlive, System.nanoTime(), waitFailures));
                break;
            }
            if (System.nanoTime() - waitEnd >= 0) {
                break;
            }
            // A false at the end of the slice says nothing: LockClient.await checks only a false
            // that comes early, and under load a "gone" answer comes after the slice's end. Only
            // a check tells whether the ticket is still queued (and it claims a fresh grant).
            long checkSent = System.nanoTime();
            TicketInfo c;
            try {
                c = rpc.check(ticket);
            } catch (LockServerException e) {
                failed("check", e);
                waitFailures++;
                pause();
                continue;
            }
            count("check while queued");
            if (c.isGone()) {
                gone = true;
                queuedGone.add(new QueuedGone(id, lock, ticket, queriedAt, lastAlive, System.nanoTime(), waitFailures));
                break;
            }
            if (c.isGranted()) {
                granted = true;
                waitSent = checkSent;
                break;
            }
            lastAlive = checkSent;
        }

        if (!granted) {
            if (gone) {
                count("queued ticket found gone");
                notes.add("gone while waiting: client " + id + " lock " + lock + " ticket " + ticket + " queried "
                        + (System.nanoTime() - queriedAt) / MS + " ms ago, " + waitFailures + " failed wait call(s)");
            } else if (rnd.nextInt(4) != 0) {
                Answer<Boolean> r = retry(() -> rpc.release(ticket));
                count(r.value == null ? "cancel unanswered" : r.value ? "cancel" : "cancel found gone");
            } else {
                count("crash while queued");
            }
            return;
        }

        long grantedAt = System.nanoTime();
        count("grant");
        Hold h = new Hold(id, seq++, lock, ticket, queriedAt, grantedAt, waitSent);
        holds.add(h);
        Answer<TicketInfo> c = retry(() -> rpc.check(ticket));
        if (c.value == null) {
            h.plan = "check unanswered";
            h.unknown(c.firstSent, timing);
            return;
        }
        count("check");
        if (c.value.isGone()) {
            h.plan = "check";
            h.foundGone(c.firstSent, c.received, false, "lock.check right after the grant", timing);
            return;
        }
        if (!c.value.isGranted()) {
            unexpected.add("client " + id + ": lock.check of ticket " + ticket + " granted by lock.wait says "
                    + c.value.state());
            h.plan = "check";
            h.unknown(c.firstSent, timing);
            return;
        }
        h.token = c.value.token();
        h.lastAlive = c.sent;

        int p = rnd.nextInt(100);
        if (size == 1 && p >= 70 && rnd.nextInt(3) != 0) {
            p = rnd.nextInt(70); // fewer long holds on the contended size-1 lock
        }
        if (p < 55) {
            h.plan = "release";
            Thread.sleep(rnd.nextInt(200));
            release(h);
        } else if (p < 75) {
            h.plan = "renew";
            int rounds = 1 + rnd.nextInt(4);
            for (int i = 0; i < rounds; i++) {
                Thread.sleep(50 + rnd.nextInt(250));
                if (!renew(h)) {
                    return;
                }
            }
            release(h);
        } else if (p < 88) {
            h.plan = "crash";
            Thread.sleep(rnd.nextInt(200));
            h.abandoned(timing);
            count("crash while holding");
        } else if (p < 96) {
            h.plan = "idle";   // no call for longer than EXPIRATION_TIME: the server must expire it
            Thread.sleep(timing.expirationNanos() / MS + 200 + rnd.nextInt(800));
            release(h);
        } else {
            h.plan = "maxlock"; // renews, yet MAX_LOCK_TIME ends the grant
            long until = grantedAt + timing.maxLockNanos() + 500 * MS;
            while (System.nanoTime() - until < 0) {
                Thread.sleep(300 + rnd.nextInt(200));
                if (!renew(h)) {
                    return;
                }
            }
            release(h);
        }
    }

    /** Renews; false (and the hold ended) if the ticket is gone or the renew never got an answer. */
    private boolean renew(Hold h) throws InterruptedException {
        Answer<Boolean> r = retry(() -> rpc.renew(h.ticket));
        if (r.value == null) {
            count("renew unanswered");
            h.unknown(r.firstSent, timing);
            return false;
        }
        if (r.value) {
            count("renew");
            h.lastAlive = r.sent;
            return true;
        }
        count("renew found gone");
        h.foundGone(r.firstSent, r.received, false, "lock.renew", timing);
        noteRetried("renew", h.ticket, r);
        return false;
    }

    private void release(Hold h) throws InterruptedException {
        Answer<Boolean> r = retry(() -> rpc.release(h.ticket));
        if (r.value == null) {
            count("release unanswered");
            h.unknown(r.firstSent, timing);
        } else if (r.value) {
            count("release");
            h.released(r.sent);
        } else {
            count("release found gone");
            h.foundGone(r.firstSent, r.received, r.attempts > 1, "lock.release", timing);
            noteRetried("release", h.ticket, r);
        }
    }

    private void noteRetried(String call, String ticket, Answer<?> a) {
        if (a.attempts > 1) {
            notes.add(call + " answered gone after " + (a.attempts - 1) + " failed attempt(s) over "
                    + (a.sent - a.firstSent) / MS + " ms: client " + id + " ticket " + ticket);
        }
    }

    /** A call's answer (null: none before hardStop) with when the first and the answered attempt were sent. */
    private static final class Answer<T> {
        T value;
        long firstSent;
        long sent;
        long received;
        int attempts;
    }

    private <T> Answer<T> retry(Supplier<T> call) throws InterruptedException {
        Answer<T> a = new Answer<>();
        while (true) {
            long sent = System.nanoTime();
            if (a.attempts++ == 0) {
                a.firstSent = sent;
            }
            try {
                a.value = call.get();
                a.sent = sent;
                a.received = System.nanoTime();
                return a;
            } catch (LockServerException e) {
                failed("call", e);
                if (System.nanoTime() - hardStop >= 0) {
                    count("gave up retrying");
                    return a;
                }
                pause();
            }
        }
    }

    private void failed(String what, LockServerException e) {
        longestFailureStreak = Math.max(longestFailureStreak, ++failureStreak);
        if (e.faultCode() == LockServerException.UNREACHABLE) {
            count("failed: server unreachable");
            unreachable = true;
        } else if (e.faultCode() == LockServerException.SHUTTING_DOWN) {
            count("failed: server shutting down");
        } else if (tolerated.contains(e.faultCode())) {
            count("failed: fault " + e.faultCode());
            unreachable = true;
        } else {
            count("failed: fault " + e.faultCode());
            if (unexpected.size() < 20) {
                unexpected.add("client " + id + ": " + what + ": fault " + e.faultCode() + ": " + e.getMessage());
            }
        }
    }

    /** Backs off briefly after a failure (the server is down or restarting). */
    private void pause() throws InterruptedException {
        Thread.sleep(unreachable ? 100 + rnd.nextInt(200) : 30 + rnd.nextInt(120));
        unreachable = false;
    }

    private void count(String what) {
        if (!what.startsWith("failed")) {
            failureStreak = 0;
        }
        counts.merge(what, 1L, Long::sum);
    }

    private int pickLock() {
        int r = rnd.nextInt(cumulativeWeights[cumulativeWeights.length - 1]);
        for (int i = 0; i < cumulativeWeights.length; i++) {
            if (r < cumulativeWeights[i]) {
                return i;
            }
        }
        throw new AssertionError();
    }
}
