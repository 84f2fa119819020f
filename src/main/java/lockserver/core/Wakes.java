package lockserver.core;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The waits a {@link NamedSemaphore} woke under its lock, to be completed once it has left
 * it: what depends on a wait may then run at once on the completing thread without holding
 * the lock. Each call that changes the semaphore takes what it woke before it leaves the
 * lock and completes it after. Not thread-safe: the semaphore's lock guards it.
 */
final class Wakes {
    static final Wake[] NONE = new Wake[0];

    record Wake(CompletableFuture<Boolean> future, boolean value) {
    }

    private Wake[] woken = NONE;
    private int count;

    /** Wakes every wait of {@code waits} with {@code value}. */
    void add(List<CompletableFuture<Boolean>> waits, boolean value) {
        for (CompletableFuture<Boolean> f : waits) {
            if (count == woken.length) {
                woken = Arrays.copyOf(woken, Math.max(4, count * 2));
            }
            woken[count++] = new Wake(f, value);
        }
    }

    /** The waits woken so far, forgotten here; complete them with {@link #complete} once outside the lock. */
    Wake[] take() {
        if (count == 0) {
            return NONE;
        }
        Wake[] taken = Arrays.copyOf(woken, count);
        Arrays.fill(woken, 0, count, null);
        count = 0;
        return taken;
    }

    /** Completes what {@link #take} returned. */
    static void complete(Wake[] taken) {
        for (Wake w : taken) {
            w.future().complete(w.value());
        }
    }
}
