package lockserver.core;

/**
 * Slots a journal remembers as closed by LOCK_DELAY, to keep closed after a restart: their
 * holder was ended and may still be at work.
 *
 * @param ticket         the ended holder
 * @param remainingNanos what was left of the delay at the restart
 */
public record RestoredDelay(String lock, String ticket, int slots, long remainingNanos) {
}
