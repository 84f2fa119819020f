package lockserver.server.cluster;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Supplier;
import lockserver.core.LockException;
import lockserver.wire.Fault;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;

/**
 * A node's way to its cluster's leader: a Ratis client that Ratis points at whoever leads.
 * Guarantees: every call ends within {@code timeoutNanos}, with the reply or fault 11
 * (NO_LEADER); calls are handed to Ratis on a thread of their own, so a client whose window
 * of outstanding requests is full (no leader for a while) never blocks the caller (Jetty's
 * selector threads); and a Ratis client that gave up (Ratis closes an ordered client after a
 * request ran out of retries) is replaced, so the node serves again once a majority runs.
 * Thread-safe.
 */
final class LeaderClient implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(LeaderClient.class);
    static final String NO_LEADER = "no leader: this node cannot reach a majority of the cluster";

    private final Supplier<RaftClient> factory;
    private final long timeoutNanos;
    private final AtomicReference<RaftClient> current;
    private final ExecutorService sending = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cluster-send");
        t.setDaemon(true);
        return t;
    });

    LeaderClient(Supplier<RaftClient> factory, long timeoutNanos) {
        this.factory = factory;
        this.timeoutNanos = timeoutNanos;
        this.current = new AtomicReference<>(factory.get());
    }

    /** A change, answered once a majority has it. */
    CompletableFuture<RaftClientReply> send(Message message) {
        return call(client -> client.async().send(message));
    }

    /** A linearizable read at the leader. */
    CompletableFuture<RaftClientReply> sendReadOnly(Message message) {
        return call(client -> client.async().sendReadOnly(message));
    }

    /** The Ratis client itself, for admin calls (they block: not on a selector thread). */
    RaftClient ratis() {
        return current.get();
    }

    private CompletableFuture<RaftClientReply> call(Function<RaftClient, CompletableFuture<RaftClientReply>> how) {
        RaftClient client = current.get();
        CompletableFuture<CompletableFuture<RaftClientReply>> sent;
        try {
            sent = CompletableFuture.supplyAsync(() -> how.apply(client), sending);
        } catch (RejectedExecutionException closed) {
            throw new LockException(Fault.SHUTTING_DOWN, "this node is stopping; the other nodes of the cluster "
                    + "answer");
        }
        return sent
                .thenCompose(Function.identity())
                .orTimeout(timeoutNanos, TimeUnit.NANOSECONDS)
                .handle((reply, error) -> {
                    if (error == null && reply != null && reply.isSuccess()) {
                        return reply;
                    }
                    Throwable why = error != null ? error : reply == null ? null : reply.getException();
                    if (gaveUp(why)) {
                        replace(client);
                    }
                    log.debug("cluster call failed: {}", why == null ? "no reply" : why.toString());
                    throw new LockException(Fault.NO_LEADER, NO_LEADER);
                });
    }

    private static boolean gaveUp(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof AlreadyClosedException || t instanceof RaftRetryFailureException) {
                return true;
            }
        }
        return false;
    }

    /** Puts a new Ratis client in place of {@code failed}, once, however many calls saw it fail. */
    private void replace(RaftClient failed) {
        RaftClient fresh = factory.get();
        if (current.compareAndSet(failed, fresh)) {
            log.info("the Ratis client gave up on a call; a new one takes the next calls");
            closeQuietly(failed);
        } else {
            closeQuietly(fresh);
        }
    }

    private static void closeQuietly(RaftClient client) {
        try {
            client.close();
        } catch (IOException | RuntimeException e) {
            log.debug("closing a Ratis client: {}", e.toString());
        }
    }

    @Override
    public void close() {
        sending.shutdownNow();
        closeQuietly(current.get());
    }
}
