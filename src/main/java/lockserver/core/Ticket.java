package lockserver.core;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One client's place in one lock: queued, then granted, then gone (and, when it was ended
 * and the lock has a LOCK_DELAY, cooling for a while first). Every mutable field
 * is guarded by the lock of {@link #semaphore}, except the expiry links, which the
 * {@link ExpiryQueue}'s lock guards; only {@code id}, {@code info} and {@code semaphore}
 * may be read without a lock (and {@code slot}).
 */
final class Ticket {
    final String id;
    final int slot;         // in the registry's TicketTable; -1 for an id made elsewhere (restored)
    final String info;
    final String key;       // the client's retry key (lock.query's options), or null
    final NamedSemaphore semaphore;
    final int permits;      // slots asked for (SlotRequest); 1 when exclusive
    final boolean exclusive; // asked for every slot, however many the lock has when granting
    final int priority;     // 0..9 asked for; WaitQueue orders by it

    TicketState state = TicketState.QUEUED;
    final long queuedAt;
    long lastSeen;          // last wait, check or renew (or the query)
    long grantedAt;         // valid when GRANTED
    long graceFrom;         // when GRANTED and unclaimed: the grace time counts from here (the grant, or a takeover)
    long token;             // fencing token, valid when GRANTED
    boolean claimed;        // the holder has seen its grant
    int held;               // slots taken: set at the grant; kept while cooling
    String revokeReason;    // an admin asked the holder to let go (admin.revoke); null if not
    long revokeAt;          // valid with revokeReason: when the server ends it
    boolean cooling;        // GONE, but its slots stay closed until coolUntil (LOCK_DELAY)
    long coolUntil;
    List<CompletableFuture<Boolean>> parked; // waits, blocked or not; completed on grant, removal or close
    Ticket prev;            // neighbours in the semaphore's queue, granted or cooling list (TicketList)
    Ticket next;

    // guarded by the ExpiryQueue's lock
    ExpiryQueue.Bucket expiryBucket; // where the ticket is filed; null when not filed
    long expiryKey;                  // that bucket's key, valid while filed
    Ticket expiryPrev;
    Ticket expiryNext;

    Ticket(String id, int slot, String info, String key, SlotRequest request, NamedSemaphore semaphore,
           long queuedAt) {
        this.id = id;
        this.permits = request.permits();
        this.exclusive = request.exclusive();
        this.priority = request.priority();
        this.slot = slot;
        this.info = info;
        this.key = key;
        this.semaphore = semaphore;
        this.queuedAt = queuedAt;
        this.lastSeen = queuedAt;
    }
}
