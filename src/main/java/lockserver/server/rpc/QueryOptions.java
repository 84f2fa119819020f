package lockserver.server.rpc;

import java.util.Map;
import lockserver.core.LockException;
import lockserver.core.LockRegistry;
import lockserver.core.SlotRequest;
import lockserver.wire.Fault;

/**
 * The options struct, the optional last argument of {@code lock.query} and
 * {@code lock.acquire}: the one place for every per-query option. Unknown members and
 * members of the wrong type are refused, so a typo is not silently ignored.
 *
 * @param key     the client's retry key (1 to 128 characters), or null
 * @param request the slots and priority asked for (permits, exclusive, priority)
 */
record QueryOptions(String key, SlotRequest request) {
    static final QueryOptions DEFAULT = new QueryOptions(null, SlotRequest.ONE);
    private static final String MEMBERS = "key, permits, exclusive, priority";

    static QueryOptions of(String method, Map<?, ?> struct) {
        String key = null;
        int permits = 1;
        boolean exclusive = false;
        int priority = 0;
        for (Map.Entry<?, ?> e : struct.entrySet()) {
            String member = String.valueOf(e.getKey());
            Object v = e.getValue();
            switch (member) {
                case "key" -> {
                    if (!(v instanceof String s) || s.isEmpty() || s.length() > LockRegistry.MAX_KEY_LENGTH) {
                        throw bad(method, "options.key must be a string of 1 to " + LockRegistry.MAX_KEY_LENGTH
                                + " characters");
                    }
                    key = s;
                }
                case "permits" -> permits = integer(method, member, v);
                case "priority" -> priority = integer(method, member, v);
                case "exclusive" -> {
                    if (!(v instanceof Boolean b)) {
                        throw bad(method, "options.exclusive must be a boolean");
                    }
                    exclusive = b;
                }
                default -> throw bad(method, "unknown option '" + LockRegistry.abbreviate(member)
                        + "'; the options struct takes: " + MEMBERS);
            }
        }
        if (exclusive && struct.containsKey("permits")) {
            throw bad(method, "options.permits and options.exclusive cannot be given together "
                    + "(exclusive takes every slot)");
        }
        try {
            return new QueryOptions(key, new SlotRequest(permits, exclusive, priority));
        } catch (LockException e) {
            throw bad(method, e.getMessage());
        }
    }

    private static int integer(String method, String member, Object v) {
        if (v instanceof Integer n) {
            return n;
        }
        throw bad(method, "options." + member + " must be an int");
    }

    private static LockException bad(String method, String message) {
        return new LockException(Fault.BAD_ARGUMENT, method + ": " + message);
    }
}
