package lockserver.server.rpc;

import static lockserver.server.config.Logging.loggable;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import lockserver.wire.Fault;
import lockserver.core.LockDetail;
import lockserver.core.LockException;
import lockserver.core.LockRegistry;
import lockserver.core.LockStatus;
import lockserver.core.TicketState;
import lockserver.core.TicketView;
import lockserver.server.auth.Access;
import lockserver.server.config.ConfigException;
import lockserver.server.config.ServerConfig;

import lockserver.server.web.Metrics;
import lockserver.wire.Fault;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.xmlrpc.XmlRpcHandler;
import org.apache.xmlrpc.metadata.XmlRpcListableHandlerMapping;

/**
 * The XML-RPC methods of docs/API.md, adapting {@link LockRegistry} to the wire: checks
 * argument counts and types, converts results to plain XML-RPC values. Dispatch is a map
 * lookup, no reflection. Thread-safe; every refusal is a {@link LockException}.
 */
public final class LockService implements XmlRpcListableHandlerMapping {
    private static final Logger log = LogManager.getLogger(LockService.class);
    /** Calls that only touch one lock's state: microseconds. The rest (lists, admin, reload) may take longer. */
    private static final Set<String> QUICK = Set.of("lock.query", "lock.acquire", "lock.wait", "lock.release",
            "lock.renew", "lock.check", "lock.status", "lock.watch", "server.ping");

    /** A method's work; may return a {@link CompletableFuture} of the answer for calls that wait. */
    private interface Body {
        Object call(Args args);
    }

    private record Method(String name, String[] argNames, String[][] signature, String help, XmlRpcHandler handler) {
    }

    /** What a caller must be allowed to call a method. */
    private enum Guard {
        /** anyone who may connect */
        ANY,
        /** a caller allowed to use the lock named by the first argument */
        LOCK,
        /** a caller allowed to use the lock of the ticket in the first argument */
        TICKET,
        /** an admin */
        ADMIN
    }

    /** Re-reads the config file, as SIGHUP does; returns the changes applied. */
    public interface Reloader {
        List<String> reload() throws ConfigException;
    }

    /** A cluster node, for the admin methods: its view of the cluster, and a change of members. */
    public interface ClusterView {
        /** admin.cluster's struct. */
        Map<String, Object> describe();

        /** Makes the cluster's members those of {@code peers} (a PEERS list); returns admin.cluster's struct. */
        Map<String, Object> setPeers(String peers);
    }

    private final Locks locks;
    private final Supplier<ServerConfig> config;
    private final Metrics metrics;
    private final Reloader reloader;
    private final Supplier<Access> access;
    private final ClusterView cluster; // null on a single server
    private final Runnable stopper;
    private final Map<String, Method> methods = new LinkedHashMap<>();

    /** {@code stopper} stops the server as SIGTERM does, after the call that asks for it is answered. */
    public LockService(Locks locks, Supplier<ServerConfig> config, Supplier<Access> access,
                       Metrics metrics, Reloader reloader, ClusterView cluster, Runnable stopper) {
        this.locks = locks;
        this.stopper = stopper;
        this.cluster = cluster;
        this.config = config;
        this.access = access;
        this.metrics = metrics;
        this.reloader = reloader;
        add("lock.query", Guard.LOCK, "string lock, string info, struct options -> string ticket",
                "Queues a new ticket on the lock and returns its id; granted at once if its slots are free. "
                        + "options (may be left out): key, a retry key that returns the same live ticket; permits, "
                        + "the slots to take (default 1); exclusive, take every slot; priority, 0 to 9 (higher "
                        + "first, default 0).",
                a -> query(a.string(0, "lock"), a.string(1, "info"), options(a, 2)), "lock", "info", OPTIONS);
        add("lock.acquire", Guard.LOCK, "string lock, string info, double timeout, struct options -> struct",
                "lock.query and lock.wait in one call: returns ticket, state (granted or queued) and token; "
                        + "a ticket still queued after the timeout stays queued (wait again or release it).",
                a -> acquire(a.string(0, "lock"), a.string(1, "info"), a.seconds(2, "timeout"), options(a, 3),
                        a.client()), "lock", "info", "timeout", OPTIONS);
        add("lock.wait", Guard.TICKET, "string ticket, double timeout -> boolean",
                "Blocks until the ticket is granted (true) or the timeout in seconds passes (false); "
                        + "one call blocks at most MAX_WAIT_TIME.",
                a -> await(a.string(0, "ticket"), a.seconds(1, "timeout"), a.client()), "ticket", "timeout");
        add("lock.release", Guard.TICKET, "string ticket -> boolean",
                "Frees the ticket's slot or cancels it while queued; false if the ticket is gone.",
                a -> release(a.string(0, "ticket")), "ticket");
        add("lock.renew", Guard.TICKET, "string ticket -> boolean",
                "Restarts the ticket's idle expiration; false if the ticket is gone.",
                a -> locks.renew(a.string(0, "ticket")), "ticket");
        add("lock.check", Guard.TICKET, "string ticket -> struct",
                "Returns the ticket's state (queued, granted, gone), queue position, fencing token, info, "
                        + "seconds held and seconds left, permits, exclusive, priority, and revoke and revoke_in "
                        + "(an admin's reason to ask the holder to let go, and seconds until it is ended).",
                a -> locks.check(a.string(0, "ticket")).thenApply(LockService::toStruct), "ticket");
        add("lock.status", Guard.LOCK, "string lock -> struct",
                "Returns the lock's name, size, version, its numbers of granted and queued tickets, the slots "
                        + "used by the granted, and the slots delayed by LOCK_DELAY.",
                a -> locks.status(a.string(0, "lock")).thenApply(this::toStruct), "lock");
        add("lock.watch", Guard.LOCK, "string lock, string since, double timeout -> struct",
                "Returns lock.status as soon as the lock's version differs from since (a version from an "
                        + "earlier answer, or \"\" for at once), or after the timeout in seconds (at most "
                        + "MAX_WAIT_TIME).",
                a -> watch(a.string(0, "lock"), a.string(1, "since"), a.seconds(2, "timeout")),
                "lock", "since", "timeout");
        add("lock.list", Guard.ANY, "-> array", "Returns lock.status of every lock, sorted by name.", a -> list());
        add("lock.create", Guard.ADMIN, "string lock, int size -> boolean",
                "Creates a lock with the default times; false if it exists. Needs ALLOW_REMOTE_CREATE=true.",
                a -> create(a.string(0, "lock"), a.integer(1, "size")), "lock", "size");
        add("server.ping", Guard.ANY, "-> boolean", "Returns true.", a -> Boolean.TRUE);
        add("admin.status", Guard.ADMIN, "-> array",
                "Returns every lock with its settings, holders and queue, ticket ids included (for operators).",
                a -> adminStatus());
        add("admin.release", Guard.ADMIN, "string ticket -> boolean",
                "Force-releases a held or queued ticket; false if it is gone.",
                a -> forceRelease(a.string(0, "ticket")), "ticket");
        add("admin.revoke", Guard.ADMIN, "string ticket, string reason, double seconds -> boolean",
                "Asks the holder to let go: lock.check shows the reason and the seconds left; after them the "
                        + "ticket is force-released as by admin.release. False if the ticket is gone.",
                a -> revoke(a.string(0, "ticket"), a.string(1, "reason"), a.seconds(2, "seconds")),
                "ticket", "reason", "seconds");
        add("admin.shutdown", Guard.ADMIN, "-> boolean",
                "Stops the server as SIGTERM does: blocked waits are answered, then it exits. "
                        + "Needs ALLOW_REMOTE_SHUTDOWN=true.", a -> shutdown());
        add("admin.reload", Guard.ADMIN, "-> array",
                "Re-reads the config file as SIGHUP does and returns the changes applied.", a -> reload());
        add("admin.cluster", Guard.ADMIN, "-> struct",
                "Returns this node's view of its cluster: node, role, leader, term, applied, peers.",
                a -> cluster().describe());
        add("admin.peers", Guard.ADMIN, "string peers -> struct",
                "Changes the cluster's members to the PEERS list given (id@host:port, comma-separated): to add "
                        + "a node (started first with the new list) or remove one; returns admin.cluster.",
                a -> cluster().setPeers(a.string(0, "peers")), "peers");
        add("system.listMethods", Guard.ANY, "-> array", "Lists the methods.", a -> getListMethods());
        add("system.methodHelp", Guard.ANY, "string method -> string", "Describes a method.",
                a -> getMethodHelp(a.string(0, "method")), "method");
        add("system.methodSignature", Guard.ANY, "string method -> array", "Returns a method's signatures.",
                a -> getMethodSignature(a.string(0, "method")), "method");
    }

    /** The name of the optional last argument of lock.query and lock.acquire. */
    private static final String OPTIONS = "options";

    private void add(String name, Guard guard, String signature, String help, Body body, String... argNames) {
        boolean optionsLast = argNames.length > 0 && argNames[argNames.length - 1].equals(OPTIONS);
        String[] parts = signature.split("->");
        List<String> types = new ArrayList<>();
        types.add(parts[1].trim());
        for (String arg : parts[0].split(",")) {
            if (!arg.isBlank()) {
                types.add(arg.trim().split(" ")[0]);
            }
        }
        CounterDataPoint calls = metrics.requests(name);
        XmlRpcHandler handler = request -> {
            calls.inc();
            Args args = new Args(name, argNames, optionsLast, request);
            args.authorized(authorize(guard, name, args, args.client()));
            return body.call(args);
        };
        methods.put(name, new Method(name, argNames, new String[][] {types.toArray(new String[0])},
                help + " Signature: " + signature + ".", handler));
    }

    /** Whether a call can run on the thread that read it: a quick method, and no password hash to check. */
    boolean isQuick(String method, CallContext context) {
        return QUICK.contains(method) && access.get().isVerified(context.getBasicUserName(),
                context.getBasicPassword());
    }

    private Access.Caller authorize(Guard guard, String method, Args args, CallContext rc) {
        Access.Caller caller = access.get().caller(rc.getBasicUserName(), rc.getBasicPassword(), rc.remoteAddress());
        switch (guard) {
            case ADMIN -> Access.requireAdmin(caller, method);
            case LOCK -> Access.requireLock(caller, args.string(0, "lock"));
            case TICKET -> {
                if (caller.locks() != null) {
                    TicketView t = locks.peek(args.string(0, "ticket"));
                    if (t.state() != TicketState.GONE) {
                        Access.requireLock(caller, t.lock());
                    }
                }
            }
            default -> {
            }
        }
        return caller;
    }

    /** The options struct at {@code i}, with a priority the caller may ask for. */
    private static QueryOptions options(Args a, int i) {
        QueryOptions options = a.options(i);
        Access.requirePriority(a.caller(), options.request().priority());
        return options;
    }

    private CompletableFuture<String> query(String lock, String info, QueryOptions options) {
        return locks.query(lock, info, options.key(), options.request(), false).thenApply(q -> {
            log.debug("query {} info='{}' -> ticket {}", lock, loggable(info), q.ticket());
            return q.ticket();
        });
    }

    private CompletableFuture<Map<String, Object>> acquire(String lock, String info, long timeoutNanos,
                                                           QueryOptions options, CallContext client) {
        return locks.query(lock, info, options.key(), options.request(), true).thenCompose(q -> {
            log.debug("acquire {} info='{}' -> ticket {}", lock, loggable(info), q.ticket());
            if (q.granted()) {
                return CompletableFuture.completedFuture(acquired(q.ticket(), q.token()));
            }
            return waitAndClaim(q.ticket(), timeoutNanos, client)
                    .thenApply(token -> acquired(q.ticket(), token));
        });
    }

    private static Map<String, Object> acquired(String ticket, long token) {
        Map<String, Object> m = new HashMap<>(4);
        m.put("ticket", ticket);
        m.put("state", token != 0 ? "granted" : "queued");
        m.put("token", token != 0 ? Long.toString(token) : "");
        return m;
    }

    /**
     * Waits for the grant without holding a thread, then claims it only if the client is
     * still connected: a client killed while its wait was blocked must not keep the slot
     * beyond the grace time. The claim is made on the thread that granted the ticket (the
     * semaphore completes waits outside its lock); nothing in it blocks.
     */
    private CompletableFuture<Boolean> await(String ticket, long timeoutNanos, CallContext client) {
        return waitAndClaim(ticket, timeoutNanos, client).thenApply(token -> token != 0);
    }

    /** The fencing token once granted and claimed; 0 if not granted within the timeout, gone, or the client left. */
    private CompletableFuture<Long> waitAndClaim(String ticket, long timeoutNanos, CallContext client) {
        return locks.awaitGrant(ticket, Math.min(timeoutNanos, config.get().maxWaitNanos()))
                .thenCompose(granted -> {
                    if (!granted) {
                        log.trace("wait {} -> false", ticket);
                        return CompletableFuture.completedFuture(0L);
                    }
                    if (!client.clientConnected()) {
                        log.info("ticket {} was granted while its client was gone; the grant stays unclaimed "
                                + "and is withdrawn after the grace time", ticket);
                        return CompletableFuture.completedFuture(0L);
                    }
                    return locks.check(ticket).thenApply(v -> v.state() == TicketState.GRANTED ? v.token() : 0L);
                });
    }

    private CompletableFuture<Boolean> release(String ticket) {
        return locks.release(ticket).thenApply(released -> {
            log.debug("release {} -> {}", ticket, released);
            return released;
        });
    }

    private Object[] list() {
        List<LockStatus> all = locks.list();
        Object[] out = new Object[all.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toStruct(all.get(i));
        }
        return out;
    }

    private CompletableFuture<Map<String, Object>> watch(String lock, String since, long timeoutNanos) {
        long version = -1; // "" or another epoch's: answer at once
        String epoch = locks.epoch() + "-";
        if (!since.isEmpty()) {
            int dash = since.lastIndexOf('-');
            String number = dash < 0 ? "" : since.substring(dash + 1);
            if (dash < 1 || number.isEmpty() || number.length() > 18 || !number.chars().allMatch(Character::isDigit)) {
                throw new LockException(Fault.BAD_ARGUMENT, "lock.watch: since must be \"\" or a version from an "
                        + "earlier answer, got '" + LockRegistry.abbreviate(since) + "'");
            }
            if (since.startsWith(epoch) && dash == epoch.length() - 1) {
                version = Long.parseLong(number);
            }
        }
        return locks.watch(lock, version, Math.min(timeoutNanos, config.get().maxWaitNanos())).thenApply(this::toStruct);
    }

    private CompletableFuture<Boolean> revoke(String ticket, String reason, long afterNanos) {
        TicketView before = locks.peek(ticket);
        return locks.revoke(ticket, reason, afterNanos).thenApply(revoked -> {
            if (revoked) {
                log.info("admin revoked ticket {} of lock {} ({}), {}: '{}'; it is force-released in {} s unless "
                        + "released first", ticket, before.lock(), loggable(before.info()), before.state().wireName(),
                        loggable(reason), afterNanos / 1e9);
            }
            return revoked;
        });
    }

    private Boolean shutdown() {
        if (!config.get().allowRemoteShutdown()) {
            throw new LockException(Fault.NOT_ALLOWED,
                    "remote shutdown is off; set ALLOW_REMOTE_SHUTDOWN=true in [general] to allow it");
        }
        log.info("stopping on admin.shutdown");
        stopper.run();
        return Boolean.TRUE;
    }

    private CompletableFuture<Boolean> create(String lock, int size) {
        ServerConfig c = config.get();
        if (!c.allowRemoteCreate()) {
            throw new LockException(Fault.NOT_ALLOWED,
                    "creating locks remotely is off; set ALLOW_REMOTE_CREATE=true in [general] to allow it");
        }
        if (size < 1 || size > 1_000_000) {
            throw new LockException(Fault.BAD_ARGUMENT, "lock.create: size must be from 1 to 1000000, got " + size);
        }
        return locks.create(lock, c.defaultSettings().withSize(size)).thenApply(created -> {
            if (created) {
                log.info("created lock {} of size {} on request", lock, size);
            }
            return created;
        });
    }

    private Object[] adminStatus() {
        List<LockDetail> all = locks.details();
        Object[] out = new Object[all.size()];
        for (int i = 0; i < out.length; i++) {
            LockDetail d = all.get(i);
            Map<String, Object> m = new HashMap<>();
            m.put("name", d.name());
            m.put("size", d.settings().size());
            m.put("granted", d.holders().size());
            m.put("queued", d.queue().size());
            m.put("used", d.used());
            m.put("delayed", d.delayed());
            m.put("priority_aging", d.settings().agingNanos() / 1e9);
            m.put("lock_delay", d.settings().lockDelayNanos() / 1e9);
            m.put("retired", d.retired());
            m.put("grace_time", d.settings().graceNanos() / 1e9);
            m.put("expiration_time", d.settings().idleNanos() / 1e9);
            m.put("max_lock_time", d.settings().maxHoldNanos() / 1e9);
            Object[] holders = new Object[d.holders().size()];
            for (int h = 0; h < holders.length; h++) {
                LockDetail.Holder t = d.holders().get(h);
                Map<String, Object> hm = ticketStruct(t);
                hm.put("token", Long.toString(t.token()));
                hm.put("held", t.ageNanos() / 1e9);
                hm.put("claimed", t.claimed());
                holders[h] = hm;
            }
            Object[] queue = new Object[d.queue().size()];
            for (int q = 0; q < queue.length; q++) {
                LockDetail.Holder t = d.queue().get(q);
                Map<String, Object> qm = ticketStruct(t);
                qm.put("position", q + 1);
                qm.put("waited", t.ageNanos() / 1e9);
                queue[q] = qm;
            }
            Object[] delays = new Object[d.delays().size()];
            for (int k = 0; k < delays.length; k++) {
                LockDetail.Delay delay = d.delays().get(k);
                delays[k] = Map.of("ticket", delay.ticket(), "slots", delay.slots(), "left", delay.leftNanos() / 1e9);
            }
            m.put("holders", holders);
            m.put("queue", queue);
            m.put("delays", delays);
            out[i] = m;
        }
        return out;
    }

    private static Map<String, Object> ticketStruct(LockDetail.Holder t) {
        Map<String, Object> m = new HashMap<>();
        m.put("ticket", t.ticket());
        m.put("info", t.info());
        m.put("idle", t.idleNanos() / 1e9);
        m.put("left", t.leftNanos() / 1e9);
        m.put("permits", t.slots());
        m.put("priority", (int) Math.min(Integer.MAX_VALUE, t.priority()));
        m.put("revoke", t.revoke());
        m.put("revoke_in", t.revokeInNanos() / 1e9);
        return m;
    }

    private CompletableFuture<Boolean> forceRelease(String ticket) {
        TicketView before = locks.peek(ticket);
        return locks.release(ticket).thenApply(released -> {
            if (released) {
                log.info("admin force-released ticket {} of lock {} ({}), {}", ticket, before.lock(),
                        loggable(before.info()), before.state().wireName());
            }
            return released;
        });
    }

    private ClusterView cluster() {
        if (cluster == null) {
            throw new LockException(Fault.NOT_ALLOWED, "this server is not in a cluster "
                    + "(no [cluster] section in its config)");
        }
        return cluster;
    }

    private Object[] reload() {
        try {
            return reloader.reload().toArray();
        } catch (ConfigException e) {
            throw new LockException(Fault.BAD_CONFIG, e.getMessage() + " (the running config stays)");
        }
    }

    static Map<String, Object> toStruct(TicketView v) {
        Map<String, Object> m = new HashMap<>();
        m.put("ticket", v.id());
        m.put("lock", v.lock());
        m.put("state", v.state().wireName());
        m.put("position", v.position());
        m.put("token", v.token() == 0 ? "" : Long.toString(v.token()));
        m.put("info", v.info());
        m.put("held", v.heldNanos() / 1e9);
        m.put("left", v.leftNanos() / 1e9);
        m.put("permits", v.permits());
        m.put("exclusive", v.exclusive());
        m.put("priority", v.priority());
        m.put("revoke", v.revoke());
        m.put("revoke_in", v.revokeInNanos() / 1e9);
        return m;
    }

    private Map<String, Object> toStruct(LockStatus s) {
        Map<String, Object> m = new HashMap<>();
        m.put("name", s.name());
        m.put("size", s.size());
        m.put("granted", s.granted());
        m.put("queued", s.queued());
        m.put("used", s.used());
        m.put("delayed", s.delayed());
        m.put("version", locks.epoch() + "-" + s.version());
        return m;
    }

    @Override
    public XmlRpcHandler getHandler(String name) {
        Method m = methods.get(name);
        if (m == null) {
            throw new LockException(Fault.UNKNOWN_METHOD, "no method named '" + LockRegistry.abbreviate(name)
                    + "'; system.listMethods lists them");
        }
        return m.handler();
    }

    @Override
    public String[] getListMethods() {
        return methods.keySet().toArray(new String[0]);
    }

    @Override
    public String[][] getMethodSignature(String name) {
        return methodOrFault(name).signature();
    }

    @Override
    public String getMethodHelp(String name) {
        return methodOrFault(name).help();
    }

    private Method methodOrFault(String name) {
        getHandler(name);
        return methods.get(name);
    }
}
