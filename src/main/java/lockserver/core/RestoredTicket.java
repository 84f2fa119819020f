package lockserver.core;

/**
 * A ticket as a journal remembers it, to put back after a restart.
 *
 * @param heldNanos     how long ago the grant was made (granted tickets only)
 * @param request       what its query asked for
 * @param key           its query's retry key, or null
 * @param revoke        an admin's reason to ask the holder to let go (admin.revoke), or null
 * @param revokeInNanos with {@code revoke}: the time left before the server ends the ticket
 */
public record RestoredTicket(String id, String lock, String info, boolean granted, long token, long heldNanos,
                             boolean claimed, SlotRequest request, String key, String revoke, long revokeInNanos) {
    /** A ticket nobody asked to let go. */
    public RestoredTicket(String id, String lock, String info, boolean granted, long token, long heldNanos,
                          boolean claimed, SlotRequest request, String key) {
        this(id, lock, info, granted, token, heldNanos, claimed, request, key, null, 0);
    }
}
