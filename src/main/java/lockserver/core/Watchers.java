package lockserver.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A lock's version, which grows with every change of its status, and the lock.watch calls
 * waiting for the next change: each change wakes them all (true), a close wakes them with
 * false, through the semaphore's {@link Wakes} so that none completes under its lock. Not
 * thread-safe: guarded by the owning semaphore's monitor.
 */
final class Watchers {
    private final Wakes woken;
    private long version;
    private List<CompletableFuture<Boolean>> waiting; // null until a watch waits

    Watchers(Wakes woken) {
        this.woken = woken;
    }

    long version() {
        return version;
    }

    /** Sets the version of a lock loaded from an image. */
    void load(long version) {
        this.version = version;
    }

    /** The status has changed: a new version, and every watcher is woken with true. */
    void changed() {
        version++;
        if (waiting != null && !waiting.isEmpty()) {
            woken.add(waiting, true);
            waiting.clear();
        }
    }

    /** A new wait for the next change. */
    CompletableFuture<Boolean> add() {
        if (waiting == null) {
            waiting = new ArrayList<>(1);
        }
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        waiting.add(f);
        return f;
    }

    /** Forgets {@code f}, completed. */
    void remove(CompletableFuture<Boolean> f) {
        waiting.remove(f);
    }

    /** Wakes every watcher with false: the lock is closing. */
    void close() {
        if (waiting != null) {
            woken.add(waiting, false);
            waiting.clear();
        }
    }
}
