package lockserver.server.journal;

import java.util.concurrent.CompletableFuture;

/**
 * One change on its way to the journal file, as the record queue carries it. Which fields a
 * change uses depends on its {@link Kind}; a {@link Kind#SYNC} change is no record but a
 * promise, completed once everything queued before it is written. The fields are set
 * before the change is queued, and the queue's link publishes them to the writer.
 */
final class Change extends MpscQueue.Node<Change> {
    enum Kind {
        /** a ticket joined a queue: ticket, lock, info, request (number), retry key (or null) */
        QUEUED('Q'),
        /** a ticket was granted: ticket, lock, token, at (wall-clock millis) */
        GRANTED('G'),
        /**
         * the holder saw its grant: ticket; or, with a reason, an admin asked the holder to
         * let go: ticket, reason (info), until (wall-clock millis); read as a claim by 0.1.0
         */
        CLAIMED('C'),
        /**
         * a ticket ended (released, cancelled, expired): ticket; or a holder's slots kept
         * closed by LOCK_DELAY: ticket, lock, slots (token), until (wall-clock millis)
         */
        REMOVED('X'),
        /** lock.create made a lock: lock, size */
        LOCK_CREATED('L'),
        /** snapshot only: the last token a lock gave: lock, token */
        LAST_TOKEN('T'),
        /** snapshot only, first: the generation of the journal file that follows it */
        HEADER('H'),
        /** not written: completes {@link #done} once every change before it is */
        SYNC('-');

        final byte code;

        Kind(char code) {
            this.code = (byte) code;
        }

        static Kind of(byte code) {
            for (Kind k : values()) {
                if (k.code == code && k != SYNC) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown record type " + (char) code);
        }
    }

    Kind kind;
    String ticket;
    String lock;
    String info;
    String key;
    /** the token; REMOVED: the slots LOCK_DELAY keeps closed (0: none) */
    long token;
    /**
     * QUEUED: the request; GRANTED: when, in wall-clock millis; REMOVED: when LOCK_DELAY
     * opens the slots, in wall-clock millis; LOCK_CREATED: the size; HEADER: the generation
     */
    long number;
    CompletableFuture<Void> done; // SYNC only
    /** Made for a batch: nobody awaits it, and it goes back to the pool once written. */
    final boolean reusable;

    Change(boolean reusable) {
        this.reusable = reusable;
    }

    Change set(Kind kind, String ticket, String lock, String info, long token, long number) {
        this.kind = kind;
        this.ticket = ticket;
        this.lock = lock;
        this.info = info;
        this.key = null;
        this.token = token;
        this.number = number;
        return this;
    }

    /** A QUEUED change's retry key. */
    Change key(String key) {
        this.key = key;
        return this;
    }

    /** Drops what it refers to, for reuse. */
    void clear() {
        ticket = lock = info = key = null;
        done = null;
    }

    /** The log line of a record: {@code TYPE key=value ...}, the ticket's info left out. */
    String describe() {
        return switch (kind) {
            case QUEUED -> "queued lock=" + lock + " ticket=" + ticket;
            case GRANTED -> "granted lock=" + lock + " ticket=" + ticket + " token=" + token + " at=" + number;
            case CLAIMED -> info == null ? "claimed ticket=" + ticket : "revoked ticket=" + ticket + " until=" + number;
            case REMOVED -> token == 0 ? "removed ticket=" + ticket
                    : "removed ticket=" + ticket + " lock=" + lock + " delayed slots=" + token + " until=" + number;
            case LOCK_CREATED -> "created lock=" + lock + " size=" + number;
            default -> "record " + kind;
        };
    }
}
