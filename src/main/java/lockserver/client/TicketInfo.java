package lockserver.client;

import java.util.Map;

/**
 * What the server said of one ticket ({@code lock.check}).
 *
 * @param state    "queued", "granted" or "gone"
 * @param position 1-based place in the queue when queued, else 0
 * @param token    fencing token when granted, else 0
 */
public record TicketInfo(String ticket, String lock, String state, int position, long token, String info,
                         double heldSeconds, double leftSeconds) {

    public boolean isGranted() {
        return "granted".equals(state);
    }

    public boolean isGone() {
        return "gone".equals(state);
    }

    static TicketInfo of(Map<?, ?> m) {
        String token = (String) m.get("token");
        return new TicketInfo((String) m.get("ticket"), (String) m.get("lock"), (String) m.get("state"),
                (Integer) m.get("position"), token == null || token.isEmpty() ? 0 : Long.parseLong(token),
                (String) m.get("info"), ((Number) m.get("held")).doubleValue(),
                ((Number) m.get("left")).doubleValue());
    }
}
