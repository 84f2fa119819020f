package lockserver.client;

import java.io.EOFException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import lockserver.wire.Fault;
import org.apache.xmlrpc.XmlRpcException;

/**
 * The servers of one client (the nodes of a cluster), tried in turn: a call that gets no
 * answer from one (refused, reset, closed or timed out), fault 11 {@code NO_LEADER} or fault 7
 * {@code SHUTTING_DOWN} goes to
 * the next, starting from the one that last answered; after one round in which every server
 * failed, it fails with the last server's error. Any other fault is an answer and is never
 * sent elsewhere. So one round takes at most one call timeout per server. Thread-safe.
 */
final class Failover {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<Endpoint> endpoints;
    private final AtomicInteger current = new AtomicInteger(); // the one that last answered

    Failover(List<Endpoint> endpoints) {
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no lockserver URL given");
        }
        this.endpoints = List.copyOf(endpoints);
    }

    /** One try of a call on one server; called again, for the next server, after a failure that may be retried. */
    interface Attempt {
        Object on(Endpoint server) throws XmlRpcException;
    }

    Object call(String method, Attempt attempt) {
        int start = current.get();
        LockServerException last = null;
        for (int i = 0; i < endpoints.size(); i++) {
            int index = (start + i) % endpoints.size();
            Endpoint server = endpoints.get(index);
            try {
                Object result = attempt.on(server);
                current.set(index);
                return result;
            } catch (XmlRpcException e) {
                last = server.failure(method, e);
                if (!anotherServerMayAnswer(e)) {
                    throw last;
                }
            }
        }
        throw last;
    }

    /**
     * The options struct of {@code lock.query} and {@code lock.acquire} for one new ticket: a
     * fresh random key, sent again on every retry of that acquisition, so that a retry after
     * an answer lost with a node leaves no second ticket. Null with one server: it never
     * retries, and servers older than the struct refuse a call carrying it.
     */
    Map<String, Object> newTicketOptions() {
        if (endpoints.size() == 1) {
            return null;
        }
        byte[] key = new byte[16];
        RANDOM.nextBytes(key);
        return Map.of("key", HexFormat.of().formatHex(key));
    }

    /**
     * NO_LEADER, SHUTTING_DOWN (a node on its way down), or no answer at all: refused, reset,
     * closed before an answer, timed out, unknown host.
     */
    private static boolean anotherServerMayAnswer(XmlRpcException e) {
        if (e.code == Fault.NO_LEADER.code || e.code == Fault.SHUTTING_DOWN.code) {
            return true;
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof SocketException || t instanceof SocketTimeoutException || t instanceof EOFException
                    || t instanceof UnknownHostException) {
                return true; // (ConnectException and NoRouteToHostException are SocketExceptions)
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return endpoints.toString();
    }
}
