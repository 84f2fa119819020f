package lockserver.client;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import lockserver.wire.Utf8WriterFactory;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.apache.xmlrpc.client.XmlRpcHttpTransportException;

/**
 * A connection to one lockserver: the wire API of docs/API.md as Java methods, over
 * pooled keep-alive HTTP connections. Thread-safe; share one per server. Failures throw
 * {@link LockServerException}. For the usual query-wait-release, use {@link Lock}.
 */
public final class LockClient {
    /** What one {@code lock.wait} asks for at most; the server may cap it lower. */
    static final Duration WAIT_SLICE = Duration.ofSeconds(30);
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private final String url;
    private final XmlRpcClient rpc;
    private final XmlRpcClientConfigImpl config;

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
        URI uri = URI.create(url);
        this.url = uri.getUserInfo() == null ? url : url.replace(uri.getRawUserInfo() + "@", "");
        config = new XmlRpcClientConfigImpl();
        try {
            config.setServerURL(new URL(this.url));
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid lockserver URL '" + url + "': " + e.getMessage(), e);
        }
        if (uri.getRawUserInfo() != null) {
            String[] userPass = uri.getRawUserInfo().split(":", 2);
            config.setBasicUserName(URLDecoder.decode(userPass[0], StandardCharsets.UTF_8));
            config.setBasicPassword(userPass.length > 1 ? URLDecoder.decode(userPass[1], StandardCharsets.UTF_8) : "");
        }
        config.setEnabledForExtensions(false);
        config.setReplyTimeout((int) timeout.toMillis());
        config.setConnectionTimeout((int) timeout.toMillis());
        rpc = new XmlRpcClient();
        rpc.setConfig(config);
        rpc.setXmlWriterFactory(new Utf8WriterFactory());
        rpc.setTransportFactory(new KeepAliveTransportFactory(rpc, timeout, tls));
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
        return (String) call(config, "lock.query", lock, info);
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
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + Math.max(0, timeout.toNanos());
        long first = timeout == null ? WAIT_SLICE.toNanos() : Math.min(Math.max(0, timeout.toNanos()),
                WAIT_SLICE.toNanos());
        XmlRpcClientConfigImpl waitConfig = config.cloneMe();
        waitConfig.setReplyTimeout(config.getReplyTimeout() + (int) (first / 1_000_000));
        Map<?, ?> m = (Map<?, ?>) call(waitConfig, "lock.acquire", lock, info, first / 1e9);
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
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + Math.max(0, timeout.toNanos());
        while (true) {
            long left = timeout == null ? WAIT_SLICE.toNanos() : deadline - System.nanoTime();
            if (waitOnce(ticket, Math.max(0, Math.min(left, WAIT_SLICE.toNanos())))) {
                return true;
            }
            if ((timeout != null && deadline - System.nanoTime() <= 0) || check(ticket).isGone()) {
                return false;
            }
        }
    }

    private boolean waitOnce(String ticket, long nanos) {
        XmlRpcClientConfigImpl waitConfig = config.cloneMe();
        waitConfig.setReplyTimeout(config.getReplyTimeout() + (int) (nanos / 1_000_000));
        return (Boolean) call(waitConfig, "lock.wait", ticket, nanos / 1e9);
    }

    /** Frees the ticket's slot or cancels it while queued; false if it was gone. */
    public boolean release(String ticket) {
        return (Boolean) call(config, "lock.release", ticket);
    }

    /** Restarts the ticket's idle expiration; false if it is gone. */
    public boolean renew(String ticket) {
        return (Boolean) call(config, "lock.renew", ticket);
    }

    public TicketInfo check(String ticket) {
        return TicketInfo.of((Map<?, ?>) call(config, "lock.check", ticket));
    }

    public LockInfo status(String lock) {
        return LockInfo.of((Map<?, ?>) call(config, "lock.status", lock));
    }

    public List<LockInfo> list() {
        Object[] all = (Object[]) call(config, "lock.list");
        List<LockInfo> out = new ArrayList<>(all.length);
        for (Object o : all) {
            out.add(LockInfo.of((Map<?, ?>) o));
        }
        return out;
    }

    /** Creates a lock (if the server allows it); false if it exists. */
    public boolean create(String lock, int size) {
        return (Boolean) call(config, "lock.create", lock, size);
    }

    /** Admin: releases any ticket, held or queued; false if it is gone. */
    public boolean forceRelease(String ticket) {
        return (Boolean) call(config, "admin.release", ticket);
    }

    public boolean ping() {
        return (Boolean) call(config, "server.ping");
    }

    private Object call(XmlRpcClientConfigImpl cfg, String method, Object... params) {
        try {
            return rpc.execute(cfg, method, params);
        } catch (XmlRpcHttpTransportException e) {
            throw new LockServerException(LockServerException.UNREACHABLE,
                    method + ": " + url + " answered HTTP " + e.getStatusCode(), e);
        } catch (XmlRpcException e) {
            if (e.code > 0) {
                throw new LockServerException(e.code, e.getMessage(), e);
            }
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof KeepAliveTransportFactory.AnswerTooLarge) {
                throw new LockServerException(LockServerException.UNREACHABLE,
                        method + ": " + url + " answered, but " + cause.getMessage(), e);
            }
            String why = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            throw new LockServerException(LockServerException.UNREACHABLE,
                    method + ": cannot reach lockserver at " + url + ": " + why, e);
        }
    }

    @Override
    public String toString() {
        return "LockClient[" + url + "]";
    }
}
