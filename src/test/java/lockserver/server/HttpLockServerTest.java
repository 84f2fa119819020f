package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.LockServerException;
import lockserver.client.TicketInfo;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The server over real HTTP on an ephemeral loopback port, driven by the Java client. */
public class HttpLockServerTest {
    private LockServer server;
    private LockClient client;

    @Before
    public void start() throws Exception {
        // the issue's config verbatim, but on loopback, an ephemeral port and a lifecycle
        // period so long that only the immediate hand-off can explain a grant
        server = TestServers.start(TestServers.issueConfig().replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=3600")
                + "\n[lock single]\nSIZE=1\n");
        client = new LockClient(server.url().toString());
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void fiftyThreadsOnLockOfSixNeverExceedSixAndAllAreServed() throws Exception {
        int threads = 50;
        AtomicInteger holding = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        AtomicInteger served = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int n = i;
            done.add(pool.submit(() -> {
                for (int round = 0; round < 4; round++) {
                    try (Lock lock = new Lock(client, "DefaultLock")) {
                        assertTrue(lock.acquire("thread " + n, Duration.ofSeconds(60)));
                        int now = holding.incrementAndGet();
                        most.accumulateAndGet(now, Math::max);
                        LockInfo status = client.status("DefaultLock");
                        assertTrue("server reports " + status, status.granted() <= 6);
                        Thread.yield();
                        holding.decrementAndGet();
                    }
                    served.incrementAndGet();
                }
                return null;
            }));
        }
        pool.shutdown();
        for (Future<?> f : done) {
            f.get(120, TimeUnit.SECONDS);
        }
        assertEquals(threads * 4, served.get());
        assertTrue("at most 6 holders, saw " + most.get(), most.get() <= 6);
        assertTrue("the lock was actually shared, saw " + most.get(), most.get() > 1);
        assertEquals(new LockInfo("DefaultLock", 6, 0, 0, 0, 0, ""), TestServers.unversioned(client.status("DefaultLock")));
    }

    @Test
    public void waiterGetsFreedSlotWithoutWaitingForTheLifecycleTick() throws Exception {
        Lock holder = new Lock(client, "single");
        assertTrue(holder.acquire("holder", Duration.ofSeconds(5)));
        Lock waiter = new Lock(client, "single");
        waiter.query("waiter");
        CountDownLatch granted = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            if (waiter.await(Duration.ofSeconds(60))) {
                granted.countDown();
            }
        });
        t.start();
        assertEquals(1, waiter.check().position());
        holder.release();
        // the next tick is an hour away: only the release can have granted it
        assertTrue(granted.await(30, TimeUnit.SECONDS));
        assertTrue(waiter.check().isGranted());
        waiter.close();
    }

    @Test
    public void waitTimesOutWithFalseAndTicketStaysQueued() {
        try (Lock holder = new Lock(client, "single"); Lock other = new Lock(client, "single")) {
            assertTrue(holder.acquire("holder", Duration.ofSeconds(5)));
            other.query("other");
            assertFalse(other.await(Duration.ofMillis(200)));
            TicketInfo info = other.check();
            assertEquals("queued", info.state());
            assertEquals(1, info.position());
            assertEquals("other", info.info());
        }
    }

    @Test
    public void acquireTimeoutGivesUpThePlaceInQueue() {
        try (Lock holder = new Lock(client, "single"); Lock other = new Lock(client, "single")) {
            assertTrue(holder.acquire("holder", Duration.ofSeconds(5)));
            assertFalse(other.acquire("other", Duration.ofMillis(100)));
            assertEquals(new LockInfo("single", 1, 1, 0, 1, 0, ""), TestServers.unversioned(client.status("single")));
        }
    }

    @Test
    public void checkReportsGrantWithGrowingFencingTokens() {
        long last = 0;
        for (int i = 0; i < 3; i++) {
            try (Lock lock = new Lock(client, "single")) {
                assertTrue(lock.acquire("round " + i, Duration.ofSeconds(5)));
                TicketInfo info = lock.check();
                assertEquals("single", info.lock());
                assertEquals("granted", info.state());
                assertEquals(0, info.position());
                assertTrue(info.leftSeconds() > 0);
                assertTrue(info.token() > last);
                last = info.token();
            }
        }
    }

    @Test
    public void acquireIsQueryAndWaitInOneCall() throws Exception {
        String granted = call("lock.acquire", "<string>single</string>", "<string>first</string>", "<int>5</int>");
        assertTrue(granted, granted.contains("<name>state</name><value>granted</value>"));
        String queued = call("lock.acquire", "<string>single</string>", "<string>second</string>",
                "<double>0.1</double>");
        assertTrue(queued, queued.contains("<name>state</name><value>queued</value>"));
        assertTrue(queued, queued.contains("<name>token</name><value></value>")
                || queued.contains("<name>token</name><value/>"));
        assertEquals(new LockInfo("single", 1, 1, 1, 1, 0, ""), TestServers.unversioned(client.status("single")));
        LockClient.Acquired a = client.acquire("DefaultLock", "java", Duration.ofSeconds(5));
        assertTrue(a.granted());
        assertEquals(a.token(), client.check(a.ticket()).token());
    }

    @Test
    public void goneTicketIsFalseOrGoneNotAFault() {
        String ticket = client.query("DefaultLock", "short");
        assertTrue(client.release(ticket));
        assertFalse(client.release(ticket));
        assertFalse(client.renew(ticket));
        assertFalse(client.await(ticket, Duration.ofSeconds(1)));
        TicketInfo info = client.check(ticket);
        assertTrue(info.isGone());
        assertEquals(ticket, info.ticket());
        assertEquals("", info.lock());
    }

    @Test
    public void badCallsGetStableFaultsAndTheServerKeepsServing() throws Exception {
        Lock holder = new Lock(client, "single");
        assertTrue(holder.acquire("holder", Duration.ofSeconds(5)));
        String queued = client.query("single", "queued");

        assertFault(1, () -> client.query("NoSuchLock", "x"));
        assertFault(1, () -> client.status("NoSuchLock"));
        assertFault(2, () -> client.release("not-a-ticket"));
        assertFault(2, () -> client.check("ABCDEF0123456789ABCDEF0123456789"));
        assertFault(3, () -> client.query("bad name!", "x"));
        assertFault(3, () -> client.query("single", "x".repeat(2000)));
        assertFault(6, () -> client.create("new", 2));

        assertEquals(3, rawFault(call("lock.wait", "<string>" + queued + "</string>", "<string>soon</string>")));
        assertEquals(3, rawFault(call("lock.wait", "<string>" + queued + "</string>", "<int>-1</int>")));
        assertEquals(3, rawFault(call("lock.query", "<string>single</string>")));
        assertEquals(3, rawFault(call("lock.release", "<int>7</int>")));
        assertEquals(3, rawFault(call("lock.list", "<string>extra</string>")));
        assertEquals(4, rawFault(call("lock.steal", "<string>single</string>")));
        assertEquals(8, rawFault(post("<methodCall><methodName>lock.list</methodName><params>")));
        assertEquals(8, rawFault(post("this is not xml")));
        assertEquals(8, rawFault(post("<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<methodCall><methodName>lock.query</methodName><params><param><value>&x;</value></param>"
                + "<param><value>i</value></param></params></methodCall>")));
        assertEquals(8, rawFault(call("lock.query", "<ex:serializable xmlns:ex=\"http://ws.apache.org/xmlrpc/"
                + "namespaces/extensions\">rO0ABXQAAWE=</ex:serializable>", "<string>x</string>")));
        assertEquals(8, rawFault(call("lock.query", "<nil/>", "<string>x</string>")));

        // nothing was lost: the holder still holds, the queue is intact, new calls work
        assertEquals("granted", holder.check().state());
        assertEquals(1, client.check(queued).position());
        assertEquals(new LockInfo("single", 1, 1, 1, 1, 0, ""), TestServers.unversioned(client.status("single")));
        assertTrue(client.ping());
        holder.close();
        assertTrue(client.await(queued, Duration.ofSeconds(5)));
    }

    @Test
    public void faultsCarryNoStackTrace() throws Exception {
        String body = post("<methodCall><methodName>lock.wait</methodName><params><param><value><string>x"
                + "</string></value></param></params></methodCall>");
        assertTrue(body, body.contains("<name>faultString</name>"));
        assertFalse(body, body.contains("Exception"));
        assertFalse(body, body.contains("\tat "));
    }

    @Test
    public void introspectionListsTheApi() throws Exception {
        String body = call("system.listMethods");
        for (String m : List.of("lock.query", "lock.wait", "lock.release", "lock.renew", "lock.check",
                "lock.status", "lock.list", "server.ping")) {
            assertTrue(m, body.contains("<value>" + m + "</value>"));
        }
        assertTrue(call("system.methodHelp", "<string>lock.wait</string>").contains("timeout"));
    }

    @Test
    public void queryFailsClearlyWhenServerIsDown() throws Exception {
        String url = server.url().toString();
        server.close();
        LockClient dead = new LockClient(url, Duration.ofSeconds(2));
        try {
            dead.query("DefaultLock", "x");
            fail();
        } catch (LockServerException e) {
            assertEquals(LockServerException.UNREACHABLE, e.faultCode());
            assertTrue(e.getMessage(), e.getMessage().contains("cannot reach lockserver at " + url));
        }
        server = TestServers.start(TestServers.issueConfig()); // for @After
    }

    @Test
    public void clientReconnectsWhenTheServerClosedItsIdleConnection() throws Exception {
        try (LockServer quick = TestServers.start(TestServers.withGeneral("MAX_WAIT_TIME=0.5", "IDLE_TIMEOUT=0.8"))) {
            LockClient c = new LockClient(quick.url().toString());
            assertTrue(c.ping());
            Thread.sleep(1500); // let the server's idle timeout close the pooled connection
            String t = c.query("DefaultLock", "after the server closed the connection");
            assertEquals("granted", c.check(t).state());
            assertEquals(1, quick.registry().ticketCount()); // sent once, not twice
        }
    }

    @Test
    public void infoRoundTripsAnyUnicode() {
        String info = "backup ünïcode ñ 日本 \uD83D\uDD12 <&> \"quoted\"";
        String t = client.query("DefaultLock", info);
        assertEquals(info, client.check(t).info());
    }

    @Test
    public void listShowsEveryLockSorted() {
        List<LockInfo> all = client.list();
        assertEquals(List.of(new LockInfo("DefaultLock", 6, 0, 0, 0, 0, ""), new LockInfo("single", 1, 0, 0, 0, 0, "")),
                all.stream().map(TestServers::unversioned).toList());
    }

    private static void assertFault(int code, Runnable call) {
        try {
            call.run();
            fail("expected fault " + code);
        } catch (LockServerException e) {
            assertEquals(e.getMessage(), code, e.faultCode());
            assertFalse(e.getMessage(), e.getMessage().contains("Exception"));
        }
    }

    private String call(String method, String... params) throws Exception {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><methodCall><methodName>" + method
                + "</methodName><params>");
        for (String p : params) {
            b.append("<param><value>").append(p).append("</value></param>");
        }
        return post(b.append("</params></methodCall>").toString());
    }

    private String post(String body) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(server.url()).header("Content-Type", "text/xml")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    private static int rawFault(String body) {
        int at = body.indexOf("<name>faultCode</name>");
        assertTrue("not a fault: " + body, at >= 0);
        String rest = body.substring(at);
        String code = rest.replaceFirst("(?s).*?<i4>(-?\\d+)</i4>.*", "$1");
        assertNotNull(code);
        return Integer.parseInt(code);
    }
}
