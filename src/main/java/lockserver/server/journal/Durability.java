package lockserver.server.journal;

import java.util.concurrent.CompletableFuture;

/** What the request path needs from the journal; {@link #NONE} when state lives in memory only. */
public interface Durability {
    /** Records a lock made by lock.create, so it comes back after a restart. */
    void lockCreated(String lock, int size);

    /**
     * Completes once every change queued before this call is in the journal as JOURNAL_FSYNC
     * promises, holding no thread meanwhile; fails with a {@code LockException} (fault 99)
     * when the journal cannot be written. Completes on the journal's answering thread.
     */
    CompletableFuture<Void> durable();

    /**
     * Runs {@code work}, whose changes no answer waits for (a lifecycle tick), waking the
     * journal's writer for them once, when it is done, rather than at its first change.
     * One batch at a time: calls from different threads must not overlap.
     */
    default void batch(Runnable work) {
        work.run();
    }

    Durability NONE = new Durability() {
        private final CompletableFuture<Void> done = CompletableFuture.completedFuture(null);

        @Override
        public void lockCreated(String lock, int size) {
        }

        @Override
        public CompletableFuture<Void> durable() {
            return done;
        }
    };
}
