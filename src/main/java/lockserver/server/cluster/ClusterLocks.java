package lockserver.server.cluster;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import lockserver.core.LockDetail;
import lockserver.core.LockException;
import lockserver.core.LockSettings;
import lockserver.core.LockStatus;
import lockserver.core.SlotRequest;
import lockserver.core.TicketState;
import lockserver.core.TicketView;
import lockserver.server.rpc.Locks;
import lockserver.wire.Fault;

/**
 * The locks of a cluster, from any node: every change goes through the Raft log to the
 * leader and is answered once a majority has it; lock.status is a linearizable read. A
 * blocked wait is served from this node's own state, once this node has applied the entry
 * that answered the caller's sign of life, so it sees every change answered before.
 * {@link #close()} does not touch the replica (it must go on applying the log exactly as its
 * peers do until its Raft server stops): it refuses new calls and answers blocked waits.
 */
public final class ClusterLocks implements Locks {
    private final ClusterNode node;
    private final Set<CompletableFuture<Boolean>> waits = ConcurrentHashMap.newKeySet(); // blocked here
    private volatile boolean closing;

    public ClusterLocks(ClusterNode node) {
        this.node = node;
    }

    @Override
    public CompletableFuture<Queried> query(String lock, String info, String key, SlotRequest request,
                                            boolean claim) {
        refuseWhenClosing();
        return node.submit(new Command.Query(lock, info, key, request, claim, null, 0))
                .thenApply(reply -> read(() -> Reply.readQueried(ClusterNode.open(reply))));
    }

    @Override
    public CompletableFuture<Boolean> awaitGrant(String ticket, long timeoutNanos) {
        refuseWhenClosing();
        return node.submit(new Command.Renew(ticket, 0)).thenCompose(reply -> {
            boolean alive = read(() -> ClusterNode.open(reply).readBoolean());
            if (!alive) {
                return CompletableFuture.completedFuture(false);
            }
            return node.applied().reached(reply.index())
                    .thenCompose(applied -> keptAlive(ticket, node.registry().awaitAsync(ticket, timeoutNanos)));
        });
    }

    /**
     * {@code wait}, with a renew entry every third of the lock's expiration time while it
     * blocks: a blocked wait keeps its ticket alive, as on a single server, though only
     * entries count as signs of life on a cluster.
     */
    private CompletableFuture<Boolean> keptAlive(String ticket, CompletableFuture<Boolean> wait) {
        if (wait.isDone()) {
            return wait;
        }
        waits.add(wait);
        wait.whenComplete((granted, error) -> waits.remove(wait));
        if (closing) {
            wait.complete(false);
            return wait;
        }
        TicketView v = node.registry().peek(ticket);
        if (v.state() == TicketState.GONE) {
            return wait;
        }
        long every;
        try {
            every = Math.max(MIN_RENEW_NANOS, node.registry().settings(v.lock()).idleNanos() / 3);
        } catch (LockException goneLock) {
            return wait;
        }
        ScheduledFuture<?> renewing = node.timer().scheduleAtFixedRate(
                () -> node.submit(new Command.Renew(ticket, 0)), every, every, TimeUnit.NANOSECONDS);
        wait.whenComplete((granted, error) -> renewing.cancel(false));
        return wait;
    }

    private static final long MIN_RENEW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    @Override
    public CompletableFuture<TicketView> check(String ticket) {
        refuseWhenClosing();
        return node.submit(new Command.Check(ticket, 0))
                .thenApply(reply -> read(() -> Reply.readView(ClusterNode.open(reply))));
    }

    @Override
    public CompletableFuture<Boolean> release(String ticket) {
        refuseWhenClosing();
        return node.submit(new Command.Release(ticket, 0))
                .thenApply(reply -> read(() -> ClusterNode.open(reply).readBoolean()));
    }

    @Override
    public CompletableFuture<Boolean> renew(String ticket) {
        refuseWhenClosing();
        return node.submit(new Command.Renew(ticket, 0))
                .thenApply(reply -> read(() -> ClusterNode.open(reply).readBoolean()));
    }

    @Override
    public CompletableFuture<Boolean> revoke(String ticket, String reason, long afterNanos) {
        refuseWhenClosing();
        return node.submit(new Command.Revoke(ticket, reason, afterNanos, 0))
                .thenApply(reply -> read(() -> ClusterNode.open(reply).readBoolean()));
    }

    /** Watches this node's replica: every node reaches the same versions, in the same order, as it applies the log. */
    @Override
    public CompletableFuture<LockStatus> watch(String lock, long since, long timeoutNanos) {
        refuseWhenClosing();
        CompletableFuture<LockStatus> watch = node.registry().watch(lock, since, timeoutNanos);
        CompletableFuture<Boolean> closed = new CompletableFuture<>();
        waits.add(closed);
        watch.whenComplete((status, error) -> waits.remove(closed));
        return watch.applyToEither(closed.thenApply(c -> node.registry().status(lock)), s -> s);
    }

    @Override
    public String epoch() {
        return "c";
    }

    @Override
    public CompletableFuture<LockStatus> status(String lock) {
        refuseWhenClosing();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(LockStateMachine.READ_STATUS);
            out.writeUTF(lock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return node.read(bytes.toByteArray()).thenApply(reply -> read(() -> Reply.readStatus(ClusterNode.open(reply))));
    }

    @Override
    public CompletableFuture<Boolean> create(String lock, LockSettings settings) {
        refuseWhenClosing();
        return node.submit(new Command.Create(lock, settings, 0))
                .thenApply(reply -> read(() -> ClusterNode.open(reply).readBoolean()));
    }

    @Override
    public TicketView peek(String ticket) {
        return node.registry().peek(ticket);
    }

    @Override
    public List<LockStatus> list() {
        return node.registry().list();
    }

    @Override
    public List<LockDetail> details() {
        return node.registry().details();
    }

    @Override
    public void close() {
        closing = true;
        for (CompletableFuture<Boolean> wait : waits) {
            wait.complete(false);
        }
    }

    private void refuseWhenClosing() {
        if (closing) {
            throw new LockException(Fault.SHUTTING_DOWN, "this node is stopping; the other nodes of the cluster "
                    + "answer");
        }
    }

    private interface Reading<T> {
        T read() throws IOException;
    }

    private static <T> T read(Reading<T> r) {
        try {
            return r.read();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // never: replies are made by our own state machine
        }
    }
}
