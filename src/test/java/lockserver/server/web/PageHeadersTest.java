package lockserver.server.web;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/** Every page the web package serves carries the one header policy, over a real connection. */
public class PageHeadersTest {
    private static LockServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeClass
    public static void start() throws Exception {
        server = TestServers.start(TestServers.issueConfig());
    }

    @AfterClass
    public static void stop() throws Exception {
        server.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        URI uri = server.url().resolve(path);
        return http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GETs {@code path}, asserting its status and the header policy. */
    private HttpResponse<String> getWithPolicy(String path, int status) throws Exception {
        HttpResponse<String> r = get(path);
        assertEquals(status, r.statusCode());
        assertPolicy(r);
        return r;
    }

    private static void assertPolicy(HttpResponse<String> r) {
        String csp = r.headers().firstValue("Content-Security-Policy").orElse("(none)");
        assertTrue(csp, csp.startsWith("default-src 'none'; style-src 'sha256-"));
        assertTrue(csp, csp.endsWith("'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"));
        assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse("(none)"));
        assertEquals("no-referrer", r.headers().firstValue("Referrer-Policy").orElse("(none)"));
    }

    @Test
    public void statusPageSendsTheHeaderPolicyAndItsStylesheetsHash() throws Exception {
        for (String path : new String[] {"/", "/status"}) {
            HttpResponse<String> r = getWithPolicy(path, 200);
            String body = r.body();
            String style = body.substring(body.indexOf("<style>") + 7, body.indexOf("</style>"));
            String hash = Base64.getEncoder().encodeToString(
                    MessageDigest.getInstance("SHA-256").digest(style.getBytes(StandardCharsets.UTF_8)));
            assertTrue("the policy allows the page's own <style>",
                    r.headers().firstValue("Content-Security-Policy").orElseThrow()
                            .contains("style-src 'sha256-" + hash + "'"));
            assertTrue("no style attribute, which the policy would block", !body.contains(" style="));
            assertTrue("no script", !body.contains("<script"));
        }
    }

    @Test
    public void metricsSendTheHeaderPolicy() throws Exception {
        HttpResponse<String> r = getWithPolicy("/metrics", 200);
        assertTrue(r.body(), r.body().contains("lockserver_lock_size{lock=\"DefaultLock\"} 6"));
    }

    @Test
    public void aMissingPageIsSentWithTheHeaderPolicyToo() throws Exception {
        getWithPolicy("/nothing-here", 404);
    }

    @Test
    public void theBindingsAndTheirRefusalsLetABrowserLoadNothing() throws Exception {
        for (String path : new String[] {"/RPC2", "/v1/lock.list"}) {
            HttpResponse<String> refused = get(path); // GET: 405, before any body is read
            assertEquals(path, 405, refused.statusCode());
            assertNothingLoads(path, refused);
        }
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                server.url().resolve("/v1/server.ping")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("[]")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("true", answer.body().trim());
        assertNothingLoads("an answer", answer);
    }

    private static void assertNothingLoads(String what, HttpResponse<String> r) {
        assertEquals(what, "default-src 'none'; frame-ancestors 'none'",
                r.headers().firstValue("Content-Security-Policy").orElse("(none)"));
        assertEquals(what, "nosniff", r.headers().firstValue("X-Content-Type-Options").orElse("(none)"));
    }
}
