package lockserver.server;

import java.net.URI;
import java.util.Map;
import lockserver.core.Clock;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A running lockserver: the locks of a {@link ServerConfig}, their lifecycle thread, and
 * the XML-RPC endpoint {@code /RPC2} in embedded Jetty. {@link #close()} answers blocked
 * waits, stops the lifecycle and then Jetty.
 */
public final class LockServer implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(LockServer.class);
    public static final String PATH = "/RPC2";

    private final ServerConfig config;
    private final LockRegistry registry;
    private final LifecycleThread lifecycle;
    private final Server jetty;
    private final ServerConnector connector;

    private LockServer(ServerConfig config, Clock clock) {
        this.config = config;
        this.registry = new LockRegistry(clock);
        for (Map.Entry<String, LockSettings> e : config.locks().entrySet()) {
            registry.create(e.getKey(), e.getValue());
        }
        this.lifecycle = new LifecycleThread(registry::tick, config.lifecyclePeriodNanos());

        QueuedThreadPool threads = new QueuedThreadPool(config.maxThreads(), Math.min(8, config.maxThreads()));
        threads.setName("http");
        jetty = new Server(threads);
        connector = new ServerConnector(jetty);
        connector.setHost(config.host());
        connector.setPort(config.port());
        // longer than the longest wait, so a blocked lock.wait never loses its connection
        connector.setIdleTimeout(config.maxWaitNanos() / 1_000_000 + 30_000);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addServlet(new ServletHolder("xmlrpc", new RpcServlet(new LockService(registry, config))), PATH);
        jetty.setHandler(context);
        jetty.setStopTimeout(5_000);
    }

    /** Starts a server; throws if it cannot listen. */
    public static LockServer start(ServerConfig config, Clock clock) throws Exception {
        LockServer server = new LockServer(config, clock);
        try {
            server.jetty.start();
        } catch (Exception e) {
            server.jetty.stop();
            throw e;
        }
        server.lifecycle.start();
        return server;
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
        return URI.create("http://" + host + ":" + port() + PATH);
    }

    public LockRegistry registry() {
        return registry;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        jetty.join();
    }

    @Override
    public void close() throws Exception {
        registry.close();
        lifecycle.shutdown();
        jetty.stop();
        log.info("stopped");
    }
}
