package lockserver.server.journal;

/** JOURNAL_FSYNC: when a written change is forced to the disk. */
public enum Fsync {
    /** fsync before answering: survives power loss; costs one fsync per batch of requests */
    ALWAYS,
    /** write before answering, fsync every second: survives a crash of the server, not of the machine */
    INTERVAL,
    /** write before answering, leave fsync to the OS */
    NEVER
}
