package lockserver.safety;

/**
 * One grant as a client saw it, with the stretch of time the client can vouch the server
 * still counted it as a holder. All times are {@link System#nanoTime()} of the client JVM
 * (CLOCK_MONOTONIC, the clock the server's deadlines run on).
 *
 * <p>The vouched interval is {@code [granted, end]}: it starts just after {@code lock.wait}
 * answered true (the server granted before answering) and ends
 * <ul>
 * <li>just before sending the {@code lock.release} that answered true (the server freed the
 * slot after receiving it), or else</li>
 * <li>at the earliest the server may have ended the grant by itself: the last call that
 * showed the ticket alive plus EXPIRATION_TIME, or the query plus MAX_LOCK_TIME (the grant
 * was made after the query was sent), less a margin; and no later than the moment the
 * client stopped counting itself a holder (release sent without a true answer, a renew or
 * check that said gone).</li>
 * </ul>
 * So the vouched interval lies inside the server's grant, and more than SIZE vouched
 * intervals of one lock overlapping at any instant means the server counted more than SIZE
 * holders at that instant. A crashed (abandoned) holder keeps its interval until its
 * deadline: the server must not hand its slot on earlier.
 */
public final class Hold {
    public enum End {
        /** lock.release answered true */
        RELEASED,
        /** lock.release, renew or check answered "gone": the server had ended the grant */
        FOUND_GONE,
        /** the client stopped calling (crash) */
        ABANDONED,
        /** lock.release never got an answer (server down until the client gave up) */
        UNKNOWN
    }

    public final int client;
    public final int seq;
    public final String lock;
    public final String ticket;
    public final long queried;
    public final long granted;
    /** when the last call that found the ticket alive was sent (the server's idle clock restarted after it) */
    long lastAlive;
    /** fencing token from lock.check right after the grant; 0 if never learnt */
    public long token;
    public End how;
    /** the vouched interval's end, see the class comment */
    public long end;
    /** answered "gone" before any deadline could have passed: the server dropped a live grant */
    boolean premature;
    String prematureWhat;
    /** how the client planned to end the hold: release, renew, crash, idle, maxlock */
    public String plan;

    Hold(int client, int seq, String lock, String ticket, long queried, long granted, long lastAlive) {
        this.client = client;
        this.seq = seq;
        this.lock = lock;
        this.ticket = ticket;
        this.queried = queried;
        this.granted = granted;
        this.lastAlive = lastAlive;
    }

    /** The earliest instant the server may end the grant by itself (idle or max lock time), less a margin. */
    long vouchedUntil(Timing t) {
        return Math.min(lastAlive + t.expirationNanos(), queried + t.maxLockNanos()) - t.marginNanos();
    }

    void released(long sent) {
        how = End.RELEASED;
        end = sent;
    }

    /**
     * The server said the ticket is gone: in an answer received at {@code received} to a call
     * sent at {@code sent}; {@code stoppedAt} is when the client stopped counting itself a holder.
     * {@code mayBeOwnRelease}: an earlier release of ours may have been processed without an answer.
     */
    void foundGone(long stoppedAt, long received, boolean mayBeOwnRelease, String what, Timing t) {
        how = End.FOUND_GONE;
        long deadline = vouchedUntil(t);
        end = Math.min(stoppedAt, deadline);
        if (!mayBeOwnRelease && received - deadline < 0) {
            premature = true;
            prematureWhat = what + " answered gone " + (deadline - received) / 1_000_000 + " ms before the ticket's "
                    + "earliest deadline (last sign of life sent " + (received - lastAlive) / 1_000_000
                    + " ms before the answer, query " + (received - queried) / 1_000_000 + " ms before)";
        }
    }

    void abandoned(Timing t) {
        how = End.ABANDONED;
        end = vouchedUntil(t);
    }

    void unknown(long stoppedAt, Timing t) {
        how = End.UNKNOWN;
        end = Math.min(stoppedAt, vouchedUntil(t));
    }

    public boolean hasInterval() {
        return how != null && end - granted > 0;
    }

    @Override
    public String toString() {
        return "client " + client + " hold #" + seq + " on " + lock + " ticket " + ticket + " token " + token
                + " plan " + plan + " end " + how;
    }

    /** The lock times the vouching uses. */
    public record Timing(long expirationNanos, long maxLockNanos, long marginNanos) {
    }
}
