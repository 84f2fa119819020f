package lockserver.server.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * How far this node has applied its log, and futures for an index to be reached: a wait
 * served from this node's state starts only once it has applied the entry that answered
 * the caller (so it sees the ticket the leader made). Thread-safe.
 */
final class AppliedIndex {
    private volatile long applied = -1;
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> waiting = new ConcurrentSkipListMap<>();

    /** Completes once the entry at {@code index} is applied here; at once if it is. */
    CompletableFuture<Void> reached(long index) {
        if (index <= applied) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = waiting.computeIfAbsent(index, i -> new CompletableFuture<>());
        if (index <= applied) { // applied meanwhile: advance may have looked before we filed
            waiting.remove(index, f);
            f.complete(null);
        }
        return f;
    }

    /** Called by the applying thread after each entry. */
    void advance(long index) {
        if (index <= applied) {
            return;
        }
        applied = index;
        while (true) {
            var first = waiting.firstEntry();
            if (first == null || first.getKey() > index) {
                return;
            }
            if (waiting.remove(first.getKey(), first.getValue())) {
                first.getValue().complete(null);
            }
        }
    }
}
