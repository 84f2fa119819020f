package lockserver.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy on loopback in front of a real server: a node of a cluster, as the client sees
 * it. Two proxies in front of one server are two nodes that share the state. A test can stop
 * a proxy (a node that dies: connections closed, the port refuses), start it again on the
 * same port, or have it die once it has passed a request on and the answer starts to come
 * back (the answer is lost with the node). Counts the connections accepted and the bytes
 * passed on to the server; thread-safe.
 */
final class TcpProxy implements AutoCloseable {
    private final InetSocketAddress upstream;
    private final String path;
    private final int port;
    private final List<Socket> open = new ArrayList<>(); // guarded by this
    private ServerSocket listener; // guarded by this
    private int accepted; // guarded by this
    private long toServer; // guarded by this
    private boolean dieOnAnswer; // guarded by this

    TcpProxy(URI server) throws IOException {
        this(server, 0);
    }

    private TcpProxy(URI server, int port) throws IOException {
        upstream = new InetSocketAddress(server.getHost(), server.getPort());
        path = server.getPath();
        this.port = listen(port);
    }

    String url() {
        return "http://127.0.0.1:" + port + path;
    }

    synchronized int accepted() {
        return accepted;
    }

    synchronized long bytesToServer() {
        return toServer;
    }

    /** Waits, at most {@code timeout}, until more than {@code bytes} bytes went on to the server. */
    synchronized void awaitBytesToServer(long bytes, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (toServer <= bytes) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no request passed the proxy within " + timeout);
            }
            wait(left / 1_000_000 + 1);
        }
    }

    /** From now on: when the server's answer starts to come back, drop it and stop, as a node that dies. */
    synchronized void dieOnNextAnswer() {
        dieOnAnswer = true;
    }

    /** Stops listening and closes every connection: the port refuses connections. */
    void stop() {
        List<Socket> all;
        synchronized (this) {
            all = new ArrayList<>(open);
            open.clear();
            if (listener != null) {
                closeQuietly(listener);
                listener = null;
            }
        }
        all.forEach(TcpProxy::closeQuietly);
    }

    /** Listens again on the same port. */
    void restart() throws IOException {
        listen(port);
    }

    @Override
    public void close() {
        stop();
    }

    private synchronized int listen(int at) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), at), 50);
        listener = s;
        Thread t = new Thread(() -> acceptLoop(s), "tcp-proxy-" + s.getLocalPort());
        t.setDaemon(true);
        t.start();
        return s.getLocalPort();
    }

    private void acceptLoop(ServerSocket s) {
        while (true) {
            Socket client;
            Socket server;
            try {
                client = s.accept();
            } catch (IOException closed) {
                return;
            }
            try {
                server = new Socket();
                server.connect(upstream, 5000);
            } catch (IOException e) {
                closeQuietly(client);
                continue;
            }
            synchronized (this) {
                if (listener != s) { // stopped meanwhile
                    closeQuietly(client);
                    closeQuietly(server);
                    return;
                }
                accepted++;
                open.add(client);
                open.add(server);
            }
            pump(client, server, true);
            pump(server, client, false);
        }
    }

    private void pump(Socket from, Socket to, boolean toTheServer) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    if (!toTheServer && dyingNow()) {
                        stop();
                        return;
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    if (toTheServer) {
                        passed(n);
                    }
                }
            } catch (IOException closed) {
                // the other side went away, or the proxy stopped
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** True once, at the first answer after {@link #dieOnNextAnswer}. */
    private synchronized boolean dyingNow() {
        boolean dying = dieOnAnswer;
        dieOnAnswer = false;
        return dying;
    }

    private synchronized void passed(int n) {
        toServer += n;
        notifyAll();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
