package lockserver.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a client sees of a cluster node cut off from the majority: every call is answered
 * with fault 11 NO_LEADER, over keep-alive HTTP/1.1 on a loopback port. Counts the calls.
 */
final class NoLeaderNode implements AutoCloseable {
    private static final byte[] FAULT = ("<?xml version=\"1.0\"?><methodResponse><fault><value><struct>"
            + "<member><name>faultCode</name><value><int>11</int></value></member>"
            + "<member><name>faultString</name><value><string>no leader: this node cannot reach a majority"
            + " of the cluster</string></value></member></struct></value></fault></methodResponse>")
            .getBytes(StandardCharsets.US_ASCII);

    private final ServerSocket socket;
    private final AtomicInteger calls = new AtomicInteger();

    NoLeaderNode() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "no-leader-node");
        t.setDaemon(true);
        t.start();
    }

    String url() {
        return "http://127.0.0.1:" + socket.getLocalPort() + "/RPC2";
    }

    int calls() {
        return calls.get();
    }

    private void acceptLoop() {
        while (true) {
            try {
                Socket s = socket.accept();
                Thread t = new Thread(() -> serve(s), "no-leader-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (readRequest(in)) {
                calls.incrementAndGet();
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: " + FAULT.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(FAULT);
                out.flush();
            }
        } catch (IOException gone) {
            // the client hung up
        }
    }

    /** Reads one request: its head up to the blank line, then Content-Length bytes; false at the end. */
    private static boolean readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                return false;
            }
            head.write(c);
        }
        for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).trim()));
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
