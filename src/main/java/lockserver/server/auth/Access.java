package lockserver.server.auth;

import java.security.MessageDigest;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import lockserver.wire.Fault;
import lockserver.core.LockException;
import lockserver.core.SlotRequest;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Who may call what. With no users in the config, anyone may use the client methods and
 * the admin methods follow ANONYMOUS_ADMIN (loopback callers only, by default). With users,
 * every call needs HTTP Basic credentials: role {@code client} may use the client methods on
 * its allowed locks, role {@code admin} everything. Passwords are checked in constant time;
 * a verified password is remembered as a SHA-256 fingerprint so PBKDF2 runs once per user.
 * Thread-safe.
 */
public final class Access {
    private static final Logger log = LogManager.getLogger(Access.class);

    public enum Role { CLIENT, ADMIN }

    public enum AnonymousAdmin { NO, LOOPBACK, YES }

    /** A configured user; {@code locks} null means every lock; {@code maxPriority}: the highest priority it may ask for. */
    public record User(String name, PasswordHash hash, Role role, Set<String> locks, int maxPriority) {
    }

    /** The caller of one request, as far as access goes. */
    public record Caller(String name, Role role, Set<String> locks, int maxPriority) {
        boolean mayUse(String lock) {
            return locks == null || locks.contains(lock);
        }
    }

    // without users there is nobody to tell apart, so no priority limit
    private static final Caller ANONYMOUS_CLIENT = new Caller("anonymous", Role.CLIENT, null, SlotRequest.MAX_PRIORITY);
    private static final Caller ANONYMOUS_ADMIN = new Caller("anonymous", Role.ADMIN, null, SlotRequest.MAX_PRIORITY);

    private final Map<String, User> users;
    private final AnonymousAdmin anonymousAdmin;
    private final Map<String, byte[]> verified = new ConcurrentHashMap<>();

    public Access(Map<String, User> users, AnonymousAdmin anonymousAdmin) {
        this.users = users;
        this.anonymousAdmin = anonymousAdmin;
    }

    /** The caller, or a fault if credentials are needed and missing or wrong. */
    public Caller caller(String user, String password, String remoteAddress) {
        if (users.isEmpty()) {
            boolean admin = anonymousAdmin == AnonymousAdmin.YES
                    || (anonymousAdmin == AnonymousAdmin.LOOPBACK && isLoopback(remoteAddress));
            return admin ? ANONYMOUS_ADMIN : ANONYMOUS_CLIENT;
        }
        if (user == null || password == null) {
            throw new LockException(Fault.UNAUTHENTICATED, "authentication required: send a user name and password");
        }
        User u = users.get(user);
        if (u == null || !check(u, password)) {
            log.warn("authentication failed for user '{}' from {}", abbreviate(user), remoteAddress);
            throw new LockException(Fault.UNAUTHENTICATED, "bad user name or password");
        }
        return new Caller(u.name(), u.role(), u.locks(), u.maxPriority());
    }

    /** Whether {@link #caller} would answer without a password hash to compute: no users, or a password seen before. */
    public boolean isVerified(String user, String password) {
        if (users.isEmpty()) {
            return true;
        }
        User u = user == null || password == null ? null : users.get(user);
        return u != null && isKnown(u, PasswordHash.fingerprint(password));
    }

    /**
     * One PBKDF2 per user at a time: when 200 clients of one user connect at once, the
     * first computes the hash and the others find its result, instead of 200 hashes.
     */
    private boolean check(User u, String password) {
        byte[] fingerprint = PasswordHash.fingerprint(password);
        if (isKnown(u, fingerprint)) {
            return true;
        }
        synchronized (u) {
            if (isKnown(u, fingerprint)) {
                return true;
            }
            if (u.hash().matches(password)) {
                verified.put(u.name(), fingerprint);
                return true;
            }
            return false;
        }
    }

    private boolean isKnown(User u, byte[] fingerprint) {
        byte[] known = verified.get(u.name());
        return known != null && MessageDigest.isEqual(known, fingerprint);
    }

    public static void requireAdmin(Caller caller, String method) {
        if (caller.role() != Role.ADMIN) {
            throw new LockException(Fault.NOT_ALLOWED, method + " needs an admin"
                    + (caller.name().equals("anonymous") ? "; anonymous admin calls are allowed only as "
                    + "ANONYMOUS_ADMIN says" : "; user '" + caller.name() + "' is a client"));
        }
    }

    public static void requirePriority(Caller caller, int priority) {
        if (priority > caller.maxPriority()) {
            throw new LockException(Fault.NOT_ALLOWED, "user '" + caller.name() + "' may ask for priority "
                    + caller.maxPriority() + " at most (MAX_PRIORITY in its [user] section), not " + priority);
        }
    }

    public static void requireLock(Caller caller, String lock) {
        if (!caller.mayUse(lock)) {
            throw new LockException(Fault.NOT_ALLOWED, "user '" + caller.name() + "' may not use lock '" + lock + "'");
        }
    }

    private static boolean isLoopback(String address) {
        return address != null && (address.startsWith("127.") || address.equals("::1")
                || address.equals("0:0:0:0:0:0:0:1") || address.equals("[::1]"));
    }

    private static String abbreviate(String s) {
        return lockserver.core.LockRegistry.abbreviate(s);
    }
}
