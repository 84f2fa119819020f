package lockserver.server;

import lockserver.server.config.ServerConfig;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.LockServerException;
import lockserver.core.Clock;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** What operators use: reload, the admin methods, the status page and /metrics, over real HTTP. */
public class OperationsTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path configFile;
    private LockServer server;
    private LockClient client;
    private XmlRpcClient rpc;

    private static final String BASE = TestServers.onLoopback(TestServers.issueConfig())
            .replace("DEFAULT_LOCK_GRACE_TIME=10", "DEFAULT_LOCK_GRACE_TIME=2") // long enough for a loaded CI machine
            .replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.05");

    @Before
    public void start() throws Exception {
        configFile = TestServers.write(tmp.getRoot().toPath(), "lockserver.conf", BASE + "\n[lock san02]\nSIZE=2\n");
        server = LockServer.start(ServerConfig.load(configFile), Clock.SYSTEM);
        client = new LockClient(server.url().toString());
        XmlRpcClientConfigImpl c = new XmlRpcClientConfigImpl();
        c.setServerURL(new URL(server.url().toString()));
        rpc = new XmlRpcClient();
        rpc.setConfig(c);
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void reloadAddsChangesAndRetiresLocksWithoutDroppingHolders() throws Exception {
        Lock holder = new Lock(client, "san02");
        assertTrue(holder.acquire("holder", Duration.ofSeconds(5)));
        Files.writeString(configFile, BASE.replace("DEFAULT_LOCK_SIZE=6", "DEFAULT_LOCK_SIZE=3")
                + "\n[lock tape]\nSIZE=1\n");
        List<Object> changes = Arrays.asList((Object[]) rpc.execute("admin.reload", new Object[0]));
        assertEquals(changes.toString(), 3, changes.size());
        assertTrue(changes.toString(), changes.contains(
                "lock DefaultLock: size 6, grace 2 s, expiration 1200 s, max lock time 1200 s, max queue 10000"
                        + " -> size 3, grace 2 s, expiration 1200 s, max lock time 1200 s, max queue 10000"));
        assertTrue(changes.toString(), changes.contains(
                "lock tape added: size 1, grace 2 s, expiration 1200 s, max lock time 1200 s, max queue 10000"));
        assertTrue(changes.toString(), changes.contains(
                "lock san02 removed: takes no new queries; 1 holder(s) and 0 queued ticket(s) drain"));
        assertEquals(new LockInfo("DefaultLock", 3, 0, 0, 0, 0, ""), TestServers.unversioned(client.status("DefaultLock")));
        assertEquals(new LockInfo("tape", 1, 0, 0, 0, 0, ""), TestServers.unversioned(client.status("tape")));
        assertEquals("granted", holder.check().state());
        try {
            client.query("san02", "late");
            fail();
        } catch (LockServerException e) {
            assertEquals(LockServerException.UNKNOWN_LOCK, e.faultCode());
        }
        holder.close();
        assertEquals(List.of("DefaultLock", "tape"), client.list().stream().map(LockInfo::name).toList());
    }

    @Test
    public void badFileIsRefusedAndTheRunningConfigStays() throws Exception {
        Files.writeString(configFile, BASE + "\n[lock san02]\nSIZE=0\n");
        try {
            rpc.execute("admin.reload", new Object[0]);
            fail();
        } catch (XmlRpcException e) {
            assertEquals(9, e.code);
            assertEquals(configFile + ": [lock san02] SIZE=0: must be a whole number from 1 to 1000000"
                    + " (the running config stays)", e.getMessage());
        }
        assertEquals(new LockInfo("san02", 2, 0, 0, 0, 0, ""), TestServers.unversioned(client.status("san02")));
    }

    @Test
    public void adminStatusShowsHoldersAndQueueAndForceReleaseFreesTheSlot() throws Exception {
        Lock a = new Lock(client, "san02");
        Lock b = new Lock(client, "san02");
        Lock c = new Lock(client, "san02");
        assertTrue(a.acquire("node1 backup", Duration.ofSeconds(5)));
        assertTrue(b.acquire("node2 backup", Duration.ofSeconds(5)));
        c.query("node3 waits");
        Map<?, ?> san = Arrays.stream((Object[]) rpc.execute("admin.status", new Object[0]))
                .map(o -> (Map<?, ?>) o).filter(m -> m.get("name").equals("san02")).findFirst().orElseThrow();
        assertEquals(2, san.get("size"));
        assertEquals(Boolean.FALSE, san.get("retired"));
        Object[] holders = (Object[]) san.get("holders");
        Object[] queue = (Object[]) san.get("queue");
        assertEquals(2, holders.length);
        Map<?, ?> first = (Map<?, ?>) holders[0];
        assertEquals("node1 backup", first.get("info"));
        assertEquals(a.ticket(), first.get("ticket"));
        assertEquals(Long.toString(a.token()), first.get("token"));
        assertEquals(Boolean.TRUE, first.get("claimed"));
        assertEquals(1, queue.length);
        assertEquals("node3 waits", ((Map<?, ?>) queue[0]).get("info"));
        assertEquals(1, ((Map<?, ?>) queue[0]).get("position"));

        assertEquals(Boolean.TRUE, rpc.execute("admin.release", new Object[] {a.ticket()}));
        assertEquals(Boolean.FALSE, rpc.execute("admin.release", new Object[] {a.ticket()}));
        assertTrue(c.await(Duration.ofSeconds(5)));
        assertEquals("gone", a.check().state());
        b.close();
        c.close();
    }

    @Test
    public void statusPageShowsHoldersEscapedAndNoTicketIds() throws Exception {
        Lock a = new Lock(client, "san02");
        assertTrue(a.acquire("<b>node1</b> & co", Duration.ofSeconds(5)));
        Lock w1 = new Lock(client, "san02");
        assertTrue(w1.acquire("second", Duration.ofSeconds(5)));
        Lock w2 = new Lock(client, "san02");
        w2.query("queued one");
        for (String path : List.of("/", "/status")) {
            HttpResponse<String> page = get(path);
            assertEquals(200, page.statusCode());
            assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            String html = page.body();
            assertTrue(html, html.contains("&lt;b&gt;node1&lt;/b&gt; &amp; co"));
            assertTrue(html, html.contains("2 of 2 slots in use"));
            assertTrue(html, html.contains("queued one"));
            assertTrue(html, html.contains("<meta http-equiv=\"refresh\""));
            assertFalse("no ticket ids on a public page", html.contains(a.ticket()));
            assertFalse(html, html.contains(w2.ticket()));
        }
        assertEquals(404, get("/nothing-here").statusCode());
        a.close();
        w1.close();
        w2.close();
    }

    @Test
    public void metricsCountGrantsReleasesExpiriesAndFaults() throws Exception {
        Lock a = new Lock(client, "san02");
        assertTrue(a.acquire("a", Duration.ofSeconds(5)));
        a.release();
        String unclaimed = client.query("san02", "never claims"); // granted, not claimed: grace is 2 s
        long giveUp = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (client.status("san02").granted() != 0 && System.nanoTime() < giveUp) {
            Thread.onSpinWait(); // status() does not claim the grant, so the grace time runs out
        }
        assertTrue(client.check(unclaimed).isGone());
        try {
            client.query("nope", "x");
        } catch (LockServerException expected) {
            // counted below
        }
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        String m = r.body();
        assertTrue(m, m.contains("lockserver_grants_total{lock=\"san02\"} 2"));
        assertTrue(m, m.contains("lockserver_releases_total{lock=\"san02\"} 1"));
        assertTrue(m, m.contains("lockserver_wait_seconds_count{lock=\"san02\"} 2"));
        assertTrue(m, m.contains("lockserver_lock_size{lock=\"san02\"} 2"));
        assertTrue(m, m.contains("lockserver_holders{lock=\"DefaultLock\"} 0"));
        assertTrue(m, m.contains("lockserver_queue_length{lock=\"san02\"} 0"));
        assertTrue(m, m.contains("lockserver_requests_total{method=\"lock.query\"}"));
        assertTrue(m, m.contains("lockserver_faults_total{fault=\"unknown_lock\"} 1"));
        assertTrue(m, m.contains("lockserver_expiries_total{cause=\"grace\",lock=\"san02\"} 1"));
        java.util.regex.Matcher ticks = java.util.regex.Pattern
                .compile("(?m)^lockserver_lifecycle_tick_seconds_count (\\d+)").matcher(m);
        assertTrue(m, ticks.find());
        assertTrue("the grace expiry took at least one tick", Long.parseLong(ticks.group(1)) >= 1);
        assertTrue(m, m.contains("lockserver_lifecycle_tick_seconds_bucket{le=\"0.005\"}"));
    }

    @Test
    public void pagesAreGzippedWhenAskedAndRpcAnswersAreNot() throws Exception {
        String metrics = gunzipped("/metrics");
        assertTrue(metrics, metrics.contains("lockserver_lock_size{lock=\"san02\"} 2"));
        String status = gunzipped("/"); // hundreds of KB with hundreds of locks and their charts
        assertTrue(status, status.contains("<svg") && status.contains("san02"));

        byte[] ping = "<?xml version=\"1.0\"?><methodCall><methodName>server.ping</methodName><params/></methodCall>"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpResponse<String> rpc = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.url())
                .header("Accept-Encoding", "gzip").header("Content-Type", "text/xml")
                .POST(HttpRequest.BodyPublishers.ofByteArray(ping)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, rpc.statusCode());
        assertTrue(rpc.headers().firstValue("Content-Encoding").isEmpty());
        assertTrue(rpc.body(), rpc.body().contains("<boolean>1</boolean>"));
        HttpResponse<String> json = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.url().resolve("/v1/server.ping"))
                .header("Accept-Encoding", "gzip").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[]")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, json.statusCode());
        assertTrue(json.headers().firstValue("Content-Encoding").isEmpty());
        assertEquals("true", json.body().trim());
    }

    private String gunzipped(String path) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(server.url().resolve(path))
                .header("Accept-Encoding", "gzip").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode());
        assertEquals(path, "gzip", r.headers().firstValue("Content-Encoding").orElse("none"));
        return new String(new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(r.body()))
                .readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }

    private HttpResponse<String> get(String path) throws Exception {
        URI uri = server.url().resolve(path);
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
