package lockserver.wire;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.xml.XMLConstants;
import javax.xml.parsers.SAXParserFactory;
import org.apache.xmlrpc.common.TypeFactoryImpl;
import org.apache.xmlrpc.common.XmlRpcHttpRequestConfigImpl;
import org.apache.xmlrpc.parser.XmlRpcRequestParser;
import org.apache.xmlrpc.parser.XmlRpcResponseParser;
import org.junit.Test;
import org.xml.sax.InputSource;
import org.xml.sax.XMLReader;

/**
 * Pins that the plain fast path never reads a document differently from Apache XML-RPC:
 * whatever it accepts, the library reads to equal values, and what we and Python write
 * is accepted. The library is the reference throughout.
 */
public class PlainXmlRpcTest {
    private static final XmlRpcHttpRequestConfigImpl CONFIG = new XmlRpcHttpRequestConfigImpl();
    private static final TypeFactoryImpl TYPES = new TypeFactoryImpl(null);

    /** The library's reading of a call: method name and params, or null if it refuses it. */
    private static Object[] libraryCall(byte[] doc) {
        try {
            XmlRpcRequestParser parser = new XmlRpcRequestParser(CONFIG, TYPES);
            reader(parser).parse(new InputSource(new ByteArrayInputStream(doc)));
            List<?> params = parser.getParams() == null ? List.of() : parser.getParams();
            return parser.getMethodName() == null ? null : new Object[] {parser.getMethodName(), params};
        } catch (Exception refused) {
            return null;
        }
    }

    private static Object libraryResult(byte[] doc) throws Exception {
        XmlRpcResponseParser parser = new XmlRpcResponseParser(CONFIG, TYPES);
        reader(parser).parse(new InputSource(new ByteArrayInputStream(doc)));
        assertTrue("the library reads a success", parser.isSuccess());
        return parser.getResult();
    }

    private static XMLReader reader(org.xml.sax.ContentHandler handler) throws Exception {
        SAXParserFactory f = SAXParserFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        XMLReader r = f.newSAXParser().getXMLReader();
        r.setContentHandler(handler);
        r.setErrorHandler(new org.xml.sax.helpers.DefaultHandler() {
            @Override
            public void error(org.xml.sax.SAXParseException e) throws org.xml.sax.SAXParseException {
                throw e;
            }

            @Override
            public void fatalError(org.xml.sax.SAXParseException e) throws org.xml.sax.SAXParseException {
                throw e;
            }
        });
        return r;
    }

    /** Asserts the fast path reads {@code doc} as the library does, or leaves it; returns whether it read it. */
    private static boolean agrees(byte[] doc) {
        PlainXmlRpc.Call plain = PlainXmlRpc.readCall(doc, doc.length);
        if (plain == null) {
            return false;
        }
        Object[] lib = libraryCall(doc);
        String shown = new String(doc, StandardCharsets.UTF_8);
        assertNotNull("the fast path read what the library refuses: " + shown, lib);
        assertEquals("method of " + shown, lib[0], plain.method());
        assertTrue("params of " + shown + ": library " + deep(lib[1]) + ", fast path " + deep(plain.params()),
                same(((List<?>) lib[1]).toArray(), plain.params().toArray()));
        return true;
    }

    /** Equality that looks into arrays and into the values of maps, and tells Integer from Double. */
    private static boolean same(Object a, Object b) {
        if (a instanceof Object[] x && b instanceof Object[] y) {
            if (x.length != y.length) {
                return false;
            }
            for (int i = 0; i < x.length; i++) {
                if (!same(x[i], y[i])) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            return x.keySet().equals(y.keySet()) && x.keySet().stream().allMatch(k -> same(x.get(k), y.get(k)));
        }
        return a != null && a.getClass() == b.getClass() && a.equals(b);
    }

    private static String deep(Object o) {
        return o instanceof List<?> l ? Arrays.deepToString(l.toArray()) : String.valueOf(o);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String call(String params) {
        return "<?xml version=\"1.0\"?><methodCall><methodName>lock.query</methodName><params>" + params
                + "</params></methodCall>";
    }

    private static String param(String value) {
        return "<param><value>" + value + "</value></param>";
    }

    @Test
    public void readsWhatOurJavaClientWrites() {
        ByteSink out = new ByteSink(64);
        assertTrue(PlainXmlRpc.writeCall("lock.acquire", new Object[] {"k1", "host a <&> \"é\" 😀", 2.5}, out));
        byte[] doc = Arrays.copyOf(out.array(), out.size());
        assertTrue(agrees(doc));
        assertEquals(List.of("k1", "host a <&> \"é\" 😀", 2.5), PlainXmlRpc.readCall(doc, doc.length).params());
    }

    @Test
    public void readsWhatPythonXmlRpcClientWrites() {
        // xmlrpc.client.dumps(("k1", "info", 2.5, True, 3, {"a": [1, "x"]}), "lock.acquire") in Python 3.11
        String python = "<?xml version='1.0'?>\n<methodCall>\n<methodName>lock.acquire</methodName>\n<params>\n"
                + "<param>\n<value><string>k1</string></value>\n</param>\n"
                + "<param>\n<value><string>info &amp; more</string></value>\n</param>\n"
                + "<param>\n<value><double>2.5</double></value>\n</param>\n"
                + "<param>\n<value><boolean>1</boolean></value>\n</param>\n"
                + "<param>\n<value><int>3</int></value>\n</param>\n"
                + "<param>\n<value><struct>\n<member>\n<name>a</name>\n<value><array><data>\n"
                + "<value><int>1</int></value>\n<value><string>x</string></value>\n</data></array></value>\n"
                + "</member>\n</struct></value>\n</param>\n</params>\n</methodCall>\n";
        assertTrue(agrees(utf8(python)));
        Map<String, Object> struct = new HashMap<>();
        struct.put("a", new Object[] {1, "x"});
        assertTrue(same(new Object[] {"k1", "info & more", 2.5, true, 3, struct},
                PlainXmlRpc.readCall(utf8(python), python.length()).params().toArray()));
    }

    @Test
    public void readsCallsWithoutParamsAndEmptyValues() {
        for (String doc : List.of(
                "<methodCall><methodName>server.ping</methodName></methodCall>",
                "<methodCall><methodName>server.ping</methodName><params/></methodCall>",
                "<methodCall><methodName>server.ping</methodName><params></params></methodCall>",
                call(param("") + "<param><value/></param>" + param("<string/>") + param("<string></string>")),
                call(param("<array><data/></array>") + param("<array><data></data></array>") + param("<struct></struct>")))) {
            assertTrue(doc, agrees(utf8(doc)));
        }
    }

    @Test
    public void leavesToTheLibraryWhatIsNotPlain() {
        List<String> notPlain = List.of(
                "<!DOCTYPE x [<!ENTITY e \"boom\">]>" + call(param("&e;")),
                "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall><methodName>x</methodName></methodCall>",
                "\uFEFF<methodCall><methodName>x</methodName></methodCall>",
                " <?xml version=\"1.0\"?><methodCall><methodName>x</methodName></methodCall>",
                call(param("<!-- c -->x")),
                call(param("<![CDATA[x]]>")),
                call(param("<string a=\"1\">x</string>")),
                call(param("<nil/>")),
                call(param("<i8>5</i8>")),
                call(param("<dateTime.iso8601>20261123T10:00:00</dateTime.iso8601>")),
                call(param("<base64>eA==</base64>")),
                call(param("<int>2147483648</int>")),
                call(param("<int> 5 </int>")),
                call(param("<int></int>")),
                call(param("<boolean>true</boolean>")),
                call(param("<double>NaN</double>")),
                call(param("<double>0x1p3</double>")),
                call(param("a\rb")),
                call(param("a\u0001b")),
                call(param("a]]>b")),
                call(param("&unknown;")),
                call(param("&#0;")),
                call(param("&#xD800;")),
                call(param("&#-5;")),
                call(param("x<string>y</string>")),
                call(param("<string>a</string><string>b</string>")),
                call(param("<struct><member><name>a</name><value>1</value></member>"
                        + "<member><name>a</name><value>2</value></member></struct>")),
                call(param("<struct><member><value>1</value><name>a</name></member></struct>")),
                call(param("<array><value>1</value></array>")),
                "<methodCall><methodName>lock query</methodName></methodCall>",
                "<methodCall><methodName>x</methodName></methodCall>trailing",
                "<methodCall xmlns=\"urn:x\"><methodName>x</methodName></methodCall>",
                "<methodResponse><params/></methodResponse>",
                "");
        for (String doc : notPlain) {
            assertNull(doc, PlainXmlRpc.readCall(utf8(doc), utf8(doc).length));
        }
        byte[] badUtf8 = utf8(call(param("ab")));
        int at = new String(badUtf8, StandardCharsets.ISO_8859_1).indexOf("ab");
        for (byte[] bytes : List.of(new byte[] {(byte) 0xC0, (byte) 0x80}, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                new byte[] {(byte) 0xFF, 'a'}, new byte[] {(byte) 0xEF, (byte) 0xBF, (byte) 0xBF})) {
            byte[] doc = badUtf8.clone();
            System.arraycopy(bytes, 0, doc, at, 2);
            assertNull(PlainXmlRpc.readCall(doc, doc.length));
        }
    }

    @Test
    public void nestingBeyondTheLimitIsLeftToTheLibrary() {
        String deep = "x";
        for (int i = 0; i < PlainXmlRpc.MAX_DEPTH + 1; i++) {
            deep = "<array><data><value>" + deep + "</value></data></array>";
        }
        assertNull(PlainXmlRpc.readCall(utf8(call(param(deep))), utf8(call(param(deep))).length));
    }

    @Test
    public void everyPrefixOfACallIsReadAsTheLibraryReadsIt() {
        byte[] doc = utf8(call(param("k1") + param("<string>a &lt; é &#x1F600;</string>") + param("<double>1.5</double>")
                + param("<struct><member><name>n</name><value><i4>-7</i4></value></member></struct>")));
        int read = 0;
        for (int n = 0; n <= doc.length; n++) {
            if (agrees(Arrays.copyOf(doc, n))) {
                read++;
            }
        }
        assertTrue("the whole document and only a few whitespace-free ends read", read >= 1);
    }

    @Test
    public void randomMutationsNeverReadDifferentlyFromTheLibrary() {
        Random random = new Random(20261123);
        byte[] base = utf8(call(param("k&amp;1") + param("<string>é 😀 x</string>") + param("<int>+42</int>")
                + param("<double>-1.5e3</double>") + param("<boolean>0</boolean>")
                + param("<struct><member><name>a</name><value><array><data><value>1</value></data></array></value>"
                + "</member></struct>")));
        byte[] alphabet = utf8("<>/&;#x0123456789abcdefvlueintsrg \n\t\r]![?-+.eE\u00e9");
        int read = 0;
        for (int round = 0; round < 20_000; round++) {
            byte[] doc = base.clone();
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                doc[random.nextInt(doc.length)] = alphabet[random.nextInt(alphabet.length)];
            }
            if (agrees(doc)) {
                read++;
            }
        }
        assertTrue("some mutations stay plain (e.g. in text)", read > 100);
    }

    @Test
    public void writtenCallsAndResultsReadBackEquallyWithBothParsers() throws Exception {
        Random random = new Random(7);
        for (int round = 0; round < 2_000; round++) {
            Object value = randomValue(random, 0);
            ByteSink out = new ByteSink(16);
            assertTrue(PlainXmlRpc.writeCall("lock.acquire", new Object[] {value, "x"}, out));
            byte[] doc = Arrays.copyOf(out.array(), out.size());
            assertTrue(new String(doc, StandardCharsets.UTF_8), agrees(doc));

            ByteSink answer = new ByteSink(16);
            assertTrue(PlainXmlRpc.writeResult(value, answer));
            byte[] response = Arrays.copyOf(answer.array(), answer.size());
            Object fast = PlainXmlRpc.readResult(response, response.length);
            String shown = new String(response, StandardCharsets.UTF_8);
            assertTrue("library reads " + shown, same(libraryResult(response), fast));
            assertTrue("written value comes back: " + shown, same(normalised(value), fast));
        }
    }

    @Test
    public void refusesToWriteWhatXmlCannotCarry() {
        for (Object v : List.of("a\u0000b", "a\u001Fb", "lone \uD800", "\uFFFE", 5L, Double.NaN, new Object())) {
            assertFalse(String.valueOf(v), PlainXmlRpc.writeResult(v, new ByteSink(8)));
        }
        assertFalse(PlainXmlRpc.writeCall("bad name", new Object[0], new ByteSink(8)));
        Map<Object, Object> intKey = new HashMap<>();
        intKey.put(1, "x");
        assertFalse(PlainXmlRpc.writeResult(intKey, new ByteSink(8)));
    }

    @Test
    public void faultsAreLeftToTheLibrary() {
        byte[] fault = utf8("<?xml version=\"1.0\"?><methodResponse><fault><value><struct><member><name>faultCode</name>"
                + "<value><i4>1</i4></value></member></struct></value></fault></methodResponse>");
        assertNull(PlainXmlRpc.readResult(fault, fault.length));
    }

    private static Object normalised(Object v) {
        if (v instanceof List<?> l) {
            return l.stream().map(PlainXmlRpcTest::normalised).toArray();
        }
        if (v instanceof Map<?, ?> m) {
            Map<Object, Object> out = new HashMap<>();
            m.forEach((k, x) -> out.put(k, normalised(x)));
            return out;
        }
        return v;
    }

    private static Object randomValue(Random r, int depth) {
        int kind = r.nextInt(depth > 3 ? 4 : 6);
        switch (kind) {
            case 0:
                return randomString(r);
            case 1:
                return r.nextInt();
            case 2:
                return r.nextBoolean();
            case 3:
                return r.nextInt(3) == 0 ? 1e-9 * r.nextInt() : r.nextInt(3) == 0 ? 1e300 : r.nextInt(1000) / 8.0;
            case 4: {
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    list.add(randomValue(r, depth + 1));
                }
                return list;
            }
            default: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    m.put(randomString(r), randomValue(r, depth + 1));
                }
                return m;
            }
        }
    }

    private static String randomString(Random r) {
        int[] pool = {'a', 'Z', '0', ' ', '\n', '\t', '\r', '<', '>', '&', '"', '\'', ']', 0xE9, 0x7F, 0x80, 0x7FF, 0x800,
            0xFFFD, 0x1F600, 0x10FFFF};
        StringBuilder s = new StringBuilder();
        for (int i = r.nextInt(12); i > 0; i--) {
            s.appendCodePoint(pool[r.nextInt(pool.length)]);
        }
        return s.toString();
    }

    @Test
    public void oneFailingAssertionProvesTheHarnessCanFail() {
        // the reference must be able to disagree: a document the library refuses is reported as such
        assertNull(libraryCall(utf8("<methodCall><methodName>x</methodName>")));
        try {
            assertTrue(agrees(utf8("<methodCall><methodName>x</methodName></methodCall>")));
        } catch (AssertionError e) {
            fail("a plain empty call must agree: " + e.getMessage());
        }
    }
}
