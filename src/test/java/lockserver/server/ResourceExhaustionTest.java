package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.LockServerException;
import lockserver.client.TicketInfo;
import org.junit.After;
import org.junit.Test;

/** Slow clients, idle connections, the connection limit, query floods and parser depth on a live server. */
public class ResourceExhaustionTest {
    private static final byte[] PING = ("<?xml version=\"1.0\"?><methodCall><methodName>server.ping</methodName>"
            + "<params/></methodCall>").getBytes(StandardCharsets.UTF_8);

    private LockServer server;
    private final List<Socket> sockets = new ArrayList<>();

    @After
    public void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Socket open(int soTimeoutMillis) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
        s.setSoTimeout(soTimeoutMillis);
        return s;
    }

    /** A lock.query, check and release on "single" by a fresh client, each call timed. */
    private void normalClientIsServedPromptly(String when) {
        LockClient c = new LockClient(server.url().toString(), Duration.ofSeconds(3));
        long start = System.nanoTime();
        String t = c.query("single", "normal client " + when);
        assertTrue(when + ": a normal client's query is granted", c.check(t).isGranted());
        assertTrue(when + ": release", c.release(t));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(when + ": query, check and release took " + seconds + " s", seconds < 1.5);
    }

    @Test(timeout = 20_000)
    public void slowlorisDoesNotStarveClientsAndIdleConnectionsAreClosed() throws Exception {
        server = TestServers.start(TestServers.withGeneral("MAX_WAIT_TIME=1", "IDLE_TIMEOUT=2")
                + "\n[lock single]\nSIZE=1\n");
        byte[] partial = ("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").getBytes(StandardCharsets.US_ASCII);
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            slow.add(open(500));
        }
        List<Socket> silent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            silent.add(open(500)); // connected, never sends a byte
        }
        AtomicBoolean dribbling = new AtomicBoolean(true);
        Thread dribbler = new Thread(() -> {
            // the attack's pace: one byte per connection every 200 ms
            for (int i = 0; i < partial.length && dribbling.get(); i++) {
                for (Socket s : slow) {
                    try {
                        OutputStream out = s.getOutputStream();
                        out.write(partial[i]);
                        out.flush();
                    } catch (IOException e) {
                        // closed by the server: fine
                    }
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "slowloris");
        dribbler.start();
        long attackStart = System.nanoTime();
        // while the slow connections hang on, normal clients are served promptly
        int rounds = 0;
        while (System.nanoTime() - attackStart < 2_500_000_000L) {
            normalClientIsServedPromptly("during the slowloris, round " + ++rounds);
        }
        assertTrue(rounds >= 2);
        dribbling.set(false);
        dribbler.join(5_000);
        long quiet = System.nanoTime();

        // now every slow and silent connection is idle: the server closes them after IDLE_TIMEOUT=2 s
        long deadline = quiet + 6_000_000_000L;
        List<Socket> all = new ArrayList<>(slow);
        all.addAll(silent);
        int closed = 0;
        for (Socket s : all) {
            if (closedByServerBefore(s, deadline)) {
                closed++;
            }
        }
        double seconds = (System.nanoTime() - quiet) / 1e9;
        assertEquals("idle connections closed by the server within " + seconds + " s of going quiet", all.size(),
                closed);
        normalClientIsServedPromptly("after the slowloris");
        assertEquals(new LockInfo("single", 1, 0, 0, 0, 0, ""), TestServers.unversioned(new LockClient(server.url().toString()).status("single")));
    }

    @Test(timeout = 30_000)
    public void dribblingConnectionsCannotHoldTheConnectionLimitForever() throws Exception {
        server = TestServers.start(TestServers.withGeneral("MAX_WAIT_TIME=1", "IDLE_TIMEOUT=2", "MAX_CONNECTIONS=10",
                "REQUEST_TIMEOUT=3") + "\n[lock single]\nSIZE=1\n");
        byte[] head = ("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "a".repeat(200))
                .getBytes(StandardCharsets.US_ASCII);
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            slow.add(open(500));
        }
        AtomicBoolean dribbling = new AtomicBoolean(true);
        Thread dribbler = new Thread(() -> {
            // one byte per connection every second: never idle for IDLE_TIMEOUT=2 s, never done
            for (int i = 0; i < head.length && dribbling.get(); i++) {
                for (Socket s : slow) {
                    try {
                        s.getOutputStream().write(head[i]);
                    } catch (IOException e) {
                        // closed by the server: what should happen
                    }
                }
                try {
                    Thread.sleep(1_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "dribbler");
        dribbler.start();
        try {
            // a normal client must get through within a bounded time: the server has to drop
            // connections whose request head is not complete after a while (e.g. IDLE_TIMEOUT)
            long deadline = System.nanoTime() + 12_000_000_000L;
            boolean served = false;
            while (!served && System.nanoTime() < deadline) {
                try {
                    RawHttp.Response r = RawHttp.exchange(server.port(), RawHttp.post("/RPC2", "text/xml", PING),
                            false, 2_000);
                    served = r.status() == 200;
                } catch (IOException e) {
                    // not served yet
                }
            }
            assertTrue("a normal client was locked out for 12 s by 10 connections dribbling their headers "
                    + "with MAX_CONNECTIONS=10", served);
        } finally {
            dribbling.set(false);
            dribbler.interrupt();
            dribbler.join(5_000);
        }
    }

    /** Reads (discarding a 408 or similar) until end of stream or the deadline. */
    private static boolean closedByServerBefore(Socket s, long deadlineNanos) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while (System.nanoTime() < deadlineNanos) {
            try {
                if (in.read(buf) < 0) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                // keep waiting until the deadline
            } catch (IOException e) {
                return true; // reset by the server
            }
        }
        return false;
    }

    @Test(timeout = 30_000)
    public void connectionLimitHoldsNewConnectionsAndRecovers() throws Exception {
        server = TestServers.start(TestServers.withGeneral("MAX_WAIT_TIME=1", "IDLE_TIMEOUT=30", "MAX_CONNECTIONS=20")
                + "\n[lock single]\nSIZE=1\n");
        List<Socket> idle = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            idle.add(open(1_000));
        }
        // the 21st connection is not served while the 20 idle ones are open (it waits, or is refused)
        boolean served;
        try (Socket extra = new Socket()) {
            extra.connect(new InetSocketAddress("127.0.0.1", server.port()), 2_000);
            extra.setSoTimeout(1_000);
            extra.getOutputStream().write(RawHttp.post("/RPC2", "text/xml", PING));
            served = RawHttp.read(extra.getInputStream(), System.nanoTime()).status() == 200;
        } catch (SocketTimeoutException | java.net.ConnectException e) {
            served = false;
        } catch (IOException e) {
            served = false; // reset: refused
        }
        assertFalse("a 21st connection was served although MAX_CONNECTIONS=20 were open", served);

        // a request that arrives while the limit is reached is served once connections close
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<RawHttp.Response> pending = pool.submit(() -> RawHttp.exchange(server.port(), RawHttp.post("/RPC2",
                    "text/xml", PING), false, 10_000));
            for (Socket s : idle) {
                s.close();
            }
            RawHttp.Response r = pending.get(10, TimeUnit.SECONDS);
            assertEquals(r.describe(), 200, r.status());
            assertTrue(r.describe(), r.body().contains("<boolean>1</boolean>"));
        } finally {
            pool.shutdownNow();
        }
        normalClientIsServedPromptly("after the connection limit was reached");
        // and the limit is enforced again, not used up: 20 more connections come and go
        for (int round = 0; round < 3; round++) {
            List<Socket> again = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                again.add(open(1_000));
            }
            for (Socket s : again) {
                s.close();
            }
            normalClientIsServedPromptly("after round " + round + " of 20 connections");
        }
    }

    @Test(timeout = 60_000)
    public void queryFloodIsCappedByMaxQueueAndLeavesNothingBehind() throws Exception {
        server = TestServers.start(TestServers.withGeneral("DEFAULT_LOCK_MAX_QUEUE=100") + "\n[lock single]\nSIZE=1\n");
        LockClient client = new LockClient(server.url().toString());
        String holder = client.query("single", "holder");
        TicketInfo h = client.check(holder);
        assertTrue(h.isGranted());
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            for (int round = 0; round < 3; round++) {
                List<Future<Object>> answers = new ArrayList<>();
                for (int i = 0; i < 150; i++) {
                    int n = i;
                    answers.add(pool.submit(() -> {
                        try {
                            return client.query("single", "flood " + n);
                        } catch (LockServerException e) {
                            return e;
                        }
                    }));
                }
                List<String> queued = new ArrayList<>();
                int full = 0;
                for (Future<Object> f : answers) {
                    Object a = f.get(30, TimeUnit.SECONDS);
                    if (a instanceof String t) {
                        queued.add(t);
                    } else {
                        LockServerException e = (LockServerException) a;
                        assertEquals(e.getMessage(), 5, e.faultCode());
                        full++;
                    }
                }
                assertEquals("round " + round + ": queued", 100, queued.size());
                assertEquals("round " + round + ": refused with QUEUE_FULL", 50, full);
                assertEquals(new LockInfo("single", 1, 1, 100, 1, 0, ""), TestServers.unversioned(client.status("single")));
                TicketInfo now = client.check(holder);
                assertTrue("round " + round + ": holder intact", now.isGranted());
                assertEquals(h.token(), now.token());
                Set<Integer> positions = new HashSet<>();
                for (String t : queued) {
                    positions.add(server.registry().peek(t).position());
                }
                assertEquals("every queued ticket has its own place", 100, positions.size());
                assertEquals(1, (int) java.util.Collections.min(positions));
                assertEquals(100, (int) java.util.Collections.max(positions));
                for (String t : queued) {
                    assertTrue(client.release(t));
                }
                assertEquals(new LockInfo("single", 1, 1, 0, 1, 0, ""), TestServers.unversioned(client.status("single")));
                assertEquals("round " + round + ": no ticket left behind", 1, server.registry().ticketCount());
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(client.check(holder).isGranted());
        assertTrue(client.release(holder));
        assertEquals(0, server.registry().ticketCount());
    }

    @Test(timeout = 60_000)
    public void deepNestingBeyondTheDefaultCapIsAClearFault() throws Exception {
        // a server that accepts bodies big enough for 100,000 levels, so the parser sees them
        server = TestServers.start(TestServers.withGeneral("MAX_REQUEST_BYTES=8000000") + "\n[lock single]\nSIZE=1\n");
        LockClient client = new LockClient(server.url().toString());
        String holder = client.query("single", "holder");
        long token = client.check(holder).token();
        String queued = client.query("single", "queued");
        String head = "<?xml version=\"1.0\"?><methodCall><methodName>lock.status</methodName><params><param><value>";
        String tail = "</value></param></params></methodCall>";
        int depth = 100_000;
        String[][] cases = {
            {"100,000 nested arrays", head + "<array><data><value>".repeat(depth) + "x"
                    + "</value></data></array>".repeat(depth) + tail},
            {"100,000 nested structs", head + "<struct><member><name>a</name><value>".repeat(depth) + "x"
                    + "</value></member></struct>".repeat(depth) + tail},
            {"100,000 nested arrays, never closed", head + "<array><data><value>".repeat(depth)},
            {"100,000 nested unknown elements", head + "<a>".repeat(depth) + "</a>".repeat(depth) + tail},
        };
        List<String> failures = new ArrayList<>();
        for (String[] c : cases) {
            RawHttp.Response r = RawHttp.exchange(server.port(), RawHttp.post("/RPC2", "text/xml",
                    c[1].getBytes(StandardCharsets.UTF_8)), false, 15_000);
            Integer code = r.faultCode();
            if (r.status() != 200 || code == null || !(code == 3 || code == 8)) {
                failures.add(c[0] + ": expected fault 3 or 8, got " + r.describe());
            }
            if (r.seconds() > 10) {
                failures.add(c[0] + ": took " + r.seconds() + " s");
            }
            for (String marker : List.of("Exception", "\tat ", "java.")) {
                if (r.body().contains(marker)) {
                    failures.add(c[0] + ": answer leaks '" + marker + "': " + r.describe());
                }
            }
            assertTrue(c[0] + ": server.ping afterwards", client.ping());
            assertEquals(c[0] + ": holder", token, client.check(holder).token());
            assertEquals(c[0] + ": queued", 1, client.check(queued).position());
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }
}
