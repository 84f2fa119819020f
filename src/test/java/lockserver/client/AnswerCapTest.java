package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * The Java client reads at most 16 MiB of an answer's body (64 KiB of its header) from a
 * broken or hostile server: more fails the call as UNREACHABLE, and the next call works on a
 * fresh connection. The server here is a real socket on loopback that writes a bounded
 * amount (a little more than the cap) and stops, so every test ends by itself.
 */
public class AnswerCapTest {
    private static final int CAP = 16 << 20;
    /** What a hostile answer writes at most: enough to pass any cap, so a client without one reads it all. */
    private static final long HOSTILE_BYTES = CAP + (4 << 20);
    private static final byte[] BLOCK = filled(64 << 10);
    private static final String PING_TRUE = "<?xml version=\"1.0\"?><methodResponse><params><param>"
            + "<value><boolean>1</boolean></value></param></params></methodResponse>";

    @Rule
    public Timeout timeout = Timeout.seconds(60);
    private ScriptedServer server;

    @After
    public void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    @Test
    public void endlessChunkedBodyFailsAtTheCap() throws Exception {
        assertCappedThenNextCallWorks(out -> {
            head(out, "Transfer-Encoding: chunked");
            repeat(out, (Integer.toHexString(BLOCK.length) + "\r\n").getBytes(StandardCharsets.US_ASCII), BLOCK,
                    "\r\n".getBytes(StandardCharsets.US_ASCII));
        }, "the answer was larger than the client's cap of 16 MiB");
    }

    @Test
    public void endlessCloseDelimitedBodyFailsAtTheCap() throws Exception {
        assertCappedThenNextCallWorks(out -> {
            head(out, "Connection: close");
            repeat(out, BLOCK);
        }, "the answer was larger than the client's cap of 16 MiB");
    }

    @Test
    public void hugeContentLengthFailsWithoutReadingTheBody() throws Exception {
        assertCappedThenNextCallWorks(out -> {
            head(out, "Content-Length: 1099511627776");
            repeat(out, BLOCK);
        }, "the answer was larger than the client's cap of 16 MiB");
    }

    @Test
    public void endlessHeaderFailsAtTheHeaderCap() throws Exception {
        assertCappedThenNextCallWorks(out -> {
            out.write("HTTP/1.1 200 OK\r\n".getBytes(StandardCharsets.US_ASCII));
            repeat(out, ("X-Filler: " + "x".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }, "the answer's header was larger than the client's cap of 64 KiB");
    }

    @Test
    public void bodyOfExactlyTheCapIsRead() throws Exception {
        byte[] body = Arrays.copyOf(PING_TRUE.getBytes(StandardCharsets.US_ASCII), CAP);
        Arrays.fill(body, PING_TRUE.length(), CAP, (byte) ' '); // trailing white space after the XML
        server = new ScriptedServer(out -> {
            head(out, "Connection: close");
            out.write(body);
        });
        assertTrue(new LockClient(server.url(), Duration.ofSeconds(20)).ping());
    }

    /** The first connection gets {@code hostile}; the second a plain answer to server.ping. */
    private void assertCappedThenNextCallWorks(Answer hostile, String why) throws Exception {
        server = new ScriptedServer(hostile, out -> {
            head(out, "Content-Length: " + PING_TRUE.length());
            out.write(PING_TRUE.getBytes(StandardCharsets.US_ASCII));
        });
        LockClient client = new LockClient(server.url(), Duration.ofSeconds(20));
        try {
            client.ping();
            fail("an answer over the cap was read");
        } catch (LockServerException e) {
            assertEquals(LockServerException.UNREACHABLE, e.faultCode());
            assertEquals("server.ping: " + server.url() + " answered, but " + why, e.getMessage());
        }
        assertTrue(client.ping());
        assertEquals("the second call came on a fresh connection", 2, server.accepted());
    }

    private static void head(OutputStream out, String header) throws IOException {
        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + header + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    /** Writes {@code parts} in turn, over and over, until {@link #HOSTILE_BYTES} are out. */
    private static void repeat(OutputStream out, byte[]... parts) throws IOException {
        for (long sent = 0; sent < HOSTILE_BYTES; ) {
            for (byte[] p : parts) {
                out.write(p);
                sent += p.length;
            }
        }
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'a');
        return b;
    }

    private interface Answer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A server on a loopback port that answers the n-th connection's one request with the
     * n-th answer, then closes it. A client that hangs up first only ends that answer early.
     */
    private static final class ScriptedServer implements AutoCloseable {
        private final ServerSocket socket;
        private final AtomicInteger accepted = new AtomicInteger();
        private final Thread thread;

        ScriptedServer(Answer... answers) throws IOException {
            socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            thread = new Thread(() -> serve(answers), "scripted-server");
            thread.setDaemon(true);
            thread.start();
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort() + "/RPC2";
        }

        int accepted() {
            return accepted.get();
        }

        private void serve(Answer[] answers) {
            for (Answer answer : answers) {
                try (Socket s = socket.accept()) {
                    accepted.incrementAndGet();
                    readRequest(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    try {
                        answer.writeTo(out);
                        out.flush();
                    } catch (IOException hungUp) {
                        // the client stopped reading: what a capped client does
                    }
                } catch (IOException closed) {
                    return; // the test is over
                }
            }
        }

        /** Reads one request: its head up to the blank line, then Content-Length bytes. */
        private static void readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("the request was cut off");
                }
                head.write(c);
            }
            for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    in.readNBytes(Integer.parseInt(line.substring(15).trim()));
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
