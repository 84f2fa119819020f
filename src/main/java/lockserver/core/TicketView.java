package lockserver.core;

/**
 * An immutable snapshot of one ticket, safe to hand to any layer.
 *
 * @param position  1-based place in the queue when queued, else 0
 * @param token     fencing token of the grant, 0 unless granted
 * @param heldNanos time since the grant, 0 unless granted
 * @param leftNanos time until the ticket ends unless renewed, 0 when gone
 */
public record TicketView(String id, String lock, TicketState state, int position, long token, String info,
                         long heldNanos, long leftNanos) {

    static TicketView gone(String id) {
        return new TicketView(id, "", TicketState.GONE, 0, 0, "", 0, 0);
    }
}
