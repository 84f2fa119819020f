package lockserver.wire;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A cursor over one document for {@link PlainXmlRpc}'s read methods: each method reads one
 * piece of the plain subset at the cursor and moves past it, or throws {@link NotPlain} when
 * the document leaves that subset (valid XML-RPC or not; the library then reads it). Belongs
 * to one call on one thread.
 */
final class PlainXmlReader {
    private static final Pattern DECLARATION = Pattern.compile(
            "<\\?xml[ \\t\\r\\n]+version[ \\t\\r\\n]*=[ \\t\\r\\n]*([\"'])1\\.0\\1"
                    + "(?:[ \\t\\r\\n]+encoding[ \\t\\r\\n]*=[ \\t\\r\\n]*([\"'])(?i:utf-8)\\2)?"
                    + "(?:[ \\t\\r\\n]+standalone[ \\t\\r\\n]*=[ \\t\\r\\n]*([\"'])(?:yes|no)\\3)?"
                    + "[ \\t\\r\\n]*\\?>");
    /** What our writer, the library, Python and most others write: matched without the pattern. */
    private static final String[] COMMON_DECLARATIONS = {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<?xml version='1.0'?>", "<?xml version=\"1.0\"?>"};

    /** Thrown, without a stack trace, when a document leaves the plain subset. */
    static final class NotPlain extends RuntimeException {
        static final NotPlain INSTANCE = new NotPlain();

        private NotPlain() {
            super("not a plain XML-RPC document", null, false, false);
        }
    }

    private final byte[] b;
    private final int end;
    private int p;
    private int depth;

    PlainXmlReader(byte[] b, int length) {
        this.b = b;
        this.end = length;
    }

    private static NotPlain notPlain() {
        return NotPlain.INSTANCE;
    }

    /** An optional XML declaration (UTF-8 only) at the very start, then white space. */
    void prolog() {
        for (String common : COMMON_DECLARATIONS) {
            if (startsWith(common)) {
                p += common.length();
                space();
                return;
            }
        }
        if (startsWith("<?xml")) {
            int close = indexOf((byte) '?', (byte) '>', p);
            if (close < 0 || close - p > 200) {
                throw notPlain();
            }
            String decl = new String(b, p, close + 2 - p, StandardCharsets.ISO_8859_1);
            if (!DECLARATION.matcher(decl).matches()) {
                throw notPlain();
            }
            p = close + 2;
        }
        space();
    }

    private int indexOf(byte a, byte c, int from) {
        for (int i = from; i + 1 < end; i++) {
            if (b[i] == a && b[i + 1] == c) {
                return i;
            }
        }
        return -1;
    }

    private boolean startsWith(String s) {
        if (end - p < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (b[p + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    void space() {
        while (p < end && isSpace(b[p])) {
            p++;
        }
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r';
    }

    /** Consumes {@code <name>}. */
    void open(String name) {
        if (!tagAt("<", name, ">")) {
            throw notPlain();
        }
        p += name.length() + 2;
    }

    /** Consumes {@code </name>}. */
    void close(String name) {
        if (!tagAt("</", name, ">")) {
            throw notPlain();
        }
        p += name.length() + 3;
    }

    boolean peekClose(String name) {
        return tagAt("</", name, ">");
    }

    /** Consumes {@code <name/>} if it is next. */
    boolean emptyElement(String name) {
        if (tagAt("<", name, "/>")) {
            p += name.length() + 3;
            return true;
        }
        return false;
    }

    private boolean tagAt(String before, String name, String after) {
        int n = before.length() + name.length() + after.length();
        if (end - p < n) {
            return false;
        }
        int i = p;
        for (int k = 0; k < before.length(); k++) {
            if (b[i++] != before.charAt(k)) {
                return false;
            }
        }
        for (int k = 0; k < name.length(); k++) {
            if (b[i++] != name.charAt(k)) {
                return false;
            }
        }
        for (int k = 0; k < after.length(); k++) {
            if (b[i++] != after.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    void end() {
        space();
        if (p != end) {
            throw notPlain();
        }
    }

    /** One {@code <value>} element and what it holds. */
    Object value() {
        if (++depth > PlainXmlRpc.MAX_DEPTH) {
            throw notPlain();
        }
        Object v;
        if (emptyElement("value")) {
            v = "";
        } else {
            open("value");
            int start = p;
            String text = text();
            if (peekClose("value")) {
                v = text; // a value without a type is a string
            } else {
                for (int i = start; i < p; i++) {
                    if (!isSpace(b[i])) {
                        throw notPlain();
                    }
                }
                v = typed();
                space();
            }
            close("value");
        }
        depth--;
        return v;
    }

    private Object typed() {
        if (emptyElement("string")) {
            return "";
        }
        String type = tagName();
        switch (type) {
            case "string" -> {
                String s = text();
                close(type);
                return s;
            }
            case "int", "i4" -> {
                String s = text();
                close(type);
                return Integer.valueOf(integer(s));
            }
            case "boolean" -> {
                String s = text();
                close(type);
                if (s.equals("1")) {
                    return Boolean.TRUE;
                }
                if (s.equals("0")) {
                    return Boolean.FALSE;
                }
                throw notPlain();
            }
            case "double" -> {
                String s = text();
                close(type);
                return Double.valueOf(decimal(s));
            }
            case "struct" -> {
                return struct();
            }
            case "array" -> {
                return array();
            }
            default -> throw notPlain();
        }
    }

    /** Consumes {@code <name>} for a name of letters and digits, and returns the name. */
    private String tagName() {
        if (p >= end || b[p] != '<') {
            throw notPlain();
        }
        int i = p + 1;
        while (i < end && (b[i] >= 'a' && b[i] <= 'z' || b[i] >= '0' && b[i] <= '9')) {
            i++;
        }
        if (i == p + 1 || i >= end || b[i] != '>') {
            throw notPlain();
        }
        String name = new String(b, p + 1, i - p - 1, StandardCharsets.ISO_8859_1);
        p = i + 1;
        return name;
    }

    private static int integer(String s) {
        int i = s.startsWith("-") || s.startsWith("+") ? 1 : 0;
        if (i == s.length() || s.length() > 12) {
            throw notPlain();
        }
        for (; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                throw notPlain();
            }
        }
        long v = Long.parseLong(s);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw notPlain();
        }
        return (int) v;
    }

    /** A decimal like -12.5 or 1e-3; what Double.valueOf reads but hex, NaN and Infinity. */
    private static double decimal(String s) {
        int i = s.startsWith("-") || s.startsWith("+") ? 1 : 0;
        int digits = 0;
        boolean exponent = false;
        boolean point = false;
        if (s.length() > 400) { // the longest plain double has about 330 characters
            throw notPlain();
        }
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                digits++;
            } else if (c == '.' && !point && !exponent) {
                point = true;
            } else if ((c == 'e' || c == 'E') && digits > 0 && !exponent && i + 1 < s.length()) {
                exponent = true;
                digits = 0;
                if (s.charAt(i + 1) == '-' || s.charAt(i + 1) == '+') {
                    i++;
                }
            } else {
                throw notPlain();
            }
        }
        if (digits == 0) {
            throw notPlain();
        }
        return Double.parseDouble(s);
    }

    private Map<String, Object> struct() {
        Map<String, Object> m = new HashMap<>();
        space();
        while (!peekClose("struct")) {
            open("member");
            space();
            open("name");
            String name = text();
            close("name");
            space();
            if (m.put(name, value()) != null) {
                throw notPlain(); // a name twice: the library decides which wins
            }
            space();
            close("member");
            space();
        }
        close("struct");
        return m;
    }

    private Object[] array() {
        List<Object> values = new ArrayList<>();
        space();
        if (!emptyElement("data")) {
            open("data");
            space();
            while (!peekClose("data")) {
                values.add(value());
                space();
            }
            close("data");
        }
        space();
        close("array");
        return values.toArray();
    }

    /**
     * Character data up to the next {@code <}, with the five predefined entities and
     * character references decoded. Leaves the cursor on the {@code <}.
     */
    String text() {
        int start = p;
        int i = p;
        // the common case: printable ASCII only, read without a builder
        while (i < end) {
            byte c = b[i];
            if (c == '<') {
                p = i;
                return new String(b, start, i - start, StandardCharsets.ISO_8859_1);
            }
            if (c < 0x20 && c != '\t' && c != '\n' || c < 0 || c == '&' || c == '>' || c == 0x7F) {
                break;
            }
            i++;
        }
        StringBuilder s = new StringBuilder(i - start + 16).append(new String(b, start, i - start,
                StandardCharsets.ISO_8859_1));
        while (i < end) {
            int c = b[i] & 0xFF;
            if (c == '<') {
                p = i;
                return s.toString();
            }
            if (c == '&') {
                i = entity(i, s);
            } else if (c == '>') {
                if (s.length() >= 2 && s.charAt(s.length() - 1) == ']' && s.charAt(s.length() - 2) == ']') {
                    throw notPlain(); // "]]>" may not appear in text
                }
                s.append('>');
                i++;
            } else if (c < 0x80) {
                if (c < 0x20 && c != '\t' && c != '\n') {
                    throw notPlain(); // controls are not XML; a raw CR would be normalised
                }
                s.append((char) c);
                i++;
            } else {
                i = utf8(i, s);
            }
        }
        throw notPlain(); // text runs to the end of the document
    }

    /** Decodes one multi-byte UTF-8 character at {@code i}; returns the index after it. */
    private int utf8(int i, StringBuilder s) {
        int c = b[i] & 0xFF;
        int n;
        int cp;
        int min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            throw notPlain();
        }
        if (i + n >= end) {
            throw notPlain();
        }
        for (int k = 1; k <= n; k++) {
            int cc = b[i + k] & 0xFF;
            if ((cc & 0xC0) != 0x80) {
                throw notPlain();
            }
            cp = cp << 6 | cc & 0x3F;
        }
        if (cp < min || !PlainXmlRpc.isXmlChar(cp)) {
            throw notPlain();
        }
        s.appendCodePoint(cp);
        return i + n + 1;
    }

    /** Decodes the entity or character reference at {@code i}; returns the index after it. */
    private int entity(int i, StringBuilder s) {
        int semi = i + 1;
        while (semi < end && semi - i <= 10 && b[semi] != ';') {
            semi++;
        }
        if (semi >= end || b[semi] != ';') {
            throw notPlain();
        }
        String name = new String(b, i + 1, semi - i - 1, StandardCharsets.ISO_8859_1);
        switch (name) {
            case "lt" -> s.append('<');
            case "gt" -> s.append('>');
            case "amp" -> s.append('&');
            case "quot" -> s.append('"');
            case "apos" -> s.append('\'');
            default -> {
                boolean hex = name.startsWith("#x");
                int from = hex ? 2 : 1;
                if (!name.startsWith("#") || name.length() == from) {
                    throw notPlain();
                }
                for (int k = from; k < name.length(); k++) {
                    if (Character.digit(name.charAt(k), hex ? 16 : 10) < 0) {
                        throw notPlain();
                    }
                }
                int cp = Integer.parseInt(name.substring(from), hex ? 16 : 10); // at most 8 digits
                if (!PlainXmlRpc.isXmlChar(cp)) {
                    throw notPlain();
                }
                s.appendCodePoint(cp);
            }
        }
        return semi + 1;
    }
}
