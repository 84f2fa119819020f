package lockserver.server.rpc;

import java.util.Map;
import lockserver.core.LockException;
import lockserver.core.LockRegistry;
import lockserver.wire.Fault;

/**
 * The options struct, the optional last argument of {@code lock.query} and
 * {@code lock.acquire}: the one place for every per-query option. Unknown members are
 * refused, so a typo is not silently ignored.
 *
 * @param key the client's retry key (1 to 128 characters), or null
 */
record QueryOptions(String key) {
    static final QueryOptions DEFAULT = new QueryOptions(null);

    static QueryOptions of(String method, Map<?, ?> struct) {
        String key = null;
        for (Map.Entry<?, ?> e : struct.entrySet()) {
            String member = String.valueOf(e.getKey());
            if (member.equals("key")) {
                if (!(e.getValue() instanceof String s) || s.isEmpty() || s.length() > LockRegistry.MAX_KEY_LENGTH) {
                    throw new LockException(Fault.BAD_ARGUMENT, method + ": options.key must be a string of 1 to "
                            + LockRegistry.MAX_KEY_LENGTH + " characters");
                }
                key = s;
            } else {
                throw new LockException(Fault.BAD_ARGUMENT, method + ": unknown option '"
                        + LockRegistry.abbreviate(member) + "'; the options struct takes: key");
            }
        }
        return key == null ? DEFAULT : new QueryOptions(key);
    }
}
