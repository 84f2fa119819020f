package lockserver.client;

import java.time.Duration;
import java.util.Map;

/**
 * What the server said of one ticket ({@code lock.check}). An older server's answer, without
 * the members from permits on, reads as one slot at priority 0, not revoked.
 *
 * @param state           "queued", "granted" or "gone"
 * @param position        1-based place in the queue when queued, else 0
 * @param token           fencing token when granted, else 0
 * @param permits         slots the ticket takes (granted) or will take (queued); 0 when gone
 * @param exclusive       it asked for every slot
 * @param priority        the priority it asked for
 * @param revoke          an admin's reason to ask the holder to let go ({@code admin.revoke}); "" when none
 * @param revokeInSeconds seconds until a revoked ticket is force-released; 0 when not revoked
 */
public record TicketInfo(String ticket, String lock, String state, int position, long token, String info,
                         double heldSeconds, double leftSeconds, int permits, boolean exclusive, int priority,
                         String revoke, double revokeInSeconds) {

    public boolean isGranted() {
        return "granted".equals(state);
    }

    public boolean isGone() {
        return "gone".equals(state);
    }

    /** An admin asked the holder to let go: see {@link #revoke()} and {@link #revokeIn()}. */
    public boolean isRevoked() {
        return !revoke.isEmpty();
    }

    /** The time until a revoked ticket is force-released; zero when not revoked. */
    public Duration revokeIn() {
        return Duration.ofNanos((long) (revokeInSeconds * 1e9));
    }

    static TicketInfo of(Map<?, ?> m) {
        String token = (String) m.get("token");
        String state = (String) m.get("state");
        return new TicketInfo((String) m.get("ticket"), (String) m.get("lock"), state,
                (Integer) m.get("position"), token == null || token.isEmpty() ? 0 : Long.parseLong(token),
                (String) m.get("info"), ((Number) m.get("held")).doubleValue(),
                ((Number) m.get("left")).doubleValue(), member(m, "permits", "gone".equals(state) ? 0 : 1),
                member(m, "exclusive", false), member(m, "priority", 0), member(m, "revoke", ""),
                member(m, "revoke_in", 0.0));
    }

    /** The member {@code name} of an answer, or {@code absent} when an older server left it out. */
    @SuppressWarnings("unchecked")
    static <T> T member(Map<?, ?> m, String name, T absent) {
        Object v = m.get(name);
        if (v == null) {
            return absent;
        }
        if (absent instanceof Double) {
            return (T) (Double) ((Number) v).doubleValue();
        }
        return (T) absent.getClass().cast(v);
    }
}
