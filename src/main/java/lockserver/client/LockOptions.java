package lockserver.client;

import java.util.HashMap;
import java.util.Map;

/**
 * What a ticket asks for besides its place in the queue: how many slots ({@code permits}, or
 * every slot when {@code exclusive}) and how soon ({@code priority}, higher first), e.g.
 * {@code LockOptions.permits(2)}, {@code LockOptions.exclusive().withPriority(5)}. Immutable
 * and thread-safe; values the server would refuse anywhere are refused here at once with an
 * IllegalArgumentException naming the option (permits above a lock's SIZE only the server knows).
 */
public final class LockOptions {
    /** The highest priority a ticket may ask for (a server may let a user ask for less). */
    public static final int MAX_PRIORITY = 9;
    /** One slot at priority 0: what a query without options asks for. */
    public static final LockOptions DEFAULT = new LockOptions(1, false, 0);

    private final int permits;
    private final boolean exclusive;
    private final int priority;

    private LockOptions(int permits, boolean exclusive, int priority) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be at least 1, got " + permits);
        }
        if (priority < 0 || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority must be from 0 to " + MAX_PRIORITY + ", got " + priority);
        }
        this.permits = permits;
        this.exclusive = exclusive;
        this.priority = priority;
    }

    /** A ticket that takes {@code n} slots once granted. */
    public static LockOptions permits(int n) {
        return new LockOptions(n, false, 0);
    }

    /** A ticket that takes every slot of the lock (a writer beside readers of one permit each). */
    public static LockOptions exclusive() {
        return new LockOptions(1, true, 0);
    }

    /** These options at {@code priority} (0 to {@link #MAX_PRIORITY}). */
    public LockOptions withPriority(int priority) {
        return new LockOptions(permits, exclusive, priority);
    }

    /** The slots asked for; 1 when exclusive (which takes every slot instead). */
    public int permits() {
        return permits;
    }

    public boolean isExclusive() {
        return exclusive;
    }

    public int priority() {
        return priority;
    }

    /**
     * The members of the wire's options struct that differ from the defaults: servers older
     * than these members refuse them, so a default is never sent.
     */
    Map<String, Object> members() {
        Map<String, Object> m = new HashMap<>();
        if (permits != 1) {
            m.put("permits", permits);
        }
        if (exclusive) {
            m.put("exclusive", true);
        }
        if (priority != 0) {
            m.put("priority", priority);
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LockOptions other && permits == other.permits && exclusive == other.exclusive
                && priority == other.priority;
    }

    @Override
    public int hashCode() {
        return (permits * 31 + (exclusive ? 1 : 0)) * 31 + priority;
    }

    @Override
    public String toString() {
        return (exclusive ? "exclusive" : "permits=" + permits) + ", priority=" + priority;
    }
}
