package lockserver.wire;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the plain XML-RPC documents that lockserver's own clients and server
 * exchange, without a general XML parser: the calls and answers of every method are
 * small, flat and always written the same way, and a SAX parse costs more than the lock
 * operation it carries.
 *
 * <p>It is a fast path, never the judge of a document. The read methods accept a strict
 * subset of XML-RPC (UTF-8, no comments, CDATA, attributes, DOCTYPE or namespaces, only
 * string, int, i4, boolean, double, struct and array values, no faults) and return
 * {@code null} for anything else, valid or not; the caller then hands the same bytes to
 * Apache XML-RPC's own parser, which accepts or refuses them exactly as without this
 * class. What they do accept they read to the same Java values as the library: String,
 * Integer, Boolean, Double, {@code HashMap<String, Object>} and {@code Object[]}. The write
 * methods likewise return false for a value they do not write (so the caller uses the
 * library's writer) and otherwise append a document that any XML-RPC reader parses.
 * Stateless and thread-safe.
 */
public final class PlainXmlRpc {
    /** Values nested deeper than this are left to the library, which bounds nesting itself. */
    static final int MAX_DEPTH = 16;
    private static final byte[] CALL_HEAD = ascii("<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodCall><methodName>");
    private static final byte[] CALL_PARAMS = ascii("</methodName><params>");
    private static final byte[] CALL_TAIL = ascii("</params></methodCall>");
    private static final byte[] RESPONSE_HEAD = ascii(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><methodResponse><params><param>");
    private static final byte[] RESPONSE_TAIL = ascii("</param></params></methodResponse>");

    private PlainXmlRpc() {
    }

    /** A method call as read: its name and its parameters. */
    public record Call(String method, List<Object> params) {
    }

    // ------------------------------------------------------------------ reading

    /** The call in {@code doc[0..length)}, or null when the library should read it. */
    public static Call readCall(byte[] doc, int length) {
        try {
            PlainXmlReader in = new PlainXmlReader(doc, length);
            in.prolog();
            in.open("methodCall");
            in.space();
            in.open("methodName");
            String method = in.text();
            if (!isMethodName(method)) {
                return null;
            }
            in.close("methodName");
            in.space();
            List<Object> params = new ArrayList<>(4);
            if (!in.peekClose("methodCall") && !in.emptyElement("params")) {
                in.open("params");
                in.space();
                while (!in.peekClose("params")) {
                    in.open("param");
                    in.space();
                    params.add(in.value());
                    in.space();
                    in.close("param");
                    in.space();
                }
                in.close("params");
                in.space();
            }
            in.close("methodCall");
            in.end();
            return new Call(method, params);
        } catch (PlainXmlReader.NotPlain e) {
            return null;
        }
    }

    /**
     * The result of the answer in {@code doc[0..length)}, or null when the library should
     * read it (a fault among others).
     */
    public static Object readResult(byte[] doc, int length) {
        try {
            PlainXmlReader in = new PlainXmlReader(doc, length);
            in.prolog();
            in.open("methodResponse");
            in.space();
            in.open("params");
            in.space();
            in.open("param");
            in.space();
            Object result = in.value();
            in.space();
            in.close("param");
            in.space();
            in.close("params");
            in.space();
            in.close("methodResponse");
            in.end();
            return result;
        } catch (PlainXmlReader.NotPlain e) {
            return null;
        }
    }

    private static boolean isMethodName(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    /** Whether XML 1.0 allows the code point in a document. */
    public static boolean isXmlChar(int cp) {
        return cp == 0x9 || cp == 0xA || cp == 0xD || cp >= 0x20 && cp <= 0xD7FF
                || cp >= 0xE000 && cp <= 0xFFFD || cp >= 0x10000 && cp <= 0x10FFFF;
    }

    // ------------------------------------------------------------------ writing

    /**
     * Appends the call to {@code out} and returns true, or returns false (leaving
     * {@code out} unusable) when a parameter is of a type this class does not write.
     */
    public static boolean writeCall(String method, Object[] params, ByteSink out) {
        if (!isMethodName(method)) {
            return false;
        }
        out.write(CALL_HEAD);
        out.writeAscii(method);
        out.write(CALL_PARAMS);
        for (Object param : params) {
            out.writeAscii("<param>");
            if (!value(param, out, 0)) {
                return false;
            }
            out.writeAscii("</param>");
        }
        out.write(CALL_TAIL);
        return true;
    }

    /** Appends the answer carrying {@code result}; false as for {@link #writeCall}. */
    public static boolean writeResult(Object result, ByteSink out) {
        out.write(RESPONSE_HEAD);
        if (!value(result, out, 0)) {
            return false;
        }
        out.write(RESPONSE_TAIL);
        return true;
    }

    private static boolean value(Object v, ByteSink out, int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        if (v instanceof String s) {
            out.writeAscii("<value>");
            if (!escaped(s, out)) {
                return false;
            }
            out.writeAscii("</value>");
        } else if (v instanceof Integer i) {
            out.writeAscii("<value><i4>").writeAscii(Integer.toString(i)).writeAscii("</i4></value>");
        } else if (v instanceof Boolean flag) {
            out.writeAscii(flag ? "<value><boolean>1</boolean></value>" : "<value><boolean>0</boolean></value>");
        } else if (v instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                return false;
            }
            String s = Double.toString(d);
            if (s.indexOf('E') >= 0) {
                s = new BigDecimal(s).toPlainString(); // XML-RPC doubles have no exponent
            }
            out.writeAscii("<value><double>").writeAscii(s).writeAscii("</double></value>");
        } else if (v instanceof Map<?, ?> m) {
            out.writeAscii("<value><struct>");
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String name)) {
                    return false;
                }
                out.writeAscii("<member><name>");
                if (!escaped(name, out)) {
                    return false;
                }
                out.writeAscii("</name>");
                if (!value(e.getValue(), out, depth + 1)) {
                    return false;
                }
                out.writeAscii("</member>");
            }
            out.writeAscii("</struct></value>");
        } else if (v instanceof Object[] || v instanceof Collection<?>) {
            out.writeAscii("<value><array><data>");
            for (Object item : v instanceof Object[] a ? Arrays.asList(a) : (Collection<?>) v) {
                if (!value(item, out, depth + 1)) {
                    return false;
                }
            }
            out.writeAscii("</data></array></value>");
        } else {
            return false; // null, long, dates, bytes...: the library's writer knows or refuses them
        }
        return true;
    }

    /** Writes {@code s} as XML text in UTF-8; false if it holds a character XML cannot carry. */
    private static boolean escaped(String s, ByteSink out) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c <= 0x7F) {
                switch (c) {
                    case '<' -> out.writeAscii("&lt;");
                    case '>' -> out.writeAscii("&gt;");
                    case '&' -> out.writeAscii("&amp;");
                    default -> out.write(c);
                }
            } else if (c == '\n' || c == '\t') {
                out.write(c);
            } else if (c == '\r') {
                out.writeAscii("&#13;"); // a raw CR would be read back as LF
            } else if (c < 0x80) {
                return false; // C0 controls: no XML 1.0 document carries them
            } else if (c < 0x800) {
                out.write(0xC0 | c >> 6);
                out.write(0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                out.write(0xF0 | cp >> 18);
                out.write(0x80 | cp >> 12 & 0x3F);
                out.write(0x80 | cp >> 6 & 0x3F);
                out.write(0x80 | cp & 0x3F);
            } else if (Character.isSurrogate(c) || c == 0xFFFE || c == 0xFFFF) {
                return false;
            } else {
                out.write(0xE0 | c >> 12);
                out.write(0x80 | c >> 6 & 0x3F);
                out.write(0x80 | c & 0x3F);
            }
        }
        return true;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
