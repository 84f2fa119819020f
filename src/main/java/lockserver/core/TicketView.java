package lockserver.core;

/**
 * An immutable snapshot of one ticket, safe to hand to any layer.
 *
 * @param position      1-based place in the queue when queued, else 0
 * @param token         fencing token of the grant, 0 unless granted
 * @param heldNanos     time since the grant, 0 unless granted
 * @param leftNanos     time until the ticket ends unless renewed, 0 when gone
 * @param permits       slots it takes (granted) or will take (queued); 0 when gone
 * @param exclusive     it asked for every slot
 * @param priority      the priority it asked for (0 to 9)
 * @param revoke        an admin's reason to ask the holder to let go; "" when none
 * @param revokeInNanos time until a revoked ticket is ended; 0 when not revoked
 */
public record TicketView(String id, String lock, TicketState state, int position, long token, String info,
                         long heldNanos, long leftNanos, int permits, boolean exclusive, int priority, String revoke,
                         long revokeInNanos) {

    static TicketView gone(String id) {
        return new TicketView(id, "", TicketState.GONE, 0, 0, "", 0, 0, 0, false, 0, "", 0);
    }
}
