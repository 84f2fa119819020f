package lockserver.client;

import java.time.Duration;
import java.util.List;

/**
 * One client's slot of a named lock on a lockserver, to close when done:
 * <pre>{@code
 * try (Lock lock = new Lock("http://host:9090/RPC2", "DefaultLock")) {
 *     if (lock.acquire("backup of san01", Duration.ofMinutes(5))) {
 *         // at most SIZE clients are here at once
 *     }
 * } // releases the slot (or the queued ticket)
 * }</pre>
 * Holds at most one ticket at a time. Not thread-safe: one thread drives one Lock; its
 * heartbeat ({@link #startHeartbeat}) runs beside it on a thread of its own and touches
 * nothing of the Lock but the ticket id it was started with. Failures throw
 * {@link LockServerException}.
 */
public final class Lock implements AutoCloseable {
    private final LockClient client;
    private final String name;
    private String ticket;
    private long token;
    private Heartbeat heartbeat; // of the current ticket, or null

    /** A lock on the server at {@code url}, with a connection of its own. */
    public Lock(String url, String name) {
        this(new LockClient(url), name);
    }

    /** A lock on the cluster whose nodes are at {@code urls}, tried in turn, with a connection of its own. */
    public Lock(List<String> urls, String name) {
        this(new LockClient(urls), name);
    }

    /** A lock using a shared connection. */
    public Lock(LockClient client, String name) {
        this.client = client;
        this.name = name;
    }

    /** Joins the lock's queue; releases any ticket this Lock held before. Returns the new ticket id. */
    public String query(String info) {
        return query(info, LockOptions.DEFAULT);
    }

    /** As {@link #query(String)}, for the slots and priority of {@code options}. */
    public String query(String info, LockOptions options) {
        release();
        ticket = client.query(name, info, options);
        return ticket;
    }

    /**
     * Waits up to {@code timeout} (null: as long as the ticket lives) for the slot. True
     * once granted; false on timeout (the ticket stays queued: call again or close) or if
     * the ticket is gone.
     */
    public boolean await(Duration timeout) {
        if (ticket == null) {
            throw new IllegalStateException("no ticket: call query first");
        }
        return client.await(ticket, timeout);
    }

    /** Queries and waits up to {@code timeout}; on timeout gives up its place in the queue and returns false. */
    public boolean acquire(String info, Duration timeout) {
        return acquire(info, timeout, LockOptions.DEFAULT);
    }

    /** As {@link #acquire(String, Duration)}, for the slots and priority of {@code options}. */
    public boolean acquire(String info, Duration timeout, LockOptions options) {
        release();
        LockClient.Acquired a = client.acquire(name, info, timeout, options);
        ticket = a.ticket();
        token = a.token();
        if (a.granted()) {
            return true;
        }
        release();
        return false;
    }

    /**
     * Checks the current ticket at once and then {@code every} (which also keeps it alive),
     * telling {@code listener} of a revocation and of the ticket's loss, until the ticket is
     * lost or this Lock releases it (or queries anew, or closes), which stops the heartbeat
     * first: a release is never told as a loss. Replaces a heartbeat started before.
     */
    public void startHeartbeat(Duration every, HeartbeatListener listener) {
        if (ticket == null) {
            throw new IllegalStateException("no ticket: call query or acquire first");
        }
        stopHeartbeat();
        heartbeat = new Heartbeat(client, name, ticket, every, listener);
    }

    /** Stops the heartbeat, waiting for a check in progress; once it returns the listener hears nothing more. */
    public void stopHeartbeat() {
        if (heartbeat != null) {
            heartbeat.stop();
            heartbeat = null;
        }
    }

    /** Frees the slot or leaves the queue (stopping the heartbeat first); false if there was nothing to release. */
    public boolean release() {
        stopHeartbeat();
        if (ticket == null) {
            return false;
        }
        String t = ticket;
        ticket = null;
        token = 0;
        return client.release(t);
    }

    /** Tells the server the holder is alive; false if the ticket is gone. */
    public boolean renew() {
        return ticket != null && client.renew(ticket);
    }

    /** The server's view of the current ticket. */
    public TicketInfo check() {
        if (ticket == null) {
            throw new IllegalStateException("no ticket: call query first");
        }
        TicketInfo info = client.check(ticket);
        token = info.token();
        return info;
    }

    /** The fencing token of the current grant (asks the server once per grant); 0 if not granted. */
    public long token() {
        if (token == 0 && ticket != null) {
            check();
        }
        return token;
    }

    /** The current ticket id, or null. */
    public String ticket() {
        return ticket;
    }

    public String name() {
        return name;
    }

    @Override
    public void close() {
        release();
    }
}
