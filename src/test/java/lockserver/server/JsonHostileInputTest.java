package lockserver.server;

import static lockserver.server.HostileCorpus.fault;
import static lockserver.server.HostileCorpus.ok;
import static lockserver.server.HostileCorpus.status;
import static lockserver.server.RawHttp.chunked;
import static lockserver.server.RawHttp.concat;
import static lockserver.server.RawHttp.utf8;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lockserver.server.HostileCorpus.Case;
import lockserver.server.HostileCorpus.Expect;
import lockserver.server.HostileCorpus.Req;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * HostileInputTest's questions asked of the JSON binding: hostile and malformed requests
 * to {@code /v1/<method>}, sent as raw bytes to a live server (the same fixture). Every
 * case gets its exact HTTP status or fault code in a JSON body, promptly and without a
 * stack trace; after every case a holder's slot and the queue behind it are untouched and
 * the server answers.
 */
@RunWith(Parameterized.class)
public class JsonHostileInputTest {
    static final int CAP = 65_536; // MAX_REQUEST_BYTES left at its default
    static final int MB64 = 64 << 20;
    static final String T32 = "0123456789abcdef0123456789abcdef";
    static final Pattern FAULT = Pattern.compile("\\A\\{\"fault\":\\{\"code\":(\\d+),\"message\":\"(.*)\"}}\n\\z",
            Pattern.DOTALL);
    static final List<String> LEAKS = List.of("Exception", "\tat ", "java.", "jackson", "Jackson");

    @ClassRule
    public static HostileFixture fixture = new HostileFixture("");

    // ---------------------------------------------------------------- the corpus

    static String head(String method, String path, String... headers) {
        return method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + fixture.authorization()
                + (headers.length == 0 ? "" : "\r\n" + String.join("\r\n", headers));
    }

    /** A POST of {@code body} (the fixture's tickets filled in) to /v1/{@code method} as application/json. */
    static Req json(String method, String body) {
        return typed(method, "application/json", body);
    }

    static Req typed(String method, String contentType, String body) {
        return () -> bytes(method, contentType, utf8(fixture.fill(body))).build();
    }

    static Req bytes(String method, String contentType, byte[] body) {
        return () -> RawHttp.request(head("POST", "/v1/" + method, (contentType == null ? "" : "Content-Type: "
                + contentType + "\r\n") + "Content-Length: " + body.length), body);
    }

    static Req raw(String head, byte[] body) {
        return () -> RawHttp.request(head, body);
    }

    /** A lock.status call whose argument is a string of {@code n} bytes: a well-formed body of that size. */
    static byte[] big(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'x');
        byte[] open = utf8("[\"");
        System.arraycopy(open, 0, b, 0, open.length);
        b[n - 2] = '"';
        b[n - 1] = ']';
        return b;
    }

    @Parameters(name = "{index}: {0}")
    public static List<Object[]> corpus() {
        List<Case> c = new ArrayList<>();

        // --- not one JSON array
        c.add(new Case("truncated JSON", json("lock.status", "[\"single\""), fault(8)));
        c.add(new Case("truncated inside a string", json("lock.status", "[\"sing"), fault(8)));
        c.add(new Case("trailing garbage", json("lock.status", "[\"single\"] garbage"), fault(8)));
        c.add(new Case("two arrays", json("lock.status", "[\"single\"] [\"single\"]"), fault(8)));
        c.add(new Case("empty body", json("server.ping", ""), fault(8)));
        c.add(new Case("whitespace-only body", json("server.ping", " \r\n\t "), fault(8)));
        c.add(new Case("an object instead of an array", json("lock.status", "{\"lock\": \"single\"}"), fault(8)));
        c.add(new Case("a bare string instead of an array", json("lock.status", "\"single\""), fault(8)));
        c.add(new Case("a bare number", json("server.ping", "1"), fault(8)));
        c.add(new Case("null", json("server.ping", "null"), fault(8)));
        c.add(new Case("plain text", json("server.ping", "this is not json"), fault(8)));
        c.add(new Case("an XML-RPC call sent as JSON", json("server.ping", "<?xml version=\"1.0\"?><methodCall>"
                + "<methodName>server.ping</methodName></methodCall>"), fault(8)));
        c.add(new Case("trailing comma", json("lock.status", "[\"single\",]"), fault(8)));
        c.add(new Case("single quotes", json("lock.status", "['single']"), fault(8)));
        c.add(new Case("a comment", json("lock.status", "[/* c */ \"single\"]"), fault(8)));
        c.add(new Case("NaN literal as timeout", json("lock.wait", "[\"@QUEUED@\", NaN]"), fault(8)));
        c.add(new Case("Infinity literal as timeout", json("lock.wait", "[\"@QUEUED@\", Infinity]"), fault(8)));
        c.add(new Case("a leading plus sign", json("lock.wait", "[\"@QUEUED@\", +1]"), fault(8)));
        c.add(new Case("a leading zero", json("lock.wait", "[\"@QUEUED@\", 01]"), fault(8)));
        c.add(new Case("hex number", json("lock.wait", "[\"@QUEUED@\", 0x10]"), fault(8)));
        c.add(new Case("unquoted member name", json("lock.query", "[\"single\", \"x\", {priority: 1}]"), fault(8)));
        c.add(new Case("a member name twice (the last must not silently win)",
                json("lock.query", "[\"single\", \"x\", {\"priority\": 1, \"priority\": 9}]"), fault(8)));

        // --- bytes
        byte[] binary = new byte[1024];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31 + 7);
        }
        c.add(new Case("binary bytes", bytes("server.ping", "application/json", binary), fault(8)));
        c.add(new Case("invalid UTF-8 in a string", bytes("lock.query", "application/json", concat(
                utf8("[\"single\", \""), new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3, '(', (byte) 0xed,
                    (byte) 0xa0, (byte) 0x80}, utf8("\"]"))), fault(8)));
        c.add(new Case("overlong UTF-8 encoding of '\"'", bytes("lock.status", "application/json", concat(
                utf8("[\"single"), new byte[] {(byte) 0xc0, (byte) 0xa2}, utf8("]"))), fault(8)));
        c.add(new Case("UTF-8 of a surrogate (CESU)", bytes("lock.query", "application/json", concat(
                utf8("[\"single\", \""), new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, utf8("\"]"))),
                fault(3, 8)));
        c.add(new Case("raw NUL inside a string", bytes("lock.query", "application/json", concat(
                utf8("[\"single\", \"a"), new byte[] {0}, utf8("b\"]"))), fault(8)));
        c.add(new Case("raw newline inside a string", json("lock.query", "[\"single\", \"a\nb\"]"), fault(8)));
        c.add(new Case("escaped NUL in info (XML-RPC cannot carry it)",
                json("lock.query", "[\"single\", \"a\\u0000b\"]"), fault(3)));
        c.add(new Case("escaped lone surrogate in info", json("lock.query", "[\"single\", \"a\\ud800b\"]"),
                fault(3)));
        c.add(new Case("escaped U+FFFE in an options key", json("lock.query",
                "[\"single\", \"x\", {\"key\": \"\\ufffe\"}]"), fault(3)));
        c.add(new Case("escaped control character in a member name", json("lock.query",
                "[\"single\", \"x\", {\"\\u0001\": 1}]"), fault(3)));
        c.add(new Case("byte order mark before the array", bytes("server.ping", "application/json",
                concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, utf8("[]"))), ok("true")));
        c.add(new Case("escaped characters that XML-RPC carries", json("lock.status",
                "[\"\\u0073ingle\"]"), ok("\"name\":\"single\"")));

        // --- content types and HTTP methods
        c.add(new Case("no Content-Type", typed("server.ping", null, "[]"), status(415)));
        c.add(new Case("text/plain", typed("server.ping", "text/plain", "[]"), status(415)));
        c.add(new Case("application/x-www-form-urlencoded (curl -d without -H)",
                typed("server.ping", "application/x-www-form-urlencoded", "[]"), status(415)));
        c.add(new Case("multipart/form-data", typed("server.ping", "multipart/form-data; boundary=x", "[]"),
                status(415)));
        c.add(new Case("text/xml", typed("server.ping", "text/xml", "[]"), status(415)));
        c.add(new Case("application/json; charset=iso-8859-1", typed("server.ping",
                "application/json; charset=iso-8859-1", "[]"), status(415)));
        c.add(new Case("application/json; charset=utf-8", typed("server.ping", "application/json; charset=utf-8",
                "[]"), ok("true")));
        c.add(new Case("APPLICATION/JSON; CHARSET=\"UTF-8\"", typed("server.ping",
                "APPLICATION/JSON; CHARSET=\"UTF-8\"", "[]"), ok("true")));
        c.add(new Case("Content-Encoding: gzip", raw(head("POST", "/v1/server.ping", "Content-Type: application/json",
                "Content-Encoding: gzip", "Content-Length: 2"), utf8("[]")), status(415)));
        c.add(new Case("GET", raw(head("GET", "/v1/lock.status"), new byte[0]), status(405)));
        c.add(new Case("PUT", raw(head("PUT", "/v1/lock.status", "Content-Type: application/json",
                "Content-Length: 2"), utf8("[]")), status(405)));
        c.add(new Case("DELETE of a ticket", raw(head("DELETE", "/v1/lock.release"), new byte[0]), status(405)));
        c.add(new Case("OPTIONS (a CORS preflight) is refused", raw(head("OPTIONS", "/v1/admin.shutdown",
                "Origin: http://evil.example", "Access-Control-Request-Method: POST"), new byte[0]), status(405)));

        // --- methods
        c.add(new Case("unknown method lock.steal", json("lock.steal", "[\"single\"]"), fault(4)));
        c.add(new Case("no method name", json("", "[]"), fault(4)));
        c.add(new Case("method name of a Java class", json("Runtime.getRuntime", "[]"), fault(4)));
        c.add(new Case("method name of 2,000 characters", json("m".repeat(2000), "[]"), fault(4))
                .without("m".repeat(100)));
        c.add(new Case("a path below a method", json("lock.status/x", "[\"single\"]"), fault(4)));

        // --- argument counts
        c.add(new Case("lock.query with one argument", json("lock.query", "[\"single\"]"), fault(3)));
        c.add(new Case("lock.wait with no arguments", json("lock.wait", "[]"), fault(3)));
        c.add(new Case("server.ping with an argument", json("server.ping", "[1]"), fault(3)));
        c.add(new Case("2,000 arguments", json("lock.status", "[" + "1,".repeat(1999) + "1]"), fault(3)));

        // --- wrong types, for each kind of parameter
        String[] notStrings = {"1", "1.5", "true", "null", "[\"single\"]", "{\"name\": \"single\"}"};
        for (String v : notStrings) {
            c.add(new Case(v + " as lock name", json("lock.status", "[" + v + "]"), fault(3)));
            c.add(new Case(v + " as ticket", json("lock.release", "[" + v + "]"), fault(3)));
            c.add(new Case(v + " as info", json("lock.query", "[\"single\", " + v + "]"), fault(3)));
        }
        String[] notSeconds = {"\"5\"", "true", "null", "[5]", "{\"s\": 5}"};
        for (String v : notSeconds) {
            c.add(new Case(v + " as timeout", json("lock.wait", "[\"@QUEUED@\", " + v + "]"), fault(3)));
        }
        String[] notInts = {"\"2\"", "2.5", "2.0", "true", "null", "[2]"};
        for (String v : notInts) {
            c.add(new Case(v + " as lock size", json("lock.create", "[\"x\", " + v + "]"), fault(3)));
            c.add(new Case(v + " as options.permits", json("lock.query", "[\"single\", \"x\", {\"permits\": " + v
                    + "}]"), fault(3)));
        }
        String[] notStructs = {"\"priority=1\"", "1", "true", "null", "[]"};
        for (String v : notStructs) {
            c.add(new Case(v + " as options", json("lock.query", "[\"single\", \"x\", " + v + "]"), fault(3)));
        }
        c.add(new Case("a string as options.exclusive", json("lock.query",
                "[\"single\", \"x\", {\"exclusive\": \"yes\"}]"), fault(3)));
        c.add(new Case("an unknown option", json("lock.query", "[\"single\", \"x\", {\"colour\": 1}]"), fault(3)));

        // --- numbers
        c.add(new Case("1e400 as timeout", json("lock.wait", "[\"@QUEUED@\", 1e400]"), fault(3)));
        c.add(new Case("-1e400 as timeout", json("lock.wait", "[\"@QUEUED@\", -1e400]"), fault(3)));
        c.add(new Case("1e999999999999 as timeout", json("lock.wait", "[\"@QUEUED@\", 1e999999999999]"), fault(3)));
        c.add(new Case("99999999999999999999 as timeout", json("lock.wait", "[\"@QUEUED@\", 99999999999999999999]"),
                fault(3)));
        c.add(new Case("123456789012345678901234567890 as lock size", json("lock.create",
                "[\"x\", 123456789012345678901234567890]"), fault(3)));
        c.add(new Case("2147483648 as options.priority", json("lock.query",
                "[\"single\", \"x\", {\"priority\": 2147483648}]"), fault(3)));
        c.add(new Case("a number of 5,000 digits", json("lock.wait", "[\"@QUEUED@\", " + "9".repeat(5000) + "]"),
                fault(3)));
        c.add(new Case("negative timeout", json("lock.wait", "[\"@QUEUED@\", -1]"), fault(3)));
        c.add(new Case("a small double timeout works", json("lock.wait", "[\"@QUEUED@\", 1e-3]"), ok("false")));
        c.add(new Case("-2147483648 is an int (a negative size)", json("lock.create", "[\"x\", -2147483648]"),
                fault(3, 6)));

        // --- nesting
        c.add(new Case("21 nested arrays", json("lock.status", "[" + "[".repeat(21) + "]".repeat(21) + "]"),
                fault(3)));
        c.add(new Case("20 nested arrays are read (and refused as a lock name)",
                json("lock.status", "[" + "[".repeat(20) + "]".repeat(20) + "]"), fault(3)));
        c.add(new Case("60,000 nested arrays, never closed (fits the size cap)",
                json("lock.status", "[".repeat(60_000)), fault(3)).without("[[[["));
        c.add(new Case("10,000 nested objects, never closed", json("lock.query",
                "[\"single\", \"x\", " + "{\"a\":".repeat(10_000)), fault(3)));
        c.add(new Case("100,000 nested arrays (over the size cap)", json("lock.status", "[".repeat(100_000)),
                status(413)));

        // --- sizes
        c.add(new Case("body of exactly the cap", bytes("lock.status", "application/json", big(CAP)), fault(3))
                .without("x".repeat(100)));
        c.add(new Case("body of the cap + 1 byte", bytes("lock.status", "application/json", big(CAP + 1)),
                status(413)));
        c.add(new Case("64 MB declared, 1 MB sent: 413 at once",
                raw(head("POST", "/v1/lock.status", "Content-Type: application/json", "Content-Length: " + MB64),
                        big(1 << 20)), status(413)).within(1.5));
        c.add(new Case("64 MB declared and streamed", () -> RawHttp.request(head("POST", "/v1/lock.status",
                "Content-Type: application/json", "Content-Length: " + MB64), big(MB64)), status(413)).within(5));
        c.add(new Case("64 MB chunked, 1 MB sent: answered without waiting for the rest", () -> RawHttp.request(
                head("POST", "/v1/lock.status", "Content-Type: application/json", "Transfer-Encoding: chunked"),
                chunked(big(1 << 20), 8192, false)), fault(8)).within(1.5));
        c.add(new Case("64 MB chunked and streamed", () -> RawHttp.request(head("POST", "/v1/lock.status",
                "Content-Type: application/json", "Transfer-Encoding: chunked"), chunked(big(MB64), 65_536, true)),
                fault(8)).within(5));
        c.add(new Case("Content-Length 500, 40 bytes sent, then silence", raw(head("POST", "/v1/lock.status",
                "Content-Type: application/json", "Content-Length: 500"), utf8("[\"single\"" + " ".repeat(30))),
                fault(8)).within(5));
        c.add(new Case("lock name of 60 KB", json("lock.status", "[\"" + "x".repeat(60_000) + "\"]"), fault(3))
                .without("x".repeat(100)));

        // --- the lock state (answers that must not disturb the fixture)
        c.add(new Case("lock.status", json("lock.status", "[\"single\"]"), ok("\"granted\":1")));
        c.add(new Case("well-formed name of no lock", json("lock.status", "[\"NoSuchLock\"]"), fault(1)));
        c.add(new Case("holder's ticket in upper case", () -> json("lock.release",
                "[\"" + fixture.holder.toUpperCase(java.util.Locale.ROOT) + "\"]").build(), fault(2)));
        c.add(new Case("queued ticket with surrounding spaces", json("lock.release", "[\" @QUEUED@ \"]"), fault(2)));
        c.add(new Case("well-formed ticket nobody holds", json("lock.release", "[\"" + T32 + "\"]"), ok("false")));
        c.add(new Case("lock.wait of the queued ticket times out", json("lock.wait", "[\"@QUEUED@\", 0]"),
                ok("false")));

        return HostileCorpus.parameters(c);
    }

    // ---------------------------------------------------------------- running one case

    private final Case k;

    public JsonHostileInputTest(Case k) {
        this.k = k;
    }

    @Test
    public void answersInJsonAndLosesNothing() throws Exception {
        RawHttp.Response r = k.send(fixture.port(), k.req.build(), LEAKS);
        String where = k.where(r);
        assertFalse(where + "\n  closed without an answer", r.closedWithoutAnswer());
        assertEquals(where, "application/json; charset=utf-8", r.headers().get("content-type"));

        Matcher fault = FAULT.matcher(r.body());
        Expect e = k.expect;
        if (e.statuses() != null) {
            assertTrue(where + "\n  expected " + e, e.statuses().contains(r.status()));
            assertTrue(where + "\n  not a fault body", fault.matches());
            assertEquals(where, "8", fault.group(1));
            if (r.status() == 405) {
                assertEquals(where, "POST", r.headers().get("allow"));
                assertNull(where + "\n  grants a CORS request", r.headers().get("access-control-allow-origin"));
            }
        } else {
            assertEquals(where + "\n  expected " + e, 200, r.status());
            if (e.faults() != null) {
                assertTrue(where + "\n  not a fault, expected " + e, fault.matches());
                assertTrue(where + "\n  expected " + e, e.faults().contains(Integer.valueOf(fault.group(1))));
                assertFalse(where + "\n  fault message is empty", fault.group(2).isBlank());
            } else {
                assertFalse(where + "\n  unexpected fault, expected " + e, fault.matches());
                assertTrue(where + "\n  expected " + e, r.body().contains(e.okContains()));
            }
        }
        fixture.assertIntact(k.name);
    }
}
