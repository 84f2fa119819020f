package lockserver.server.rpc;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.Connection;

/**
 * Closes connections that take longer than REQUEST_TIMEOUT to deliver a request once they
 * have started sending it (slowloris: a request head dribbled a byte at a time never looks
 * idle). Time spent handling a request, a blocked wait for instance, and quiet time between
 * requests do not count. Sees every connection (as a Jetty connection listener) and every
 * request (as a servlet filter); checks once a second on its own thread.
 */
public final class SlowRequestGuard implements Connection.Listener, Filter, AutoCloseable {
    private static final Logger log = LogManager.getLogger(SlowRequestGuard.class);

    /** Per connection; {@code handling} and {@code bytesAtEnd} written by request threads, the rest by the checker. */
    static final class State {
        volatile boolean handling;
        volatile long bytesAtEnd;
        long partialSince; // checker thread only: 0, or when bytes of an unfinished request were first seen
    }

    private final long timeoutNanos;
    private final Map<Connection, State> open = new ConcurrentHashMap<>();
    private final ScheduledExecutorService checker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "slow-requests");
        t.setDaemon(true);
        return t;
    });

    public SlowRequestGuard(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
        checker.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public void onOpened(Connection connection) {
        open.put(connection, new State());
    }

    @Override
    public void onClosed(Connection connection) {
        open.remove(connection);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest((HttpServletRequest) request);
        Connection connection = jetty == null ? null : jetty.getConnectionMetaData().getConnection();
        State state = begin(connection);
        try {
            chain.doFilter(request, response);
        } finally {
            end(connection, state);
        }
    }

    /** Marks the start of handling a request on {@code connection}; pass the result to {@link #end}. */
    State begin(Connection connection) {
        State state = connection == null ? null : open.get(connection);
        if (state != null) {
            state.handling = true;
        }
        return state;
    }

    /** Marks the end of handling a request: what the connection has sent so far was all of it. */
    void end(Connection connection, State state) {
        if (state != null) {
            state.bytesAtEnd = connection.getBytesIn();
            state.handling = false;
        }
    }

    private void check() {
        long now = System.nanoTime();
        for (Map.Entry<Connection, State> e : open.entrySet()) {
            Connection c = e.getKey();
            State s = e.getValue();
            if (s.handling || c.getBytesIn() <= s.bytesAtEnd) {
                s.partialSince = 0; // handling a request, or quiet between requests
            } else if (s.partialSince == 0) {
                s.partialSince = now;
            } else if (now - s.partialSince > timeoutNanos) {
                log.warn("closing a connection from {} that sent only part of a request in {} s (REQUEST_TIMEOUT)",
                        c.getEndPoint().getRemoteSocketAddress(), timeoutNanos / 1e9);
                c.getEndPoint().close();
                open.remove(c);
            }
        }
    }

    @Override
    public void close() {
        checker.shutdownNow();
    }
}
