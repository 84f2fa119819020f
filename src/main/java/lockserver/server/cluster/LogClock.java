package lockserver.server.cluster;

import lockserver.core.Clock;

/**
 * The time of a cluster node's lock state: the stamp of the latest log entry applied, never
 * going back (a new leader's clock may be behind the old one's). Every node reads the same
 * time at the same entry, so they all reach the same state. Thread-safe.
 */
final class LogClock implements Clock {
    private volatile long now;

    /** Called by the applying thread before each entry. */
    void advanceTo(long at) {
        if (at > now) {
            now = at;
        }
    }

    @Override
    public long nanoTime() {
        return now;
    }
}
