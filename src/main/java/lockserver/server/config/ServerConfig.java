package lockserver.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import lockserver.server.auth.Access;
import lockserver.server.auth.PasswordHash;
import lockserver.server.journal.Fsync;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import lockserver.core.SlotRequest;
import org.apache.commons.configuration2.INIConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.logging.log4j.Level;

/**
 * The server's settings, read once from an INI file and validated at start: every bad
 * value stops start-up with one line naming the file, section, key and value; unknown
 * keys and sections are kept as {@link #warnings()}. Immutable.
 *
 * <p>{@code [general]} holds the server keys and the {@code DEFAULT_LOCK_*} values; each
 * {@code [lock NAME]} section adds a lock whose {@code SIZE}, {@code GRACE_TIME},
 * {@code EXPIRATION_TIME}, {@code MAX_LOCK_TIME} and {@code MAX_QUEUE} default to those.
 */
public final class ServerConfig {
    public static final String BUILT_IN = "built-in defaults";

    /** The shipped etc/lockserver.conf, also the defaults when no file is given. */
    /** The annotated example file, etc/lockserver.conf, as the jar carries it: the built-in defaults. */
    static final String EXAMPLE = "/lockserver/lockserver.conf";

    private static final String GENERAL = "general";
    private static final String LOCK_SECTION = "lock ";
    private static final String USER_SECTION = "user ";
    private static final String CLUSTER = "cluster";
    private static final Set<String> CLUSTER_KEYS = Set.of("NODE_ID", "PEERS", "TLS_TRUSTSTORE",
            "TLS_TRUSTSTORE_PASSWORD", "LEADER_TIMEOUT", "SNAPSHOT_EVERY");
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Set<String> GENERAL_KEYS = Set.of("SERVER", "PORT", "LOG_FILE", "LOGLEVEL",
            "LIFECYCLE_PERIOD", "MAX_WAIT_TIME", "MAX_THREADS", "ALLOW_REMOTE_CREATE", "DEFAULT_LOCK",
            "DEFAULT_LOCK_SIZE", "DEFAULT_LOCK_GRACE_TIME", "DEFAULT_LOCK_EXPIRATION_TIME",
            "DEFAULT_LOCK_MAX_LOCK_TIME", "DEFAULT_LOCK_MAX_QUEUE", "ANONYMOUS_ADMIN", "MAX_REQUEST_BYTES",
            "MAX_CONNECTIONS", "IDLE_TIMEOUT", "TLS_KEYSTORE", "TLS_KEYSTORE_PASSWORD", "DATA_DIR", "JOURNAL_FSYNC", "REQUEST_TIMEOUT",
            "ALLOW_REMOTE_SHUTDOWN", "DEFAULT_LOCK_PRIORITY_AGING", "DEFAULT_LOCK_LOCK_DELAY");
    private static final Set<String> USER_KEYS = Set.of("PASSWORD", "ROLE", "LOCKS", "MAX_PRIORITY");
    private static final Set<String> LOCK_KEYS = Set.of("SIZE", "GRACE_TIME", "EXPIRATION_TIME", "MAX_LOCK_TIME",
            "MAX_QUEUE", "PRIORITY_AGING", "LOCK_DELAY");
    private static final double MAX_SECONDS = 10 * 365 * 24 * 3600.0;

    private final String source;
    private final Path file;
    private final String host;
    private final int port;
    private final String logFile;
    private final Level logLevel;
    private final long lifecyclePeriodNanos;
    private final long maxWaitNanos;
    private final int maxThreads;
    private final boolean allowRemoteCreate;
    private final boolean allowRemoteShutdown;
    private final String defaultLock;
    private final LockSettings defaultSettings;
    private final Map<String, LockSettings> locks;
    private final ClusterConfig cluster;
    private final Map<String, Access.User> users;
    private final Access.AnonymousAdmin anonymousAdmin;
    private final int maxRequestBytes;
    private final int maxConnections;
    private final long idleTimeoutNanos;
    private final long requestTimeoutNanos;
    private final Path tlsKeystore;
    private final Path dataDir;
    private final Fsync journalFsync;
    private final String tlsKeystorePassword;
    private final List<String> warnings;

    /** Reads and validates {@code file}. */
    public static ServerConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(file + ": cannot read the config file: " + describe(e));
        }
        return parse(file.toString(), file, new StringReader(text));
    }

    /** The settings used when no config file is given: those of the shipped etc/lockserver.conf. */
    public static ServerConfig defaults() {
        try (InputStream in = ServerConfig.class.getResourceAsStream(EXAMPLE)) {
            if (in == null) {
                throw new IllegalStateException(EXAMPLE + " is missing from the jar");
            }
            return parse(BUILT_IN, null, new InputStreamReader(in, StandardCharsets.UTF_8));
        } catch (ConfigException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses INI text; {@code source} names it in messages. */
    public static ServerConfig parse(String source, Reader ini) throws ConfigException {
        return parse(source, null, ini);
    }

    private static ServerConfig parse(String source, Path file, Reader ini) throws ConfigException {
        INIConfiguration conf = new INIConfiguration();
        try {
            conf.read(ini);
        } catch (ConfigurationException | IOException | RuntimeException e) {
            throw new ConfigException(source + ": not a valid INI file: " + describe(e));
        }
        return new ServerConfig(source, file, conf);
    }

    private ServerConfig(String source, Path file, INIConfiguration conf) throws ConfigException {
        this.source = source;
        this.file = file;
        List<String> warn = new ArrayList<>();
        ConfigSection general = null;
        ConfigSection clusterSection = null;
        Map<String, ConfigSection> lockSections = new LinkedHashMap<>();
        Map<String, ConfigSection> userSections = new LinkedHashMap<>();
        // Walk the parsed tree once: asking INIConfiguration for each section by name costs a
        // search of all sections, too slow for configs with thousands of locks.
        ConfigSection global = new ConfigSection(source, "(no section)");
        Map<String, ConfigSection> sections = new LinkedHashMap<>();
        for (ImmutableNode node : conf.getNodeModel().getNodeHandler().getRootNode().getChildren()) {
            if (node.getChildren().isEmpty() && node.getValue() != null) {
                global.put(node.getNodeName(), node.getValue());
            } else {
                ConfigSection section = sections.computeIfAbsent(node.getNodeName(), n -> new ConfigSection(source, n));
                for (ImmutableNode key : node.getChildren()) {
                    section.put(key.getNodeName(), key.getValue());
                }
            }
        }
        for (String key : global.keys()) {
            warn.add(global.where(key) + ": ignored, keys belong in [general] or [lock NAME]");
        }
        for (Map.Entry<String, ConfigSection> entry : sections.entrySet()) {
            String name = entry.getKey();
            if (name.equals(GENERAL)) {
                general = entry.getValue();
            } else if (name.equals(CLUSTER)) {
                clusterSection = entry.getValue();
            } else if (name.startsWith(LOCK_SECTION)) {
                String lock = name.substring(LOCK_SECTION.length()).trim();
                if (!LockRegistry.isLockName(lock)) {
                    throw new ConfigException(source + ": [" + name + "]: invalid lock name '" + lock
                            + "': use 1 to 64 letters, digits, '_', '.', ':' or '-'");
                }
                lockSections.put(lock, entry.getValue());
            } else if (name.startsWith(USER_SECTION)) {
                String user = name.substring(USER_SECTION.length()).trim();
                if (!user.matches("[A-Za-z0-9_.@-]{1,64}")) {
                    throw new ConfigException(source + ": [" + name + "]: invalid user name '" + user
                            + "': use 1 to 64 letters, digits, '_', '.', '@' or '-'");
                }
                userSections.put(user, entry.getValue());
            } else {
                warn.add(source + ": [" + name + "]: unknown section, ignored");
            }
        }
        if (general == null) {
            general = new ConfigSection(source, GENERAL);
        }
        for (String key : general.keys()) {
            if (!GENERAL_KEYS.contains(key)) {
                warn.add(general.where(key) + ": unknown key, ignored");
            }
        }
        host = general.string("SERVER", "127.0.0.1");
        port = general.whole("PORT", 9090, 0, 65535);
        logFile = general.string("LOG_FILE", "lockserver.log");
        logLevel = general.level("LOGLEVEL", "info");
        lifecyclePeriodNanos = general.seconds("LIFECYCLE_PERIOD", 1, 3600);
        maxWaitNanos = general.seconds("MAX_WAIT_TIME", 30, 3600);
        maxThreads = general.whole("MAX_THREADS", 256, 8, 100_000);
        allowRemoteCreate = general.bool("ALLOW_REMOTE_CREATE", false);
        allowRemoteShutdown = general.bool("ALLOW_REMOTE_SHUTDOWN", false);
        defaultLock = general.lockName("DEFAULT_LOCK", "DefaultLock");
        defaultSettings = new LockSettings(
                general.whole("DEFAULT_LOCK_SIZE", 6, 1, 1_000_000),
                general.seconds("DEFAULT_LOCK_GRACE_TIME", 10, MAX_SECONDS),
                general.seconds("DEFAULT_LOCK_EXPIRATION_TIME", 1200, MAX_SECONDS),
                general.seconds("DEFAULT_LOCK_MAX_LOCK_TIME", 1200, MAX_SECONDS),
                general.whole("DEFAULT_LOCK_MAX_QUEUE", 10_000, 1, 10_000_000),
                general.secondsOrZero("DEFAULT_LOCK_PRIORITY_AGING", LockSettings.DEFAULT_AGING_NANOS / 1e9, MAX_SECONDS),
                general.secondsOrZero("DEFAULT_LOCK_LOCK_DELAY", 0, MAX_SECONDS));

        Map<String, LockSettings> all = new LinkedHashMap<>();
        all.put(defaultLock, defaultSettings);
        for (Map.Entry<String, ConfigSection> e : lockSections.entrySet()) {
            ConfigSection s = e.getValue();
            for (String key : s.keys()) {
                if (!LOCK_KEYS.contains(key)) {
                    throw new ConfigException(s.where(key) + ": unknown lock key; expected one of "
                            + String.join(", ", new TreeSet<>(LOCK_KEYS)));
                }
            }
            LockSettings d = defaultSettings;
            all.put(e.getKey(), new LockSettings(
                    s.whole("SIZE", d.size(), 1, 1_000_000),
                    s.seconds("GRACE_TIME", d.graceNanos() / 1e9, MAX_SECONDS),
                    s.seconds("EXPIRATION_TIME", d.idleNanos() / 1e9, MAX_SECONDS),
                    s.seconds("MAX_LOCK_TIME", d.maxHoldNanos() / 1e9, MAX_SECONDS),
                    s.whole("MAX_QUEUE", d.maxQueue(), 1, 10_000_000),
                    s.secondsOrZero("PRIORITY_AGING", d.agingNanos() / 1e9, MAX_SECONDS),
                    s.secondsOrZero("LOCK_DELAY", d.lockDelayNanos() / 1e9, MAX_SECONDS)));
        }
        locks = Collections.unmodifiableMap(all);

        anonymousAdmin = general.choice("ANONYMOUS_ADMIN", Access.AnonymousAdmin.LOOPBACK);
        maxRequestBytes = general.whole("MAX_REQUEST_BYTES", 65_536, 1024, 100_000_000);
        maxConnections = general.whole("MAX_CONNECTIONS", 10_000, 1, 1_000_000);
        idleTimeoutNanos = general.seconds("IDLE_TIMEOUT", maxWaitNanos / 1e9 + 30, 3600);
        if (idleTimeoutNanos <= maxWaitNanos) {
            throw general.bad("IDLE_TIMEOUT", "must be longer than MAX_WAIT_TIME (" + maxWaitNanos / 1e9
                    + " s), or blocked waits would lose their connections");
        }
        requestTimeoutNanos = general.seconds("REQUEST_TIMEOUT", 10, 3600);
        String data = general.string("DATA_DIR", null);
        dataDir = data == null ? null : Path.of(data);
        journalFsync = general.choice("JOURNAL_FSYNC", Fsync.ALWAYS);
        String keystore = general.string("TLS_KEYSTORE", null);
        tlsKeystore = keystore == null ? null : Path.of(keystore);
        tlsKeystorePassword = general.string("TLS_KEYSTORE_PASSWORD", "");
        Map<String, Access.User> u = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigSection> e : userSections.entrySet()) {
            ConfigSection s = e.getValue();
            for (String key : s.keys()) {
                if (!USER_KEYS.contains(key)) {
                    throw new ConfigException(s.where(key)
                            + ": unknown user key; expected one of LOCKS, MAX_PRIORITY, PASSWORD, ROLE");
                }
            }
            String stored = s.string("PASSWORD", null);
            if (stored == null) {
                throw new ConfigException(source + ": [user " + e.getKey() + "]: PASSWORD is missing; "
                        + "make one with lockserver --hash-password");
            }
            PasswordHash hash;
            try {
                hash = PasswordHash.parse(stored);
            } catch (IllegalArgumentException bad) {
                throw s.bad("PASSWORD", bad.getMessage());
            }
            Access.Role role = s.choice("ROLE", Access.Role.CLIENT);
            String lockList = s.string("LOCKS", "*").trim();
            Set<String> allowed = null;
            if (!lockList.equals("*")) {
                allowed = new LinkedHashSet<>();
                for (String l : lockList.split("[,\\s]+")) {
                    if (!LockRegistry.isLockName(l)) {
                        throw s.bad("LOCKS", "invalid lock name '" + l + "'; list lock names separated by commas, or *");
                    }
                    allowed.add(l);
                }
                allowed = Set.copyOf(allowed);
            }
            int maxPriority = s.whole("MAX_PRIORITY", role == Access.Role.ADMIN ? SlotRequest.MAX_PRIORITY : 0, 0,
                    SlotRequest.MAX_PRIORITY);
            u.put(e.getKey(), new Access.User(e.getKey(), hash, role, allowed, maxPriority));
        }
        users = Collections.unmodifiableMap(u);
        cluster = clusterSection == null ? null : cluster(clusterSection, warn);
        warnings = List.copyOf(warn);
    }

    private ClusterConfig cluster(ConfigSection s, List<String> warn) throws ConfigException {
        for (String key : s.keys()) {
            if (!CLUSTER_KEYS.contains(key)) {
                warn.add(s.where(key) + ": unknown key, ignored");
            }
        }
        String nodeId = s.string("NODE_ID", null);
        if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
            throw new ConfigException(source + ": [cluster] NODE_ID" + (nodeId == null ? " is missing" : "=" + nodeId
                    + " is invalid") + ": name this node with 1 to 64 letters, digits, '_', '.' or '-'");
        }
        String list = s.string("PEERS", null);
        if (list == null) {
            throw new ConfigException(source + ": [cluster] PEERS is missing: list every node as id@host:port, "
                    + "separated by commas (the same list on every node)");
        }
        Map<String, String> peers;
        try {
            peers = ClusterConfig.parsePeers(list);
        } catch (IllegalArgumentException e) {
            throw s.bad("PEERS", e.getMessage());
        }
        if (!peers.containsKey(nodeId)) {
            throw s.bad("PEERS", "does not list this node's NODE_ID " + nodeId);
        }
        if (dataDir == null) {
            throw new ConfigException(source + ": [cluster] needs DATA_DIR in [general]: a node keeps its Raft log "
                    + "and snapshots there");
        }
        String trust = s.string("TLS_TRUSTSTORE", null);
        if (tlsKeystore != null && trust == null) {
            throw new ConfigException(source + ": [cluster] TLS_TRUSTSTORE is missing: with TLS_KEYSTORE the Raft "
                    + "port takes mutual TLS, and needs a trust store of the peers' certificates");
        }
        if (tlsKeystore == null && trust != null) {
            warn.add(s.where("TLS_TRUSTSTORE") + ": ignored without TLS_KEYSTORE in [general]");
            trust = null;
        }
        return new ClusterConfig(nodeId, peers, trust == null ? null : Path.of(trust),
                s.string("TLS_TRUSTSTORE_PASSWORD", ""), s.seconds("LEADER_TIMEOUT", 5, 3600),
                s.whole("SNAPSHOT_EVERY", 100_000, 10, 100_000_000));
    }

    public String source() { return source; }
    /** The file this was read from, or null (built-in defaults, or text parsed in a test). */
    public Path file() { return file; }
    public String host() { return host; }
    public int port() { return port; }
    /** The log file path, or "-" for standard output. */
    public String logFile() { return logFile; }
    public Level logLevel() { return logLevel; }
    public long lifecyclePeriodNanos() { return lifecyclePeriodNanos; }
    /** The longest one {@code lock.wait} call may block. */
    public long maxWaitNanos() { return maxWaitNanos; }
    public int maxThreads() { return maxThreads; }
    public boolean allowRemoteCreate() { return allowRemoteCreate; }
    public boolean allowRemoteShutdown() { return allowRemoteShutdown; }
    public String defaultLock() { return defaultLock; }
    /** The settings of the default lock, also used for locks created over the wire. */
    public LockSettings defaultSettings() { return defaultSettings; }
    /** Every lock to create at start-up, the default lock first. */
    public Map<String, LockSettings> locks() { return locks; }
    public List<String> warnings() { return warnings; }
    public Map<String, Access.User> users() { return users; }
    public Access.AnonymousAdmin anonymousAdmin() { return anonymousAdmin; }
    /** The largest request body accepted; larger ones get HTTP 413. */
    public int maxRequestBytes() { return maxRequestBytes; }
    public int maxConnections() { return maxConnections; }
    /** How long a connection may sit without traffic. */
    public long idleTimeoutNanos() { return idleTimeoutNanos; }
    /** How long a client may take to send a whole request once it has started. */
    public long requestTimeoutNanos() { return requestTimeoutNanos; }
    /** The PKCS12 keystore for HTTPS, or null for plain HTTP. */
    public Path tlsKeystore() { return tlsKeystore; }
    public String tlsKeystorePassword() { return tlsKeystorePassword; }
    /** Where the journal keeps state across restarts, or null to keep it in memory only. */
    public Path dataDir() { return dataDir; }
    public Fsync journalFsync() { return journalFsync; }
    /** The {@code [cluster]} section, or null for a single server. */
    public ClusterConfig cluster() { return cluster; }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replaceAll("\\s+", " ");
    }
}
