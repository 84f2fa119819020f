package lockserver.server;

import static lockserver.server.HostileCorpus.fault;
import static lockserver.server.HostileCorpus.faultOrClose;
import static lockserver.server.HostileCorpus.ok;
import static lockserver.server.HostileCorpus.status;
import static lockserver.server.HostileFixture.IDLE_TIMEOUT_SECONDS;
import static lockserver.server.HostileFixture.MAX_WAIT_SECONDS;
import static lockserver.server.RawHttp.chunked;
import static lockserver.server.RawHttp.concat;
import static lockserver.server.RawHttp.utf8;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import lockserver.client.LockInfo;
import lockserver.server.HostileCorpus.Case;
import lockserver.server.HostileCorpus.Expect;
import lockserver.server.HostileCorpus.Req;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.Parameterized;
import org.junit.runners.Parameterized.Parameters;

/**
 * A corpus of hostile and malformed requests, sent as raw bytes to a live server. Every
 * case must get its exact HTTP status or XML-RPC fault code, promptly, without any stack
 * trace in the answer; and after every case a holder's slot and the queue behind it are
 * untouched and the server still answers.
 *
 * <p>The fixture (one lock of size 1, a holder that claimed its grant, one queued ticket;
 * see {@link HostileFixture}) is made once; each case is one test named after it, so a
 * failure names its input.
 */
@RunWith(Parameterized.class)
public class HostileInputTest {
    static final int CAP = 65_536; // MAX_REQUEST_BYTES left at its default
    static final String EX = "xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"";
    static final String T32 = "0123456789abcdef0123456789abcdef";

    @ClassRule
    public static HostileFixture fixture = new HostileFixture("\n[lock other]\nSIZE=1\n");

    /** The ticket of lock "other" a case made by naming @OTHER@ (cases run one at a time). */
    static String other;

    // ---------------------------------------------------------------- the corpus

    /** {@code text} with the fixture's tickets filled in; @OTHER@ makes a fresh ticket of lock "other". */
    static String fill(String text) {
        String s = fixture.fill(text);
        if (s.contains("@OTHER@")) {
            other = fixture.client.query("other", "other lock's ticket");
            s = s.replace("@OTHER@", other);
        }
        return s;
    }

    static final String TRUE = "<boolean>1</boolean>";
    static final String FALSE = "<boolean>0</boolean>";

    static String call(String method, String... values) {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><methodCall><methodName>").append(method)
                .append("</methodName><params>");
        for (String v : values) {
            b.append("<param><value>").append(v).append("</value></param>");
        }
        return b.append("</params></methodCall>").toString();
    }

    static String str(String s) {
        return "<string>" + s + "</string>";
    }

    static Req xml(String body) {
        return typed("text/xml", body);
    }

    static Req typed(String contentType, String body) {
        return () -> RawHttp.post("/RPC2", contentType, fill(body).getBytes(StandardCharsets.UTF_8));
    }

    static Req bytes(String contentType, byte[] body) {
        return () -> RawHttp.post("/RPC2", contentType, body);
    }

    static Req raw(String head, byte[] body) {
        return () -> RawHttp.request(head, body);
    }

    static Req raw(String head) {
        return raw(head, new byte[0]);
    }

    static String nested(String open, String close, int depth, String inner, boolean closed) {
        return closed ? call("lock.status", open.repeat(depth) + inner + close.repeat(depth))
                : "<methodCall><methodName>lock.status</methodName><params><param><value>" + open.repeat(depth) + inner;
    }

    static String billionLaughs() {
        StringBuilder b = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i <= 9; i++) {
            String prev = i == 1 ? "&lol;" : "&lol" + (i - 1) + ";";
            b.append("<!ENTITY lol").append(i).append(" \"").append(prev.repeat(10)).append("\">");
        }
        return b.append("]><methodCall><methodName>lock.status</methodName><params><param><value>&lol9;"
                + "</value></param></params></methodCall>").toString();
    }

    @Parameters(name = "{index}: {0}")
    public static List<Object[]> corpus() {
        List<Case> c = new ArrayList<>();
        String ping = call("server.ping");

        // --- malformed XML
        c.add(new Case("truncated tag", xml("<methodCall><methodName>server.ping</methodName><params></par"),
                fault(8)));
        c.add(new Case("unclosed elements", xml("<methodCall><methodName>lock.list</methodName><params>"), fault(8)));
        c.add(new Case("mismatched end tags",
                xml("<methodCall><methodName>server.ping</methodCall></methodName>"), fault(8)));
        c.add(new Case("garbage after the root element", xml(ping + "<junk/>trailing"), fault(8)));
        c.add(new Case("two root elements", xml(ping + ping), fault(8)));
        c.add(new Case("empty body", bytes("text/xml", new byte[0]), fault(8)));
        c.add(new Case("whitespace-only body", xml(" \r\n\t "), fault(8)));
        c.add(new Case("plain text", xml("this is not xml"), fault(8)));
        c.add(new Case("JSON-RPC body sent as text/xml",
                xml("{\"jsonrpc\":\"2.0\",\"method\":\"server.ping\",\"id\":1}"), fault(8)));
        byte[] binary = new byte[1024];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 31 + 7);
        }
        c.add(new Case("binary bytes", bytes("text/xml", binary), fault(8)));
        c.add(new Case("NUL bytes inside the document",
                bytes("text/xml", concat(utf8("<methodCall><methodName>server"), new byte[] {0, 0},
                        utf8(".ping</methodName><params/></methodCall>"))), fault(8)));
        c.add(new Case("invalid UTF-8 in a string", bytes("text/xml", concat(
                utf8("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><methodName>lock.query</methodName>"
                        + "<params><param><value>single</value></param><param><value>"),
                new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3, '(', (byte) 0xed, (byte) 0xa0, (byte) 0x80},
                utf8("</value></param></params></methodCall>"))), fault(8)));
        c.add(new Case("overlong UTF-8 encoding of '<'", bytes("text/xml", concat(
                utf8("<methodCall><methodName>server.ping</methodName><params>"), new byte[] {(byte) 0xc0, (byte) 0xbc},
                utf8("/params></methodCall>"))), fault(8)));
        c.add(new Case("unknown XML encoding declared", xml("<?xml version=\"1.0\" encoding=\"bogus-enc\"?>" + ping),
                fault(8)));
        c.add(new Case("XML version 2.0", xml("<?xml version=\"2.0\"?>" + ping), fault(8)));
        c.add(new Case("character reference to NUL", xml(call("lock.status", "&#0;")), fault(8)));
        c.add(new Case("undeclared entity", xml(call("lock.status", "&foo;")), fault(8)));
        c.add(new Case("root element is not methodCall",
                xml("<methodResponse><params><param><value>x</value></param></params></methodResponse>"), fault(8)));
        c.add(new Case("methodCall in a foreign namespace", xml("<x:methodCall xmlns:x=\"urn:x\"><x:methodName>"
                + "server.ping</x:methodName><x:params/></x:methodCall>"), fault(8)));
        c.add(new Case("two methodName elements", xml("<methodCall><methodName>server.ping</methodName>"
                + "<methodName>lock.list</methodName><params/></methodCall>"), fault(8)));
        c.add(new Case("two params elements", xml("<methodCall><methodName>server.ping</methodName><params/>"
                + "<params/></methodCall>"), fault(8)));
        c.add(new Case("text mixed with a typed value", xml(call("lock.status", "x" + str("single"))), fault(8)));
        c.add(new Case("two typed values in one <value> (last one must not silently win)",
                xml(call("lock.status", str("NoSuchLock") + str("single"))), fault(8)));
        c.add(new Case("struct member without a name",
                xml(call("lock.status", "<struct><member><value>1</value></member></struct>")), fault(8)));
        c.add(new Case("struct with a duplicate member name", xml(call("lock.status",
                "<struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value>"
                        + "</member></struct>")), fault(8)));
        c.add(new Case("UTF-16 body with a UTF-8 declaration", bytes("text/xml",
                ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + ping).getBytes(StandardCharsets.UTF_16LE)),
                fault(8)));

        // --- well-formed oddities that are valid XML-RPC and must work
        c.add(new Case("params element missing entirely (valid XML-RPC)",
                xml("<methodCall><methodName>server.ping</methodName></methodCall>"), ok(TRUE)));
        c.add(new Case("empty params element", xml("<methodCall><methodName>server.ping</methodName><params/>"
                + "</methodCall>"), ok(TRUE)));
        c.add(new Case("whitespace and comments around everything", xml("<?xml version=\"1.0\"?>\n<!-- a -->\n"
                + "<methodCall>\n  <methodName>lock.status</methodName> <!-- b -->\n  <params>\n    <param>\n"
                + "      <value> <!-- c --> <string>single</string> <!-- d --> </value>\n    </param>\n  </params>\n"
                + "</methodCall>\n<!-- e -->\n"), ok("<name>size</name>")));
        c.add(new Case("byte order mark before the XML declaration", bytes("text/xml",
                concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, utf8(ping))), ok(TRUE)));
        c.add(new Case("processing instruction inside methodCall", xml("<methodCall><?app x?><methodName>server.ping"
                + "</methodName><params/></methodCall>"), ok(TRUE)));
        c.add(new Case("CDATA string value", xml(call("lock.status", "<string><![CDATA[single]]></string>")),
                ok("<name>size</name>")));
        c.add(new Case("untyped value with spaces is kept verbatim (bad lock name)",
                xml(call("lock.status", "  single  ")), fault(3)));

        // --- truncated bodies
        byte[] pingBytes = utf8(ping);
        String shortHead = "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: 500";
        c.add(new Case("Content-Length 500, 40 bytes sent, then half-close",
                raw(shortHead, Arrays.copyOf(pingBytes, 40)), faultOrClose(8)).halfClose());
        c.add(new Case("Content-Length 500, 40 bytes sent, connection left open",
                raw(shortHead, Arrays.copyOf(pingBytes, 40)), faultOrClose(8)).within(IDLE_TIMEOUT_SECONDS + 3));
        String chunkedHead = "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
                + "Transfer-Encoding: chunked";
        c.add(new Case("chunked body cut off mid-document, then half-close",
                raw(chunkedHead, chunked(Arrays.copyOf(pingBytes, 40), 16, false)), faultOrClose(8)).halfClose());
        c.add(new Case("chunked body with a non-hex chunk size",
                raw(chunkedHead, utf8("zz\r\nabc\r\n0\r\n\r\n")), fault(8)));
        c.add(new Case("small chunked body is fine", raw(chunkedHead, chunked(pingBytes, 7, true)), ok(TRUE)));

        // --- content types
        c.add(new Case("application/json", typed("application/json", "{\"method\":\"server.ping\"}"), status(415)));
        c.add(new Case("multipart/form-data", typed("multipart/form-data; boundary=xyz", "--xyz\r\n\r\n" + ping
                + "\r\n--xyz--"), status(415)));
        c.add(new Case("application/x-www-form-urlencoded", typed("application/x-www-form-urlencoded",
                "xml=" + ping), status(415)));
        c.add(new Case("text/plain", typed("text/plain", ping), status(415)));
        c.add(new Case("empty Content-Type", typed("", ping), status(415)));
        c.add(new Case("text/xml; charset=utf-8", typed("text/xml; charset=utf-8", ping), ok(TRUE)));
        c.add(new Case("TEXT/XML in capitals", typed("TEXT/XML", ping), ok(TRUE)));
        c.add(new Case("application/xml", typed("application/xml", ping), ok(TRUE)));
        c.add(new Case("no Content-Type header (what a web page may send anywhere)", typed(null, ping), status(415)));
        c.add(new Case("text/xml with an unknown charset", typed("text/xml; charset=bogus-charset", ping),
                status(415)));
        c.add(new Case("text/xml with an illegal charset name", typed("text/xml; charset=a\u00ff b", ping),
                status(415)));

        // --- unknown methods
        c.add(new Case("unknown method lock.steal", xml(call("lock.steal", str("single"))), fault(4)));
        c.add(new Case("unknown method in the system namespace", xml(call("system.shutdown")), fault(4)));
        c.add(new Case("method name of a Java class", xml(call("Runtime.getRuntime")), fault(4)));
        c.add(new Case("method name with spaces around it", xml(call(" server.ping ")), fault(4)));
        c.add(new Case("method name of 20,000 characters", xml(call("m".repeat(20_000))), fault(4))
                .without("m".repeat(100)));
        c.add(new Case("methodName empty", xml(call("")), fault(4, 8)));
        c.add(new Case("methodName element missing", xml("<methodCall><params/></methodCall>"), fault(8)));
        c.add(new Case("system.methodHelp of an unknown method", xml(call("system.methodHelp", str("nope"))),
                fault(4)));

        // --- argument counts
        c.add(new Case("lock.query with one argument", xml(call("lock.query", str("single"))), fault(3)));
        c.add(new Case("lock.wait with no arguments", xml(call("lock.wait")), fault(3)));
        c.add(new Case("lock.release with three arguments",
                xml(call("lock.release", str("@QUEUED@"), str("x"), str("y"))), fault(3)));
        c.add(new Case("lock.list with an argument", xml(call("lock.list", str("extra"))), fault(3)));
        c.add(new Case("server.ping with an argument", xml(call("server.ping", "<int>1</int>")), fault(3)));
        c.add(new Case("<param> without a <value>",
                xml("<methodCall><methodName>lock.status</methodName><params><param></param></params></methodCall>"),
                fault(3)));

        // --- argument types where a string is expected
        c.add(new Case("struct as lock name", xml(call("lock.status",
                "<struct><member><name>name</name><value>single</value></member></struct>")), fault(3)));
        c.add(new Case("array as lock name", xml(call("lock.status",
                "<array><data><value>single</value></data></array>")), fault(3)));
        c.add(new Case("base64 as lock name", xml(call("lock.status", "<base64>c2luZ2xl</base64>")), fault(3)));
        c.add(new Case("boolean as lock name", xml(call("lock.status", "<boolean>1</boolean>")), fault(3)));
        c.add(new Case("double as lock name", xml(call("lock.status", "<double>1.5</double>")), fault(3)));
        c.add(new Case("int as lock name", xml(call("lock.status", "<int>1</int>")), fault(3)));
        c.add(new Case("dateTime as lock name", xml(call("lock.status",
                "<dateTime.iso8601>20240101T00:00:00</dateTime.iso8601>")), fault(3)));
        c.add(new Case("struct as ticket", xml(call("lock.release", "<struct></struct>")), fault(3)));
        c.add(new Case("array as info", xml(call("lock.query", str("single"), "<array><data/></array>")),
                fault(3)));
        c.add(new Case("string as timeout", xml(call("lock.wait", str("@QUEUED@"), str("soon"))), fault(3)));
        c.add(new Case("boolean as timeout", xml(call("lock.wait", str("@QUEUED@"), "<boolean>1</boolean>")),
                fault(3)));
        c.add(new Case("string as lock size", xml(call("lock.create", str("x"), str("two"))), fault(3, 6)));
        c.add(new Case("malformed int", xml(call("lock.wait", str("@QUEUED@"), "<int>abc</int>")), fault(8)));
        c.add(new Case("int overflow 2147483648", xml(call("lock.wait", str("@QUEUED@"), "<int>2147483648</int>")),
                fault(8)));
        c.add(new Case("malformed boolean", xml(call("lock.status", "<boolean>2</boolean>")), fault(8)));
        c.add(new Case("malformed base64", xml(call("lock.status", "<base64>!!!!</base64>")), fault(8)));
        c.add(new Case("malformed dateTime", xml(call("lock.status",
                "<dateTime.iso8601>garbage</dateTime.iso8601>")), fault(8)));
        c.add(new Case("unknown value type", xml(call("lock.status", "<foo>single</foo>")), fault(8)));

        // --- timeouts
        c.add(new Case("negative int timeout", xml(call("lock.wait", str("@QUEUED@"), "<int>-1</int>")), fault(3)));
        c.add(new Case("negative double timeout", xml(call("lock.wait", str("@QUEUED@"), "<double>-0.001</double>")),
                fault(3)));
        c.add(new Case("most negative int timeout", xml(call("lock.wait", str("@QUEUED@"),
                "<int>-2147483648</int>")), fault(3)));
        c.add(new Case("timeout -1e308", xml(call("lock.wait", str("@QUEUED@"), "<double>-1e308</double>")),
                fault(3)));
        c.add(new Case("timeout 1e308 is capped at MAX_WAIT_TIME",
                xml(call("lock.wait", str("@QUEUED@"), "<double>1e308</double>")), ok(FALSE))
                .within(MAX_WAIT_SECONDS + 2));
        c.add(new Case("timeout 2147483647 is capped at MAX_WAIT_TIME",
                xml(call("lock.wait", str("@QUEUED@"), "<int>2147483647</int>")), ok(FALSE))
                .within(MAX_WAIT_SECONDS + 2));
        c.add(new Case("timeout 1e309 (overflows to infinity) is capped at MAX_WAIT_TIME",
                xml(call("lock.wait", str("@QUEUED@"), "<double>1e309</double>")), ok(FALSE))
                .within(MAX_WAIT_SECONDS + 2));
        c.add(new Case("timeout <double>nan</double>", xml(call("lock.wait", str("@QUEUED@"),
                "<double>nan</double>")), fault(8)));
        c.add(new Case("timeout <double>NaN</double>", xml(call("lock.wait", str("@QUEUED@"),
                "<double>NaN</double>")), fault(3, 8)));
        c.add(new Case("timeout <double>inf</double>", xml(call("lock.wait", str("@QUEUED@"),
                "<double>inf</double>")), fault(8)));
        c.add(new Case("timeout <double>-Infinity</double>", xml(call("lock.wait", str("@QUEUED@"),
                "<double>-Infinity</double>")), fault(3, 8)));
        c.add(new Case("holder's own wait with a huge timeout returns at once",
                xml(call("lock.wait", str("@HOLDER@"), "<double>1e308</double>")), ok(TRUE)).within(1));

        // --- extension types, off on this server
        c.add(new Case("ex:serializable", xml(call("lock.query",
                "<ex:serializable " + EX + ">rO0ABXQAAWE=</ex:serializable>", str("x"))), fault(8)));
        c.add(new Case("ex:i8", xml(call("lock.wait", str("@QUEUED@"), "<ex:i8 " + EX + ">5</ex:i8>")), fault(8)));
        c.add(new Case("i8 without namespace", xml(call("lock.wait", str("@QUEUED@"), "<i8>5</i8>")), fault(8)));
        c.add(new Case("ex:nil", xml(call("lock.query", "<ex:nil " + EX + "/>", str("x"))), fault(8)));
        c.add(new Case("nil", xml(call("lock.query", "<nil/>", str("x"))), fault(8)));
        c.add(new Case("ex:dom", xml(call("lock.query", "<ex:dom " + EX + "><a>b</a></ex:dom>", str("x"))),
                fault(8)));
        c.add(new Case("ex:i1", xml(call("lock.wait", str("@QUEUED@"), "<ex:i1 " + EX + ">1</ex:i1>")), fault(8)));
        c.add(new Case("ex:i2", xml(call("lock.wait", str("@QUEUED@"), "<ex:i2 " + EX + ">1</ex:i2>")), fault(8)));
        c.add(new Case("ex:float", xml(call("lock.wait", str("@QUEUED@"), "<ex:float " + EX + ">1</ex:float>")),
                fault(8)));
        c.add(new Case("ex:bigdecimal", xml(call("lock.wait", str("@QUEUED@"),
                "<ex:bigdecimal " + EX + ">1</ex:bigdecimal>")), fault(8)));
        c.add(new Case("ex:dateTime", xml(call("lock.status",
                "<ex:dateTime " + EX + ">2024-01-01T00:00:00</ex:dateTime>")), fault(8)));

        // --- DOCTYPE, external entities, entity expansion
        c.add(new Case("XXE: external entity file:///etc/passwd", xml("<?xml version=\"1.0\"?><!DOCTYPE m ["
                + "<!ENTITY x SYSTEM \"file:///etc/passwd\">]><methodCall><methodName>lock.query</methodName><params>"
                + "<param><value>single</value></param><param><value>&x;</value></param></params></methodCall>"),
                fault(8)).without("root:"));
        c.add(new Case("XXE: external parameter entity", xml("<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY % p "
                + "SYSTEM \"http://127.0.0.1:1/evil.dtd\"> %p;]>" + ping), fault(8)));
        c.add(new Case("external DTD", xml("<?xml version=\"1.0\"?><!DOCTYPE methodCall SYSTEM "
                + "\"file:///etc/passwd\">" + ping), fault(8)).without("root:"));
        c.add(new Case("harmless internal DOCTYPE is still refused",
                xml("<?xml version=\"1.0\"?><!DOCTYPE methodCall []>" + ping), fault(8)));
        c.add(new Case("billion laughs", xml(billionLaughs()), fault(8)).within(1));

        // --- nesting
        c.add(new Case("1,500 nested arrays (fits the size cap)", xml(nested("<array><data><value>",
                "</value></data></array>", 1500, "x", true)), fault(3, 8)));
        c.add(new Case("3,000 nested arrays, never closed (fits the size cap)", xml(nested("<array><data><value>",
                "</value></data></array>", 3000, "x", false)), fault(8)));
        c.add(new Case("1,500 nested structs, never closed (fits the size cap)",
                xml(nested("<struct><member><name>a</name><value>", "", 1500, "x", false)), fault(8)));
        c.add(new Case("100,000 nested arrays (over the size cap)", xml(nested("<array><data><value>",
                "</value></data></array>", 100_000, "x", true)), status(413)));

        // --- sizes
        String hugeHead = "POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: "
                + 100 * 1024 * 1024;
        c.add(new Case("100 MB declared: 413 before the rest is sent", raw(hugeHead, utf8("<methodCall>")),
                status(413)).within(1.5));
        c.add(new Case("100 MB declared with Expect: 100-continue",
                raw(hugeHead + "\r\nExpect: 100-continue"), status(413)).within(1.5));
        c.add(new Case("100 MB declared without Content-Type: refused before the body", raw("POST /RPC2 HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nContent-Length: 104857600", utf8("<methodCall>")), status(415)).within(1.5));
        c.add(new Case("body of exactly the cap", bytes("text/xml", concat(utf8(ping),
                " ".repeat(CAP - utf8(ping).length).getBytes(StandardCharsets.UTF_8))), ok(TRUE)));
        c.add(new Case("body of exactly the cap + 1 byte", bytes("text/xml", concat(utf8(ping),
                " ".repeat(CAP + 1 - utf8(ping).length).getBytes(StandardCharsets.UTF_8))), status(413)));
        c.add(new Case("chunked body over the cap", raw(chunkedHead, chunked(utf8(call("lock.query", str("single"),
                str("x".repeat(100_000)))), 8192, true)), fault(8)));
        c.add(new Case("lock name of 1 MB", xml(call("lock.status", str("x".repeat(1 << 20)))), status(413)));
        c.add(new Case("info of 1 MB", xml(call("lock.query", str("single"), str("i".repeat(1 << 20)))),
                status(413)));
        c.add(new Case("lock name of 60 KB", xml(call("lock.status", str("x".repeat(60_000)))), fault(3))
                .without("x".repeat(100)));
        c.add(new Case("info of 60 KB", xml(call("lock.query", str("single"), str("i".repeat(60_000)))), fault(3))
                .without("i".repeat(100)));
        c.add(new Case("info of 1025 characters", xml(call("lock.query", str("single"), str("i".repeat(1025)))),
                fault(3)));
        c.add(new Case("lock name of 65 characters", xml(call("lock.status", str("L".repeat(65)))), fault(3)));
        c.add(new Case("lock name with shell and path characters", xml(call("lock.status",
                str("../../etc/passwd;rm -rf /"))), fault(3)));
        c.add(new Case("well-formed name of no lock", xml(call("lock.status", str("NoSuchLock"))), fault(1)));
        String[] manyParams = new String[2000];
        Arrays.fill(manyParams, "a");
        c.add(new Case("2,000 parameters", xml(call("lock.status", manyParams)), fault(3)));

        // --- tickets
        c.add(new Case("releasing a ticket of another lock frees only that lock",
                xml(call("lock.release", str("@OTHER@"))), ok(TRUE)).then(() -> {
                    assertTrue(fixture.client.check(other).isGone());
                    assertEquals(new LockInfo("other", 1, 0, 0, 0, 0, ""),
                            TestServers.unversioned(fixture.client.status("other")));
                }));
        c.add(new Case("holder's ticket in upper case", () -> xml(call("lock.release",
                str(fixture.holder.toUpperCase(java.util.Locale.ROOT)))).build(), fault(2)));
        c.add(new Case("queued ticket with a trailing newline", xml(call("lock.release", str("@QUEUED@\n"))),
                fault(2)));
        c.add(new Case("queued ticket with surrounding spaces", xml(call("lock.release", str(" @QUEUED@ "))),
                fault(2)));
        c.add(new Case("ticket of 31 hex digits", xml(call("lock.release", str(T32.substring(1)))), fault(2)));
        c.add(new Case("ticket of 33 hex digits", xml(call("lock.release", str(T32 + "0"))), fault(2)));
        c.add(new Case("ticket of 32 non-hex letters", xml(call("lock.check", str("g".repeat(32)))), fault(2)));
        c.add(new Case("ticket of 32 full-width digits", xml(call("lock.check", str("\uff10".repeat(32)))),
                fault(2)));
        c.add(new Case("empty ticket", xml(call("lock.renew", str(""))), fault(2)));
        c.add(new Case("SQL injection as ticket", xml(call("lock.release",
                str("' OR '1'='1'; DROP TABLE tickets; --"))), fault(2)));
        c.add(new Case("shell injection as ticket", xml(call("lock.wait", str("$(rm -rf /); `id` | cat /etc/passwd"),
                "<int>0</int>")), fault(2)).without("root:"));
        c.add(new Case("admin.release of a malformed ticket", xml(call("admin.release", str("ZZ"))), fault(2)));
        c.add(new Case("well-formed ticket nobody holds", xml(call("lock.release", str(T32))), ok(FALSE)));

        // --- HTTP level
        c.add(new Case("GET /RPC2", raw("GET /RPC2 HTTP/1.1\r\nHost: 127.0.0.1"), status(405)));
        c.add(new Case("PUT /RPC2", raw("PUT /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0"), status(405)));
        c.add(new Case("TRACE /RPC2 does not echo the request (credentials)", raw("TRACE /RPC2 HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nAuthorization: Basic c2VjcmV0OnNlY3JldA=="), status(405))
                .without("c2VjcmV0OnNlY3JldA=="));
        c.add(new Case("TRACE / (status page) does not echo the request", raw("TRACE / HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nCookie: session=c2VjcmV0"), status(405)).without("c2VjcmV0"));
        c.add(new Case("TRACE /metrics does not echo the request", raw("TRACE /metrics HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nCookie: session=c2VjcmV0"), status(405)).without("c2VjcmV0"));
        c.add(new Case("HTTP/1.0 POST", raw("POST /RPC2 HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: "
                + pingBytes.length, pingBytes), ok(TRUE)));
        c.add(new Case("HTTP/1.0 POST without Content-Length has no body", raw("POST /RPC2 HTTP/1.0\r\n"
                + "Content-Type: text/xml", pingBytes), fault(8)).halfClose());
        c.add(new Case("HTTP/1.0 GET /RPC2", raw("GET /RPC2 HTTP/1.0"), status(400, 405)));
        c.add(new Case("header flood: one 100 KB header", raw("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "X-Flood: " + "a".repeat(100_000) + "\r\nContent-Type: text/xml\r\nContent-Length: "
                + pingBytes.length, pingBytes), status(431)));
        StringBuilder many = new StringBuilder("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1");
        for (int i = 0; i < 2000; i++) {
            many.append("\r\nX-H").append(i).append(": ").append("v".repeat(40));
        }
        c.add(new Case("header flood: 2,000 headers", raw(many + "\r\nContent-Type: text/xml\r\nContent-Length: "
                + pingBytes.length, pingBytes), status(431)));
        c.add(new Case("URI of 100 KB", raw("POST /RPC2?" + "q".repeat(100_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: text/xml\r\nContent-Length: " + pingBytes.length, pingBytes), status(414)));
        c.add(new Case("GET of an unknown path", raw("GET /no/such/path HTTP/1.1\r\nHost: 127.0.0.1"), status(404)));
        c.add(new Case("POST to an unknown path", () -> RawHttp.post("/no/such/path", "text/xml", pingBytes),
                status(404, 405)));
        c.add(new Case("path traversal", raw("GET /../../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1"),
                status(400, 404)).without("root:"));
        c.add(new Case("both Content-Length and Transfer-Encoding", raw(chunkedHead + "\r\nContent-Length: 5",
                chunked(pingBytes, 64, true)), status(400)));
        c.add(new Case("negative Content-Length", raw("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                + "text/xml\r\nContent-Length: -1", pingBytes), status(400)));
        c.add(new Case("Content-Length beyond 64 bits", raw("POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: text/xml\r\nContent-Length: 99999999999999999999999", pingBytes), status(400, 413)));
        c.add(new Case("control characters in the request line", () -> concat(new byte[] {0, 1, 2},
                utf8("garbage\r\n\r\n")), status(400)));
        c.add(new Case("TLS ClientHello on the plain port", () -> concat(new byte[] {0x16, 0x03, 0x01, 0x00,
                (byte) 0xa5, 0x01, 0x00, 0x00, (byte) 0xa1, 0x03, 0x03}, new byte[100]), status(400)));

        return HostileCorpus.parameters(c);
    }

    // ---------------------------------------------------------------- running one case

    private final Case k;

    public HostileInputTest(Case k) {
        this.k = k;
    }

    @Test
    public void answersClearlyAndLosesNothing() throws Exception {
        RawHttp.Response r = k.send(fixture.port(), withCredentials(k.req.build()), HostileCorpus.STACK_TRACE);
        String where = k.where(r);
        Expect e = k.expect;
        if (r.closedWithoutAnswer()) {
            assertTrue(where + "\n  closed without an answer, expected " + e, e.closeAllowed());
        } else if (e.statuses() != null) {
            assertTrue(where + "\n  expected " + e, e.statuses().contains(r.status()));
        } else {
            assertEquals(where + "\n  expected " + e, 200, r.status());
            Integer code = r.faultCode();
            if (e.faults() != null) {
                assertNotNull(where + "\n  not a fault, expected " + e, code);
                assertTrue(where + "\n  expected " + e, e.faults().contains(code));
                String message = r.faultString();
                assertNotNull(where + "\n  fault without a faultString", message);
                assertFalse(where + "\n  fault message is empty", message.isBlank());
            } else {
                assertNull(where + "\n  unexpected fault, expected " + e, code);
                assertTrue(where + "\n  expected " + e, r.body().contains(e.okContains()));
            }
        }
        k.after.run();
        fixture.assertIntact(k.name);
    }

    /** The request with the operator's credentials after its request line (if it has one). */
    static byte[] withCredentials(byte[] request) {
        int end = 0;
        while (end + 1 < request.length && !(request[end] == '\r' && request[end + 1] == '\n')) {
            end++;
        }
        if (end + 1 >= request.length || !new String(request, 0, end, StandardCharsets.ISO_8859_1).contains(" HTTP/1.")) {
            return request;
        }
        return concat(Arrays.copyOf(request, end + 2), utf8(fixture.authorization() + "\r\n"),
                Arrays.copyOfRange(request, end + 2, request.length));
    }
}
