package lockserver.core;

/**
 * A ticket as a journal remembers it, to put back after a restart.
 *
 * @param heldNanos how long ago the grant was made (granted tickets only)
 * @param request   what its query asked for
 * @param key       its query's retry key, or null
 */
public record RestoredTicket(String id, String lock, String info, boolean granted, long token, long heldNanos,
                             boolean claimed, SlotRequest request, String key) {
}
