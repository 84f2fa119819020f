package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lockserver.core.FakeClock;
import lockserver.server.auth.PasswordHash;
import lockserver.server.config.ServerConfig;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;

/**
 * POST /v1/&lt;method&gt; is the method table of /RPC2 with JSON for XML: for the same state
 * every method answers the same values and the same faults through either binding, with the
 * same users and roles, and both count in the same metrics. A fake clock holds time still,
 * so that seconds held and left read the same in two answers.
 */
public class JsonBindingTest {
    static final String ADMIN_PASSWORD = "admin-" + Long.toHexString(new java.util.Random().nextLong());
    static final String CLIENT_PASSWORD = "client-" + Long.toHexString(new java.util.Random().nextLong());
    static final JsonFactory JSON = new JsonFactory();

    static LockServer server;
    static HttpClient http;

    @BeforeClass
    public static void start() throws Exception {
        String ini = TestServers.issueConfig() + "\n[lock single]\nSIZE=1\n\n[lock jobs]\nSIZE=2\n\n"
                + "[user operator]\nROLE=admin\nPASSWORD=" + PasswordHash.create(ADMIN_PASSWORD.toCharArray()) + "\n\n"
                + "[user worker]\nROLE=client\nLOCKS=jobs\nMAX_PRIORITY=5\nPASSWORD="
                + PasswordHash.create(CLIENT_PASSWORD.toCharArray()) + "\n";
        server = LockServer.start(ServerConfig.parse("test", new StringReader(TestServers.onLoopback(ini))),
                new FakeClock());
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterClass
    public static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    // ------------------------------------------------------------------ the two bindings

    /** A result, or a fault as {@code Fault(code, message)}, as one binding answered. */
    record Fault(int code, String message) {
    }

    static Object xmlAs(String user, String password, String method, Object... args) throws Exception {
        XmlRpcClientConfigImpl config = new XmlRpcClientConfigImpl();
        config.setServerURL(new URL(server.url().toString()));
        config.setBasicUserName(user);
        config.setBasicPassword(password);
        XmlRpcClient client = new XmlRpcClient();
        client.setConfig(config);
        try {
            return client.execute(method, args);
        } catch (XmlRpcException e) {
            return new Fault(e.code, e.getMessage());
        }
    }

    static Object xml(String method, Object... args) throws Exception {
        return xmlAs("operator", ADMIN_PASSWORD, method, args);
    }

    static HttpRequest post(String user, String password, String method, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/" + method))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (user != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return b.build();
    }

    /** The answer's value (a Fault for a fault), after checking its status and type. */
    static Object answer(HttpResponse<String> r) {
        assertEquals(r.body(), 200, r.statusCode());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(null));
        Object v = parse(r.body());
        if (v instanceof Map<?, ?> m && m.size() == 1 && m.get("fault") instanceof Map<?, ?> f) {
            return new Fault((Integer) f.get("code"), (String) f.get("message"));
        }
        return v;
    }

    static Object jsonAs(String user, String password, String method, String body) throws Exception {
        return answer(http.send(post(user, password, method, body), HttpResponse.BodyHandlers.ofString()));
    }

    static Object json(String method, String body) throws Exception {
        return jsonAs("operator", ADMIN_PASSWORD, method, body);
    }

    /** A JSON text as the XML-RPC client reads XML-RPC: HashMap, Object[], Integer, Double, Boolean, String. */
    static Object parse(String text) {
        try (JsonParser p = JSON.createParser(ObjectReadContext.empty(), text)) {
            Object v = value(p, p.nextToken());
            assertEquals("one value in " + text, null, p.nextToken());
            return v;
        }
    }

    private static Object value(JsonParser p, JsonToken t) {
        switch (t) {
            case START_ARRAY -> {
                List<Object> items = new ArrayList<>();
                for (JsonToken i = p.nextToken(); i != JsonToken.END_ARRAY; i = p.nextToken()) {
                    items.add(value(p, i));
                }
                return items.toArray();
            }
            case START_OBJECT -> {
                Map<String, Object> m = new HashMap<>();
                for (JsonToken i = p.nextToken(); i != JsonToken.END_OBJECT; i = p.nextToken()) {
                    String name = p.currentName();
                    m.put(name, value(p, p.nextToken()));
                }
                return m;
            }
            case VALUE_STRING -> {
                return p.getString();
            }
            case VALUE_NUMBER_INT -> {
                return p.getIntValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return p.getBooleanValue();
            }
            default -> throw new AssertionError("unexpected " + t);
        }
    }

    /** A ticket id from a query's answer; fails with the fault if it was one. */
    static String ticket(Object answer) {
        if (!(answer instanceof String s && s.matches("[0-9a-f]{32}"))) {
            throw new AssertionError("expected a ticket id, got " + answer);
        }
        return (String) answer;
    }

    static String quoted(String s) {
        return "\"" + s + "\"";
    }

    /** Both answers, deeply equal (arrays by content). */
    static void assertSame(String what, Object viaXml, Object viaJson) {
        assertTrue(what + ": /RPC2 answered " + Arrays.deepToString(new Object[] {viaXml}) + ", /v1 answered "
                + Arrays.deepToString(new Object[] {viaJson}), Arrays.deepEquals(new Object[] {normal(viaXml)},
                new Object[] {normal(viaJson)}));
    }

    private static Object normal(Object v) {
        if (v instanceof Object[] a) {
            List<Object> out = new ArrayList<>();
            for (Object o : a) {
                out.add(normal(o));
            }
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new HashMap<>();
            m.forEach((k, x) -> out.put(k, normal(x)));
            return out;
        }
        return v;
    }

    // ------------------------------------------------------------------ behaviour

    @Test
    public void queryWaitCheckReleaseOverJson() throws Exception {
        String ticket = ticket(json("lock.query", "[\"jobs\", \"backup on node3\"]"));
        assertEquals(Boolean.TRUE, json("lock.wait", "[" + quoted(ticket) + ", 5]"));
        Map<?, ?> check = (Map<?, ?>) json("lock.check", "[" + quoted(ticket) + "]");
        assertEquals("granted", check.get("state"));
        assertEquals("backup on node3", check.get("info"));
        assertEquals(Boolean.TRUE, json("lock.release", "[" + quoted(ticket) + "]"));
        assertEquals("a second release finds the ticket gone", Boolean.FALSE,
                json("lock.release", "[" + quoted(ticket) + "]"));
        assertEquals(Boolean.TRUE, json("server.ping", "[]"));
    }

    @Test
    public void everyAnswerIsTheSameThroughBothBindings() throws Exception {
        String holder = ticket(xml("lock.query", "single", "holder \u00e9\u4e2d <&> \"q\""));
        assertEquals(Boolean.TRUE, xml("lock.wait", holder, 1)); // claims the grant
        String queued = ticket(json("lock.query", "[\"single\", \"queued\", {\"priority\": 3, \"key\": \"k1\"}]"));
        assertEquals("a retry key finds the same ticket through the other binding", queued,
                xml("lock.query", "single", "queued", Map.of("priority", 3, "key", "k1")));
        String gone = "0123456789abcdef0123456789abcdef";
        try {
            Object[][] calls = {
                {"lock.status", "single"}, {"lock.check", holder}, {"lock.check", queued}, {"lock.check", gone},
                {"lock.list"}, {"admin.status"}, {"lock.renew", holder}, {"lock.watch", "single", "", 0},
                {"system.methodSignature", "lock.query"}, {"system.methodHelp", "lock.wait"},
                {"system.listMethods"}, {"lock.status", "NoSuchLock"}, {"lock.check", "not a ticket"},
                {"lock.query", "single"}, {"lock.steal", "single"}, {"lock.wait", queued, -1},
                {"lock.create", "x", 2}, {"admin.revoke", gone, "why", 1.5}, {"lock.release", gone},
            };
            for (Object[] call : calls) {
                String method = (String) call[0];
                Object[] args = Arrays.copyOfRange(call, 1, call.length);
                StringBuilder body = new StringBuilder("[");
                for (Object a : args) {
                    body.append(body.length() > 1 ? ", " : "").append(a instanceof String s ? quoted(s) : a);
                }
                String what = method + body.append("]");
                Object viaXml = xml(method, args);
                Object viaJson = json(method, body.toString());
                assertSame(what, viaXml, viaJson);
            }
        } finally {
            xml("lock.release", queued);
            xml("lock.release", holder);
        }
    }

    @Test
    public void aBlockedWaitOverJsonIsAnsweredWhenTheSlotFrees() throws Exception {
        String holder = ticket(json("lock.query", "[\"single\", \"holder\"]"));
        String waiter = ticket(json("lock.query", "[\"single\", \"waiter\"]"));
        CompletableFuture<HttpResponse<String>> wait = http.sendAsync(post("operator", ADMIN_PASSWORD, "lock.wait",
                "[" + quoted(waiter) + ", 30]"), HttpResponse.BodyHandlers.ofString());
        Map<?, ?> queued = (Map<?, ?>) json("lock.check", "[" + quoted(waiter) + "]");
        assertEquals("queued", queued.get("state"));
        assertEquals(Boolean.TRUE, xml("lock.release", holder));
        assertEquals(Boolean.TRUE, answer(wait.get(20, TimeUnit.SECONDS)));
        assertEquals("granted", ((Map<?, ?>) json("lock.check", "[" + quoted(waiter) + "]")).get("state"));
        assertEquals(Boolean.TRUE, json("lock.release", "[" + quoted(waiter) + "]"));
    }

    @Test
    public void usersAndRolesAreThoseOfXmlRpc() throws Exception {
        Object[][] cases = {
            // user, password, method, JSON arguments, XML-RPC arguments, fault code expected
            {"operator", "wrong", "lock.status", "[\"jobs\"]", new Object[] {"jobs"}, 10},
            {null, null, "server.ping", "[]", new Object[0], 10},
            {"nobody", CLIENT_PASSWORD, "server.ping", "[]", new Object[0], 10},
            {"worker", CLIENT_PASSWORD, "admin.status", "[]", new Object[0], 6},
            {"worker", CLIENT_PASSWORD, "admin.release", "[\"0123456789abcdef0123456789abcdef\"]",
                new Object[] {"0123456789abcdef0123456789abcdef"}, 6},
            {"worker", CLIENT_PASSWORD, "lock.status", "[\"single\"]", new Object[] {"single"}, 6},
            {"worker", CLIENT_PASSWORD, "lock.query", "[\"jobs\", \"x\", {\"priority\": 9}]",
                new Object[] {"jobs", "x", Map.of("priority", 9)}, 6},
        };
        for (Object[] c : cases) {
            String user = (String) c[0];
            String password = (String) c[1];
            String method = (String) c[2];
            Object viaJson = jsonAs(user, password, method, (String) c[3]);
            Object viaXml = xmlAs(user, password, method, (Object[]) c[4]);
            String what = user + " calling " + method;
            assertTrue(what + ": " + viaJson, viaJson instanceof Fault f && f.code() == (Integer) c[5]);
            assertSame(what, viaXml, viaJson);
        }
        Map<?, ?> status = (Map<?, ?>) jsonAs("worker", CLIENT_PASSWORD, "lock.status", "[\"jobs\"]");
        assertEquals("a client may use its own lock", "jobs", status.get("name"));
    }

    @Test
    public void callsThroughJsonCountInTheSameMetrics() throws Exception {
        double requests = metric("lockserver_requests_total\\{method=\"lock.status\"\\}");
        double unknownLock = metric("lockserver_faults_total\\{fault=\"unknown_lock\"\\}");
        json("lock.status", "[\"single\"]");
        json("lock.status", "[\"NoSuchLock\"]");
        assertEquals(requests + 2, metric("lockserver_requests_total\\{method=\"lock.status\"\\}"), 0);
        assertEquals(unknownLock + 1, metric("lockserver_faults_total\\{fault=\"unknown_lock\"\\}"), 0);
    }

    /** A sample's value on /metrics, 0 if it is not there yet. */
    static double metric(String sample) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/metrics")).header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                ("operator:" + ADMIN_PASSWORD).getBytes(StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        Matcher m = Pattern.compile("(?m)^" + sample + " (\\S+)$").matcher(r.body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    @Test
    public void anOutOfRangeNumberIsRefusedNamingItsArgument() throws Exception {
        Object f = json("lock.create", "[\"x\", 99999999999999999999]");
        assertTrue(String.valueOf(f), f instanceof Fault fault && fault.code() == 3
                && fault.message().contains("argument 2 (size)"));
    }
}
