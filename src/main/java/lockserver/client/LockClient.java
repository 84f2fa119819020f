package lockserver.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A connection to a lockserver, or to the nodes of a cluster: the wire API of docs/API.md as
 * Java methods, over pooled keep-alive HTTP connections. Given several URLs, a call that gets
 * no answer from one server (or fault 11 NO_LEADER) goes to the next ({@link Failover}); a
 * blocked wait goes on there with the same ticket. Thread-safe; share one per server or
 * cluster. Failures throw {@link LockServerException}. For the usual query-wait-release, use
 * {@link Lock}.
 */
public final class LockClient {
    /** What one {@code lock.wait} asks for at most; the server may cap it lower. */
    static final Duration WAIT_SLICE = Duration.ofSeconds(30);
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private final Failover servers;

    /** @param url the server's endpoint, e.g. {@code http://host:9090/RPC2}; user:password@ in it is sent as Basic auth */
    public LockClient(String url) {
        this(url, DEFAULT_TIMEOUT);
    }

    /** @param timeout how long any call but a wait may take, and how long connecting may take */
    public LockClient(String url, Duration timeout) {
        this(url, timeout, null);
    }

    /**
     * @param tls for https URLs: the trust to verify the server's certificate with (see
     *            {@link #trusting(Path)}); null for the JDK's default trust store
     */
    public LockClient(String url, Duration timeout, SSLContext tls) {
        this(List.of(url), timeout, tls);
    }

    /** @param urls the endpoints of the nodes of one cluster, tried in turn (see {@link Failover}) */
    public LockClient(List<String> urls) {
        this(urls, DEFAULT_TIMEOUT);
    }

    /** @param timeout how long any call but a wait may take on one server, and how long connecting may take */
    public LockClient(List<String> urls, Duration timeout) {
        this(urls, timeout, null);
    }

    /** As {@link #LockClient(String, Duration, SSLContext)}, for several URLs. */
    public LockClient(List<String> urls, Duration timeout, SSLContext tls) {
        List<Endpoint> endpoints = new ArrayList<>(urls.size());
        for (String url : urls) {
            endpoints.add(new Endpoint(url, timeout, tls));
        }
        servers = new Failover(endpoints);
    }

    /** TLS trust in the CA certificate(s) of a PEM file, for a server with a private CA or a self-signed certificate. */
    public static SSLContext trusting(Path caFile) throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca" + i++, cert);
            }
            if (i == 0) {
                throw new GeneralSecurityException(caFile + ": no certificate in the file");
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A handle for one ticket at a time on {@code lock}. */
    public Lock lock(String lock) {
        return new Lock(this, lock);
    }

    /** Queues a new ticket on {@code lock} and returns its id. */
    public String query(String lock, String info) {
        return query(lock, info, LockOptions.DEFAULT);
    }

    /** Queues a new ticket on {@code lock} for the slots and priority of {@code options} and returns its id. */
    public String query(String lock, String info, LockOptions options) {
        Object[] args = withOptions(newTicketOptions(options), lock, info);
        return (String) servers.call("lock.query", server -> server.execute("lock.query", 0, args));
    }

    /** The answer of {@link #acquire}: a ticket, granted (with its fencing token) or still queued. */
    public record Acquired(String ticket, boolean granted, long token) {
    }

    /**
     * Queues a ticket and waits for it in one call when the wait fits the server's per-call
     * cap ({@code lock.acquire}), calling {@code lock.wait} for the rest of a longer timeout.
     * On timeout the ticket is still queued: wait again or release it.
     */
    public Acquired acquire(String lock, String info, Duration timeout) {
        return acquire(lock, info, timeout, LockOptions.DEFAULT);
    }

    /** As {@link #acquire(String, String, Duration)}, for the slots and priority of {@code ticketOptions}. */
    public Acquired acquire(String lock, String info, Duration timeout, LockOptions ticketOptions) {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + Math.max(0, timeout.toNanos());
        Map<String, Object> options = newTicketOptions(ticketOptions);
        Map<?, ?> m = (Map<?, ?>) servers.call("lock.acquire", server -> {
            long first = slice(timeout == null ? null : deadline);
            return server.execute("lock.acquire", first, withOptions(options, lock, info, first / 1e9));
        });
        String ticket = (String) m.get("ticket");
        if ("granted".equals(m.get("state"))) {
            return new Acquired(ticket, true, Long.parseLong((String) m.get("token")));
        }
        Duration left = timeout == null ? null : Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        if ((left == null || !left.isZero()) && await(ticket, left)) {
            return new Acquired(ticket, true, 0);
        }
        return new Acquired(ticket, false, 0);
    }

    /**
     * Waits up to {@code timeout} (null: as long as the ticket lives) for the ticket to be
     * granted, calling {@code lock.wait} as often as the server's per-call cap requires.
     * True once granted; false on timeout (the ticket stays queued) or when it is gone.
     */
    public boolean await(String ticket, Duration timeout) {
        Long deadline = timeout == null ? null : System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            boolean granted = (Boolean) servers.call("lock.wait", server -> {
                long nanos = slice(deadline);
                return server.execute("lock.wait", nanos, ticket, nanos / 1e9);
            });
            if (granted) {
                return true;
            }
            if ((deadline != null && deadline - System.nanoTime() <= 0) || check(ticket).isGone()) {
                return false;
            }
        }
    }

    /**
     * The lock's status as soon as its version differs from {@code since} ({@code ""}: at
     * once; null as ""), or after {@code timeout} (null: no limit) with the version unchanged, calling
     * {@code lock.watch} as often as the server's per-call cap requires.
     */
    public LockInfo watch(String lock, String since, Duration timeout) {
        String from = since == null ? "" : since;
        Long deadline = timeout == null ? null : System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            LockInfo now = LockInfo.of((Map<?, ?>) servers.call("lock.watch", server -> {
                long nanos = slice(deadline);
                return server.execute("lock.watch", nanos, lock, from, nanos / 1e9);
            }));
            if (!now.version().equals(from) || (deadline != null && deadline - System.nanoTime() <= 0)) {
                return now;
            }
        }
    }

    /** What one blocking call may wait: up to {@link #WAIT_SLICE}, and no later than {@code deadline} (null: none). */
    private static long slice(Long deadline) {
        long max = WAIT_SLICE.toNanos();
        return deadline == null ? max : Math.max(0, Math.min(max, deadline - System.nanoTime()));
    }

    /** Frees the ticket's slot or cancels it while queued; false if it was gone. */
    public boolean release(String ticket) {
        return (Boolean) call("lock.release", ticket);
    }

    /** Restarts the ticket's idle expiration; false if it is gone. */
    public boolean renew(String ticket) {
        return (Boolean) call("lock.renew", ticket);
    }

    public TicketInfo check(String ticket) {
        return TicketInfo.of((Map<?, ?>) call("lock.check", ticket));
    }

    public LockInfo status(String lock) {
        return LockInfo.of((Map<?, ?>) call("lock.status", lock));
    }

    public List<LockInfo> list() {
        Object[] all = (Object[]) call("lock.list");
        List<LockInfo> out = new ArrayList<>(all.length);
        for (Object o : all) {
            out.add(LockInfo.of((Map<?, ?>) o));
        }
        return out;
    }

    /** Creates a lock (if the server allows it); false if it exists. */
    public boolean create(String lock, int size) {
        return (Boolean) call("lock.create", lock, size);
    }

    /** Admin: releases any ticket, held or queued; false if it is gone. */
    public boolean forceRelease(String ticket) {
        return (Boolean) call("admin.release", ticket);
    }

    /**
     * Admin: asks the ticket's holder to let go for {@code reason} (its heartbeat hears it);
     * the server force-releases it after {@code within}. False if it is gone.
     */
    public boolean revoke(String ticket, String reason, Duration within) {
        return (Boolean) call("admin.revoke", ticket, reason, within.toNanos() / 1e9);
    }

    /** Admin: stops the server as SIGTERM does (if its config sets ALLOW_REMOTE_SHUTDOWN=true, else fault 6). */
    public boolean shutdown() {
        return (Boolean) call("admin.shutdown");
    }

    public boolean ping() {
        return (Boolean) call("server.ping");
    }

    private Object call(String method, Object... params) {
        return servers.call(method, server -> server.execute(method, 0, params));
    }

    /**
     * The options struct for one new ticket: the options that differ from the defaults and the
     * retry key of several URLs ({@link Failover#newTicketOptions}); null when it would be
     * empty, for servers older than the struct.
     */
    private Map<String, Object> newTicketOptions(LockOptions options) {
        Map<String, Object> struct = new HashMap<>(options.members());
        Map<String, Object> key = servers.newTicketOptions();
        if (key != null) {
            struct.putAll(key);
        }
        return struct.isEmpty() ? null : struct;
    }

    /** {@code args}, then the options struct when there is one. */
    private static Object[] withOptions(Map<String, Object> options, Object... args) {
        if (options == null) {
            return args;
        }
        Object[] out = Arrays.copyOf(args, args.length + 1);
        out[args.length] = options;
        return out;
    }

    @Override
    public String toString() {
        return "LockClient" + servers;
    }
}
