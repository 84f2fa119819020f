package lockserver.server.rpc;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import lockserver.core.LockException;
import lockserver.core.LockRegistry;
import lockserver.wire.ByteSink;
import lockserver.wire.Fault;
import lockserver.wire.PlainXmlRpc;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;

/**
 * JSON for the {@code /v1} binding, with Jackson's streaming core. Reads a call's
 * arguments (one JSON array) to the Java values the XML-RPC codec reads: String, Integer,
 * Boolean, Double, {@code HashMap<String, Object>} and {@code Object[]}; an integer beyond
 * int stays a BigInteger and a number beyond double a BigDecimal, and null stays null, so
 * that {@link Args} refuses them naming the argument. Input is cut off as soon as it
 * passes a bound (nesting, number and string length); text XML cannot carry is refused, as
 * /RPC2 would. Writes results and faults. Stateless and thread-safe.
 */
final class JsonCodec {
    /** Levels an argument may nest (an array in an array is 2): about what /RPC2's 64 elements allow. */
    static final int MAX_DEPTH = 20;
    /** Characters of one number: more than any int or double needs. */
    static final int MAX_NUMBER_LENGTH = 400;
    /** Characters of one string: no argument takes more (lock names 64, info 1024, default body cap 64 KB). */
    static final int MAX_STRING_LENGTH = 65_536;

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH + 2) // a backstop: Reader refuses the argument first
                    .maxNumberLength(MAX_NUMBER_LENGTH)
                    .maxStringLength(MAX_STRING_LENGTH)
                    .maxNameLength(256)
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION) // as /RPC2 refuses a member twice
            .build();

    private JsonCodec() {
    }

    /**
     * The arguments of a call of {@code method} in {@code body[0..length)}; fault 8 if it is
     * not one JSON array, fault 3 if an argument is a value no method takes (too deep, too
     * long, text XML cannot carry).
     */
    static List<Object> readArguments(String method, byte[] body, int length) {
        Reader reader = new Reader(method);
        try (JsonParser in = JSON.createParser(ObjectReadContext.empty(), body, 0, length)) {
            return reader.arguments(in);
        } catch (StreamConstraintsException e) {
            throw reader.bad(clean(e.getOriginalMessage()));
        } catch (JacksonException e) {
            throw malformed(clean(e.getOriginalMessage()) + at(e.getLocation()));
        }
    }

    /** Reads one body, remembering which argument it is in. */
    private static final class Reader {
        private final String method;
        private int argument; // 0-based index of the argument being read

        Reader(String method) {
            this.method = method;
        }

        List<Object> arguments(JsonParser in) {
            JsonToken first = in.nextToken();
            if (first != JsonToken.START_ARRAY) {
                throw malformed("the body must be a JSON array of the arguments ([] for none), got "
                        + (first == null ? "an empty body" : describe(first)));
            }
            List<Object> args = new ArrayList<>(4);
            for (JsonToken t = in.nextToken(); t != JsonToken.END_ARRAY; t = in.nextToken()) {
                argument = args.size();
                args.add(value(in, t, 1));
            }
            if (in.nextToken() != null) {
                throw malformed("more than one JSON value in the body; send one array of the arguments");
            }
            return args;
        }

        private Object value(JsonParser in, JsonToken t, int depth) {
            if (t == null) {
                throw malformed("the body ends inside the array");
            }
            return switch (t) {
                case VALUE_STRING -> text(in.getString());
                case VALUE_NUMBER_INT -> in.getNumberType() == JsonParser.NumberType.INT
                        ? (Object) in.getIntValue() : in.getBigIntegerValue();
                case VALUE_NUMBER_FLOAT -> {
                    double d = in.getDoubleValue();
                    yield Double.isFinite(d) ? (Object) d : outOfRange(in.getString());
                }
                case VALUE_TRUE -> Boolean.TRUE;
                case VALUE_FALSE -> Boolean.FALSE;
                case VALUE_NULL -> null;
                case START_ARRAY -> {
                    deeper(depth);
                    List<Object> items = new ArrayList<>();
                    for (JsonToken i = in.nextToken(); i != JsonToken.END_ARRAY; i = in.nextToken()) {
                        items.add(value(in, i, depth + 1));
                    }
                    yield items.toArray();
                }
                case START_OBJECT -> {
                    deeper(depth);
                    Map<String, Object> members = new HashMap<>();
                    for (JsonToken i = in.nextToken(); i != JsonToken.END_OBJECT; i = in.nextToken()) {
                        String name = text(in.currentName());
                        members.put(name, value(in, in.nextToken(), depth + 1));
                    }
                    yield members;
                }
                default -> throw malformed("unexpected " + describe(t));
            };
        }

        private void deeper(int depth) {
            if (depth >= MAX_DEPTH) {
                throw bad("nested more than " + MAX_DEPTH + " levels deep");
            }
        }

        /** {@code s}, if an XML-RPC answer can carry it: what one binding takes, the other must show. */
        private String text(String s) {
            for (int i = 0; i < s.length(); ) {
                int cp = s.codePointAt(i);
                if (!PlainXmlRpc.isXmlChar(cp)) {
                    throw bad(String.format("a string holds U+%04X, a character XML-RPC cannot carry", cp));
                }
                i += Character.charCount(cp);
            }
            return s;
        }

        private Object outOfRange(String number) {
            try {
                return new BigDecimal(number);
            } catch (NumberFormatException | ArithmeticException e) {
                throw bad("the number " + number + " is out of range");
            }
        }

        LockException bad(String why) {
            return new LockException(Fault.BAD_ARGUMENT, LockRegistry.abbreviate(method) + ": argument "
                    + (argument + 1) + ": " + why);
        }
    }

    private static LockException malformed(String why) {
        return new LockException(Fault.BAD_REQUEST, "malformed JSON request: " + why);
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.name().toLowerCase(Locale.ROOT);
        };
    }

    /** Jackson's message without its pointers into Jackson (", from `StreamReadConstraints...`"). */
    private static String clean(String message) {
        String m = message == null ? "unreadable" : message;
        return m.replaceAll(",? from `[^`]*`", "").replaceAll("\\s+", " ").trim();
    }

    private static String at(TokenStreamLocation where) {
        return where == null || where.getLineNr() < 1 ? ""
                : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
    }

    // ------------------------------------------------------------------ writing

    /** The answer carrying {@code result}, one line; IllegalArgumentException for a type JSON has no form for. */
    static ByteSink writeResult(Object result) {
        ByteSink out = new ByteSink(256);
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
            write(g, result);
        }
        out.write('\n');
        return out;
    }

    /** {@code {"fault": {"code": N, "message": "..."}}}, one line. */
    static ByteSink writeFault(Fault fault, String message) {
        ByteSink out = new ByteSink(128 + message.length());
        try (JsonGenerator g = JSON.createGenerator(ObjectWriteContext.empty(), out)) {
            g.writeStartObject();
            g.writeName("fault");
            g.writeStartObject();
            g.writeName("code");
            g.writeNumber(fault.code);
            g.writeName("message");
            g.writeString(message);
            g.writeEndObject();
            g.writeEndObject();
        }
        out.write('\n');
        return out;
    }

    private static void write(JsonGenerator g, Object v) {
        if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : new TreeMap<>(m).entrySet()) { // names in order: answers read the same each time
                g.writeName(String.valueOf(e.getKey()));
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Object[] || v instanceof Collection<?>) {
            g.writeStartArray();
            for (Object item : v instanceof Object[] a ? Arrays.asList(a) : (Collection<?>) v) {
                write(g, item);
            }
            g.writeEndArray();
        } else {
            throw new IllegalArgumentException("no JSON form for " + (v == null ? "null" : v.getClass().getName()));
        }
    }
}
