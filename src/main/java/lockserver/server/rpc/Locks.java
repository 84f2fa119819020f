package lockserver.server.rpc;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import lockserver.core.SlotRequest;
import lockserver.core.LockDetail;
import lockserver.core.LockSettings;
import lockserver.core.LockStatus;
import lockserver.core.TicketView;

/**
 * Where the locks live, as {@link LockService} sees them: in this process with its journal
 * ({@code LocalLocks}), or in a Raft cluster ({@code ClusterLocks}). A future that changes
 * state completes only once the change is safe (written to the journal, or committed by a
 * majority); refusals complete it with a {@link lockserver.core.LockException}. Thread-safe.
 */
public interface Locks {
    /** A new (or, by its retry key, an earlier) ticket; {@code token} is 0 unless granted. */
    record Queried(String ticket, boolean granted, long token) {
    }

    /**
     * Queues a ticket asking for {@code request}; {@code key} (null: none) makes a retry
     * return the same ticket. With {@code claim}, a ticket granted at once is also claimed
     * (the caller answers its client now).
     */
    CompletableFuture<Queried> query(String lock, String info, String key, SlotRequest request, boolean claim);

    /** Completes with true once the ticket is granted, false when gone, closing or after the timeout; claims nothing. */
    CompletableFuture<Boolean> awaitGrant(String ticket, long timeoutNanos);

    /** The ticket's state: a sign of life that claims a fresh grant. */
    CompletableFuture<TicketView> check(String ticket);

    /** Frees the slot or cancels the queued ticket; false if it is gone. */
    CompletableFuture<Boolean> release(String ticket);

    /** A sign of life; false if the ticket is gone. */
    CompletableFuture<Boolean> renew(String ticket);

    /** Asks the holder to let go, ending the ticket {@code afterNanos} from now; false if it is gone. */
    CompletableFuture<Boolean> revoke(String ticket, String reason, long afterNanos);

    /**
     * The lock's counts once its version differs from {@code since}, or after
     * {@code timeoutNanos}, or when closing; holds no thread. Versions are this process's
     * (or cluster's): {@link #epoch} tells them apart from another's.
     */
    CompletableFuture<LockStatus> watch(String lock, long since, long timeoutNanos);

    /** What the versions of {@link #watch} belong to: a new one when the versions start again. */
    String epoch();

    /** The lock's counts, reflecting every change already answered to any client. */
    CompletableFuture<LockStatus> status(String lock);

    /** Adds a lock not in the config; false if one of that name exists. */
    CompletableFuture<Boolean> create(String lock, LockSettings settings);

    /** The ticket as this process knows it, changing nothing: for access checks and operators' logs. */
    TicketView peek(String ticket);

    /** Every lock's counts, as this process knows them. */
    List<LockStatus> list();

    /** Every lock with holders and queue, as this process knows them (for operators). */
    List<LockDetail> details();

    /** Stops taking calls (fault 7) and answers every blocked wait with false: the server is stopping. */
    void close();
}
