package lockserver.server;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import lockserver.core.LockDetail;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import lockserver.core.LockStatus;
import lockserver.core.SlotRequest;
import lockserver.core.TicketView;
import lockserver.server.journal.Durability;
import lockserver.server.rpc.Locks;

/**
 * The locks of a single server: its {@link LockRegistry}, with answers that wait for the
 * journal where a restart must bring back what they tell (BENCHMARKS.md, "Which answers wait
 * for the disk"): queries, grants (check, and claims) and creations wait; release and renew
 * do not. Without a journal nothing waits. Thread-safe.
 */
final class LocalLocks implements Locks {
    private final LockRegistry registry;
    private final Durability durability;
    /** Versions start again with each start of the process. */
    private final String epoch = Long.toString(System.currentTimeMillis(), 36);

    LocalLocks(LockRegistry registry, Durability durability) {
        this.registry = registry;
        this.durability = durability;
    }

    @Override
    public CompletableFuture<Queried> query(String lock, String info, String key, SlotRequest request,
                                            boolean claim) {
        String ticket = registry.query(lock, info, key, request);
        Queried q;
        if (claim && registry.claim(ticket)) {
            q = new Queried(ticket, true, registry.peek(ticket).token());
        } else {
            q = new Queried(ticket, false, 0);
        }
        return whenDurable(q);
    }

    @Override
    public CompletableFuture<Boolean> awaitGrant(String ticket, long timeoutNanos) {
        return registry.awaitAsync(ticket, timeoutNanos);
    }

    @Override
    public CompletableFuture<TicketView> check(String ticket) {
        return whenDurable(registry.check(ticket));
    }

    @Override
    public CompletableFuture<Boolean> release(String ticket) {
        return CompletableFuture.completedFuture(registry.release(ticket));
    }

    @Override
    public CompletableFuture<Boolean> renew(String ticket) {
        return CompletableFuture.completedFuture(registry.renew(ticket));
    }

    @Override
    public CompletableFuture<Boolean> revoke(String ticket, String reason, long afterNanos) {
        return CompletableFuture.completedFuture(registry.revoke(ticket, reason, afterNanos));
    }

    @Override
    public CompletableFuture<LockStatus> watch(String lock, long since, long timeoutNanos) {
        return registry.watch(lock, since, timeoutNanos);
    }

    @Override
    public String epoch() {
        return epoch;
    }

    @Override
    public CompletableFuture<LockStatus> status(String lock) {
        return CompletableFuture.completedFuture(registry.status(lock));
    }

    @Override
    public CompletableFuture<Boolean> create(String lock, LockSettings settings) {
        boolean created = registry.create(lock, settings);
        if (created) {
            durability.lockCreated(lock, settings.size());
        }
        return whenDurable(created);
    }

    @Override
    public TicketView peek(String ticket) {
        return registry.peek(ticket);
    }

    @Override
    public List<LockStatus> list() {
        return registry.list();
    }

    @Override
    public List<LockDetail> details() {
        return registry.details();
    }

    @Override
    public void close() {
        registry.close();
    }

    /** {@code value}, once the journal has every change made so far (the caller's among them). */
    private <T> CompletableFuture<T> whenDurable(T value) {
        if (durability == Durability.NONE) {
            return CompletableFuture.completedFuture(value);
        }
        return durability.durable().thenApply(written -> value);
    }
}
