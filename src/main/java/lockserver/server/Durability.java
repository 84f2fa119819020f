package lockserver.server;

/** What the request path needs from the journal; {@link #NONE} when state lives in memory only. */
interface Durability {
    /** Records a lock made by lock.create, so it comes back after a restart. */
    void lockCreated(String lock, int size);

    /** Blocks until every change this thread made is in the journal as the fsync policy promises. */
    void awaitWritten();

    /**
     * Runs {@code work}, whose changes no answer waits for (a lifecycle tick), waking the
     * journal's writer for them once, when it is done, rather than at its first change.
     * One batch at a time: calls from different threads must not overlap.
     */
    default void batch(Runnable work) {
        work.run();
    }

    Durability NONE = new Durability() {
        @Override
        public void lockCreated(String lock, int size) {
        }

        @Override
        public void awaitWritten() {
        }
    };
}
