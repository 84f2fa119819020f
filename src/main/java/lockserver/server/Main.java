package lockserver.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;
import lockserver.core.Clock;
import lockserver.server.auth.PasswordHash;
import lockserver.server.config.ConfigException;
import lockserver.server.config.Logging;
import lockserver.server.config.ServerConfig;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@code java -jar lockserver.jar [--config FILE] [--check]}: loads the config, starts the
 * server and stops it cleanly on SIGTERM. Errors are one line on stderr, no stack traces.
 */
public final class Main {
    static final int EX_USAGE = 64;
    static final int EX_CONFIG = 78;
    static final int EX_UNAVAILABLE = 69;
    /** the server stopped because it failed (a cluster node whose Raft server stopped): start it again */
    static final int EX_SOFTWARE = 70;
    private static final String USAGE = "usage: lockserver [--config FILE] [--check] [--version] [--hash-password]";

    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        Path configFile = null;
        boolean checkOnly = false;
        for (int i = 0; i < argv.length; i++) {
            switch (argv[i]) {
                case "--config", "-c" -> {
                    if (i + 1 == argv.length) {
                        return usage("--config needs a file name");
                    }
                    configFile = Path.of(argv[++i]);
                }
                case "--check" -> checkOnly = true;
                case "--hash-password" -> {
                    return hashPassword();
                }
                case "--version" -> {
                    System.out.println("lockserver " + version());
                    return 0;
                }
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    System.out.println("  --config FILE  the INI config (default: built-in settings, as etc/lockserver.conf)");
                    System.out.println("  --check        validate the config and exit");
                    System.out.println("  --hash-password  read a password (terminal or stdin) and print its PASSWORD= value");
                    return 0;
                }
                default -> {
                    return usage("unknown argument '" + argv[i] + "'");
                }
            }
        }
        ServerConfig config;
        try {
            config = configFile == null ? ServerConfig.defaults() : ServerConfig.load(configFile);
        } catch (ConfigException e) {
            System.err.println("lockserver: " + e.getMessage());
            return EX_CONFIG;
        }
        if (checkOnly) {
            config.warnings().forEach(w -> System.err.println("lockserver: warning: " + w));
            System.out.println("lockserver: " + config.source() + ": OK, " + config.locks().size() + " lock(s)");
            return 0;
        }
        System.setProperty("log4j2.shutdownHookEnabled", "false");
        Logging.configure(config.logFile(), config.logLevel());
        Logger log = LogManager.getLogger(Main.class);
        config.warnings().forEach(log::warn);

        LockServer server;
        try {
            server = LockServer.start(config, Clock.SYSTEM);
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            log.error("cannot start on {}:{}: {}", config.host(), config.port(), why);
            log.debug("the cause, for developers", e);
            System.err.println("lockserver: cannot start on " + config.host() + ":" + config.port() + ": " + why);
            LogManager.shutdown();
            return EX_UNAVAILABLE;
        }
        log.info("lockserver {} listening on {}:{} at {}; lifecycle period {} s; locks: {}; config: {}",
                version(), config.host(), server.port(), LockServer.PATH,
                config.lifecyclePeriodNanos() / 1e9, describe(config), config.source());
        markServing(log);
        reloadOnSighup(server, log);
        Thread hook = new Thread(() -> {
            log.info("stopping on signal");
            try {
                server.close();
            } catch (Exception e) {
                log.warn("error while stopping: {}", e.toString());
            }
            LogManager.shutdown();
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            server.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return server.failed() ? EX_SOFTWARE : 0;
    }

    /**
     * Creates the file named by the system property {@code lockserver.servingMarker}, if set:
     * the start script keeps the class archive a run writes at exit only if that run got
     * this far, not one from a run that failed early and loaded a fraction of the classes.
     */
    private static void markServing(Logger log) {
        String marker = System.getProperty("lockserver.servingMarker");
        if (marker != null) {
            try {
                Files.write(Path.of(marker), new byte[0]);
            } catch (IOException | RuntimeException e) {
                log.debug("cannot create {}: {}", marker, e.toString());
            }
        }
    }

    /** SIGHUP re-reads the config file; a bad file is refused and the running config stays. */
    @SuppressWarnings("restriction")
    private static void reloadOnSighup(LockServer server, Logger log) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> {
                log.info("reloading the config on SIGHUP");
                try {
                    server.reload();
                } catch (ConfigException e) {
                    log.error("reload refused, the running config stays: {}", e.getMessage());
                }
            });
        } catch (IllegalArgumentException e) {
            log.warn("SIGHUP cannot be handled here ({}); use admin.reload", e.getMessage());
        }
    }

    /** Prints the PASSWORD value for a [user NAME] section; reads the password from the terminal or stdin. */
    private static int hashPassword() {
        char[] password;
        java.io.Console console = System.console();
        if (console != null) {
            password = console.readPassword("password: ");
            char[] again = console.readPassword("again: ");
            if (password == null || again == null || !java.util.Arrays.equals(password, again)) {
                System.err.println("lockserver: the passwords differ");
                return EX_USAGE;
            }
        } else {
            try {
                String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                        java.nio.charset.StandardCharsets.UTF_8)).readLine();
                password = line == null ? null : line.toCharArray();
            } catch (java.io.IOException e) {
                password = null;
            }
        }
        if (password == null || password.length == 0) {
            System.err.println("lockserver: no password given");
            return EX_USAGE;
        }
        System.out.println(PasswordHash.create(password));
        return 0;
    }

    private static int usage(String problem) {
        System.err.println("lockserver: " + problem);
        System.err.println(USAGE);
        return EX_USAGE;
    }

    /** The locks for the start-up line: the first twenty, then how many more. */
    static String describe(ServerConfig config) {
        StringJoiner j = new StringJoiner(", ");
        int shown = 0;
        for (var e : config.locks().entrySet()) {
            if (shown++ == 20) {
                j.add("and " + (config.locks().size() - 20) + " more");
                break;
            }
            j.add(e.getKey() + " (size " + e.getValue().size() + ")");
        }
        return j.toString();
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
