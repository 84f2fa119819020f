package lockserver.server.rpc;

import lockserver.wire.Fault;
import lockserver.core.LockException;
import org.apache.xmlrpc.XmlRpcRequest;

/** The checked arguments of one XML-RPC call; every refusal names the method and the argument. */
final class Args {
    private final String method;
    private final XmlRpcRequest request;
    private lockserver.server.auth.Access.Caller caller;

    /** {@code names}: the arguments; with {@code optionsLast}, the last of them (the options struct) may be left out. */
    Args(String method, String[] names, boolean optionsLast, XmlRpcRequest request) {
        this.method = method;
        this.request = request;
        int n = request.getParameterCount();
        if (n != names.length && !(optionsLast && n == names.length - 1)) {
            throw new LockException(Fault.BAD_ARGUMENT, method + " takes " + (optionsLast ? (names.length - 1)
                    + " or " : "") + names.length + " argument" + (names.length == 1 ? "" : "s")
                    + (names.length == 0 ? "" : " (" + String.join(", ", names) + ")") + ", got " + n);
        }
    }

    /** The options struct at {@code i}, or the defaults when it was left out. */
    QueryOptions options(int i) {
        if (i >= request.getParameterCount()) {
            return QueryOptions.DEFAULT;
        }
        Object v = request.getParameter(i);
        if (v instanceof java.util.Map<?, ?> m) {
            return QueryOptions.of(method, m);
        }
        throw wrongType(i, "options", "a struct", v);
    }

    /** Who called, once authorized. */
    lockserver.server.auth.Access.Caller caller() {
        return caller;
    }

    void authorized(lockserver.server.auth.Access.Caller caller) {
        this.caller = caller;
    }

    /** The caller's side of this request: address, credentials, connection. */
    CallContext client() {
        return (CallContext) request.getConfig();
    }

    String string(int i, String name) {
        Object v = request.getParameter(i);
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(i, name, "a string", v);
    }

    int integer(int i, String name) {
        Object v = request.getParameter(i);
        if (v instanceof Integer n) {
            return n;
        }
        throw wrongType(i, name, "an int", v);
    }

    /** A non-negative number of seconds, sent as int or double, in nanoseconds. */
    long seconds(int i, String name) {
        Object v = request.getParameter(i);
        double s;
        if (v instanceof Integer n) {
            s = n;
        } else if (v instanceof Double d) {
            s = d;
        } else {
            throw wrongType(i, name, "a number of seconds (int or double)", v);
        }
        if (!(s >= 0)) {
            throw new LockException(Fault.BAD_ARGUMENT,
                    method + ": argument " + (i + 1) + " (" + name + ") must not be negative, got " + s);
        }
        return s >= Long.MAX_VALUE / 1e9 ? Long.MAX_VALUE : (long) (s * 1e9);
    }

    private LockException wrongType(int i, String name, String expected, Object got) {
        return new LockException(Fault.BAD_ARGUMENT, method + ": argument " + (i + 1) + " (" + name + ") must be "
                + expected + ", got " + typeName(got));
    }

    private static String typeName(Object v) {
        if (v == null) {
            return "null"; // JSON's null; XML-RPC's nil is refused when read
        } else if (v instanceof Object[] || v instanceof java.util.List) {
            return "an array";
        } else if (v instanceof java.util.Map) {
            return "a struct";
        } else if (v instanceof Boolean) {
            return "a boolean";
        } else if (v instanceof Integer) {
            return "an int";
        } else if (v instanceof Double) {
            return "a double";
        } else if (v instanceof String) {
            return "a string";
        } else if (v instanceof byte[]) {
            return "base64";
        } else if (v instanceof java.util.Date) {
            return "a dateTime";
        } else if (v instanceof java.math.BigInteger) {
            return "an integer beyond the int range"; // from JSON, as JsonCodec reads it
        } else if (v instanceof java.math.BigDecimal) {
            return "a number beyond the double range";
        }
        return v.getClass().getSimpleName();
    }
}
