package lockserver.server;

import jakarta.servlet.DispatcherType;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import lockserver.core.Clock;
import lockserver.core.ExpiryLog;
import lockserver.core.LockListener;
import lockserver.core.LockRegistry;
import lockserver.server.auth.Access;
import lockserver.server.cluster.ClusterLocks;
import lockserver.server.cluster.ClusterNode;
import lockserver.server.config.ConfigException;
import lockserver.server.config.Logging;
import lockserver.server.config.ServerConfig;
import lockserver.server.journal.Durability;
import lockserver.server.journal.Journal;
import lockserver.server.rpc.LockService;
import lockserver.server.rpc.Locks;
import lockserver.server.rpc.RpcEndpoint;
import lockserver.server.rpc.SlowRequestGuard;
import lockserver.server.web.History;
import lockserver.server.web.Metrics;
import lockserver.server.web.MetricsPage;
import lockserver.server.web.StatusPage;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A running lockserver: the locks of a {@link ServerConfig}, their lifecycle thread, and
 * in embedded Jetty the XML-RPC endpoint {@code /RPC2}, the status page {@code /} and
 * {@code /metrics}. {@link #reload()} applies a changed config file without a restart;
 * {@link #close()} answers blocked waits, stops the lifecycle and then Jetty.
 */
public final class LockServer implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(LockServer.class);
    public static final String PATH = RpcEndpoint.PATH;
    /**
     * Selector threads, one per core: quick calls are served on them (see RpcEndpoint),
     * so they are the server's workers; Jetty's default is one on two cores.
     */
    private static final int SELECTORS = Runtime.getRuntime().availableProcessors();

    private volatile ServerConfig config;
    private volatile Access access;
    private final LockRegistry registry; // a single server's; a cluster node's is its ClusterNode's
    private final LifecycleThread lifecycle;
    private final Server jetty;
    private final ServerConnector connector;
    private final Journal journal; // null: state in memory only, or in a cluster
    private final ClusterNode cluster; // null: a single server
    private final Locks locks;
    private final SlowRequestGuard slowRequests;
    private boolean closed; // guarded by this
    private final AtomicBoolean failed = new AtomicBoolean();

    private LockServer(ServerConfig config, Clock clock) throws IOException {
        this.config = config;
        Metrics metrics = new Metrics(this::registry);
        History history = new History(clock, this::registry);
        if (config.cluster() != null) {
            journal = null;
            registry = null;
            cluster = ClusterNode.start(() -> this.config);
            locks = new ClusterLocks(cluster);
            lifecycle = new LifecycleThread(expired -> clusterTick(), history::sample,
                    config.lifecyclePeriodNanos());
        } else {
            cluster = null;
            journal = config.dataDir() == null ? null : Journal.open(config.dataDir(), config.journalFsync());
            registry = new LockRegistry(clock, journal == null ? LockListener.NONE : journal);
            Durability durability = restore(config);
            locks = new LocalLocks(registry, durability);
            lifecycle = new LifecycleThread(expired -> durability.batch(() -> tick(registry, metrics, expired)),
                    history::sample, config.lifecyclePeriodNanos());
        }
        this.access = new Access(config.users(), config.anonymousAdmin());
        if (cluster != null) {
            metrics.cluster(cluster::status);
        }

        QueuedThreadPool threads = new QueuedThreadPool(config.maxThreads(), Math.min(8, config.maxThreads()));
        threads.setName("http");
        jetty = new Server(threads);
        connector = newConnector(jetty, config);
        slowRequests = new SlowRequestGuard(config.requestTimeoutNanos());
        connector.addEventListener(slowRequests);
        jetty.addConnector(connector);
        // slow or idle clients cannot pile up connections beyond the limit
        jetty.addBean(new NetworkConnectionLimit(config.maxConnections(), connector));
        // the status page and /metrics; /metrics is 9 MB of text with 10,000 locks, and
        // Prometheus asks for gzip (about 20x smaller)
        ServletContextHandler pages = new ServletContextHandler();
        pages.setContextPath("/");
        pages.addServlet(new ServletHolder("metrics", new MetricsPage(metrics)), "/metrics");
        pages.addServlet(new ServletHolder("status", new StatusPage(this::registry, history,
                cluster == null ? null : cluster::status)), "/");
        FilterHolder guard = new FilterHolder(slowRequests);
        guard.setAsyncSupported(true);
        pages.addFilter(guard, "/*", EnumSet.of(DispatcherType.REQUEST));
        // the pages only (RPC answers are small and sent as they are): /metrics is 9 MB of text with
        // 10,000 locks, the status page ~4 KB a lock with its charts; gzip makes them ~10-20x smaller
        GzipHandler gzip = new GzipHandler(pages);
        LockService service = new LockService(locks, () -> this.config, () -> this.access, metrics, this::reload,
                cluster, this::closeSoon);
        // on stop, calls in progress are answered before connections close: a client whose
        // call was executed must not see a silent close (it would take that as "not executed")
        jetty.setHandler(new GracefulHandler(new RpcEndpoint(gzip, service, metrics, config.maxRequestBytes(),
                slowRequests, threads)));
        jetty.setStopTimeout(5_000);
    }

    /** Creates the configured locks and puts back what the journal remembers; the journal, or none. */
    private Durability restore(ServerConfig config) {
        registry.configure(config.locks());
        if (journal == null) {
            log.warn("no DATA_DIR: state is in memory only, and a restart forgets every holder and queue");
            return Durability.NONE;
        }
        journal.remoteLocks().forEach((name, size) -> registry.create(name, config.defaultSettings().withSize(size)));
        registry.restore(journal.restoredTickets(), journal.restoredDelays(), journal.lastTokens(),
                config.defaultSettings());
        journal.start();
        return journal;
    }

    /**
     * One lifecycle tick: what is due ends and the freed slots go on. The metric times this
     * alone, not the journal writer's wake-up at the end of the batch, which the kernel may
     * answer by running the writer on this thread's core first.
     */
    private static void tick(LockRegistry registry, Metrics metrics, ExpiryLog expired) {
        long start = System.nanoTime();
        try {
            registry.tick(expired);
        } finally {
            metrics.tickTook(System.nanoTime() - start);
        }
    }

    private static ServerConnector newConnector(Server jetty, ServerConfig config) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // each connection keeps a cache of header fields it has seen; the default (1024)
        // took about 100 KB a connection, and our clients send five or six headers
        http.setHeaderCacheSize(256);
        ServerConnector c;
        if (config.tlsKeystore() == null) {
            c = new ServerConnector(jetty, 1, SELECTORS, new HttpConnectionFactory(http));
        } else {
            SslContextFactory.Server tls = new SslContextFactory.Server();
            tls.setKeyStorePath(config.tlsKeystore().toString());
            tls.setKeyStorePassword(config.tlsKeystorePassword());
            http.addCustomizer(new SecureRequestCustomizer(false)); // clients may name the server by address
            c = new ServerConnector(jetty, 1, SELECTORS,
                    AbstractConnectionFactory.getFactories(tls, new HttpConnectionFactory(http)));
        }
        c.setHost(config.host());
        c.setPort(config.port());
        // longer than the longest wait (validated), so a blocked lock.wait keeps its connection
        c.setIdleTimeout(config.idleTimeoutNanos() / 1_000_000);
        return c;
    }

    /** Starts a server; throws if it cannot listen. */
    public static LockServer start(ServerConfig config, Clock clock) throws Exception {
        LockServer server = new LockServer(config, clock);
        try {
            server.jetty.start();
        } catch (Exception e) {
            server.jetty.stop();
            server.slowRequests.close();
            if (server.journal != null) {
                server.journal.close();
            }
            if (server.cluster != null) {
                server.cluster.close();
            }
            throw e;
        }
        if (server.registry != null) {
            // restored clients could not call while we started: their idle time starts now
            server.registry.renewAll();
        }
        server.lifecycle.start();
        return server;
    }

    /**
     * Re-reads the config file: new locks appear, changed sizes and times apply, removed
     * locks drain. A bad file is refused and the running config stays. Returns the changes.
     */
    public synchronized List<String> reload() throws ConfigException {
        ServerConfig old = config;
        if (old.file() == null) {
            throw new ConfigException(old.source() + ": no config file to reload");
        }
        ServerConfig next = ServerConfig.load(old.file());
        next.warnings().forEach(log::warn);
        List<String> changes = new ArrayList<>(cluster != null ? cluster.reconfigure(next.locks())
                : registry.configure(next.locks()));
        if (next.lifecyclePeriodNanos() != old.lifecyclePeriodNanos()) {
            lifecycle.setPeriod(next.lifecyclePeriodNanos());
            changes.add("LIFECYCLE_PERIOD is now " + next.lifecyclePeriodNanos() / 1e9 + " s");
        }
        if (!next.logLevel().equals(old.logLevel())) {
            Logging.setLevel(next.logLevel());
            changes.add("LOGLEVEL is now " + next.logLevel());
        }
        if (next.maxWaitNanos() != old.maxWaitNanos()) {
            changes.add("MAX_WAIT_TIME is now " + next.maxWaitNanos() / 1e9 + " s");
        }
        if (next.allowRemoteCreate() != old.allowRemoteCreate()) {
            changes.add("ALLOW_REMOTE_CREATE is now " + next.allowRemoteCreate());
        }
        if (!next.users().equals(old.users()) || next.anonymousAdmin() != old.anonymousAdmin()) {
            changes.add("users and ANONYMOUS_ADMIN reloaded: " + next.users().size() + " user(s)");
        }
        if (!next.host().equals(old.host()) || next.port() != old.port() || next.maxThreads() != old.maxThreads()
                || !Objects.equals(next.logFile(), old.logFile()) || next.maxConnections() != old.maxConnections()
                || next.idleTimeoutNanos() != old.idleTimeoutNanos() || next.maxRequestBytes() != old.maxRequestBytes()
                || !Objects.equals(next.tlsKeystore(), old.tlsKeystore())
                || next.requestTimeoutNanos() != old.requestTimeoutNanos()) {
            changes.add("SERVER, PORT, LOG_FILE, TLS, MAX_THREADS, MAX_CONNECTIONS, IDLE_TIMEOUT, REQUEST_TIMEOUT and "
                    + "MAX_REQUEST_BYTES"
                    + " changes take effect at the next restart");
        }
        access = new Access(next.users(), next.anonymousAdmin());
        config = next;
        if (changes.isEmpty()) {
            log.info("reloaded {}: nothing changed", next.source());
        }
        changes.forEach(c -> log.info("reloaded {}: {}", next.source(), c));
        return changes;
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** The endpoint URL, with a loopback host when the server listens on all addresses. */
    public URI url() {
        String host = config.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
            host = "127.0.0.1";
        }
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return URI.create((config.tlsKeystore() == null ? "http" : "https") + "://" + host + ":" + port() + PATH);
    }

    LockRegistry registry() {
        return cluster != null ? cluster.registry() : registry;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    /**
     * The lifecycle of a cluster node: the leader's tick. A node whose Raft server stopped on
     * its own stops as a whole, so that its service manager starts it again and it catches up
     * from its files: it must not go on answering from a replica nothing updates any more.
     */
    private void clusterTick() {
        if (!cluster.stoppedOnItsOwn()) {
            cluster.tickIfLeader();
        } else if (failed.compareAndSet(false, true)) {
            log.error("the Raft server of this cluster node stopped (the cause is logged above): stopping the "
                    + "node; started again, it catches up from its files and the leader");
            closeSoon();
        }
    }

    /** Whether the server stopped because it failed, not because it was asked to. */
    public boolean failed() {
        return failed.get();
    }

    /** Stops the server as {@link #close} does, on a thread of its own: the call asking for it is answered first. */
    private void closeSoon() {
        Thread t = new Thread(() -> {
            try {
                close();
            } catch (Exception e) {
                log.warn("error while stopping: {}", e.toString());
            }
        }, "remote-shutdown");
        t.start();
    }

    /** Stops the server; a second call (a signal after admin.shutdown) waits for the first and does nothing. */
    @Override
    public synchronized void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        locks.close();
        lifecycle.shutdown();
        jetty.stop();
        slowRequests.close();
        if (journal != null) {
            journal.close();
        }
        if (cluster != null) {
            cluster.close(); // last: the calls Jetty still answered needed it
        }
        log.info("stopped");
    }
}
