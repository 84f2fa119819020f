package lockserver.server.config;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import lockserver.core.LockRegistry;
import org.apache.logging.log4j.Level;

/**
 * One section of the config file, its raw values, with the parsers that validate a value
 * once and name the file, section, key and value in every error
 * ({@code FILE: [section] KEY=value: why}). Read by {@link ServerConfig} while it loads.
 */
final class ConfigSection {
    private static final Map<String, Level> LEVELS = Map.of("superdebug", Level.TRACE, "trace", Level.TRACE,
            "debug", Level.DEBUG, "info", Level.INFO, "warning", Level.WARN, "warn", Level.WARN,
            "error", Level.ERROR);
    private static final Pattern DECIMAL = Pattern.compile("[0-9]+(\\.[0-9]*)?|\\.[0-9]+");
    private static final Pattern WHOLE = Pattern.compile("[0-9]{1,9}");

    private final String source;
    private final String name;
    private final Map<String, String> values = new LinkedHashMap<>();

    ConfigSection(String source, String name) {
        this.source = source;
        this.name = name;
    }

    void put(String key, Object value) {
        values.put(key.toUpperCase(Locale.ROOT), value == null ? "" : value.toString().trim());
    }

    Set<String> keys() {
        return values.keySet();
    }

    String where(String key) {
        return source + ": [" + name + "] " + key + "=" + values.get(key);
    }

    <E extends Enum<E>> E choice(String key, E dflt) throws ConfigException {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        for (E e : dflt.getDeclaringClass().getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        StringBuilder names = new StringBuilder();
        for (E e : dflt.getDeclaringClass().getEnumConstants()) {
            names.append(names.length() == 0 ? "" : ", ").append(e.name().toLowerCase(Locale.ROOT));
        }
        throw bad(key, "must be one of " + names);
    }

    ConfigException bad(String key, String why) {
        return new ConfigException(where(key) + ": " + why);
    }

    String string(String key, String dflt) throws ConfigException {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        if (v.isEmpty()) {
            throw bad(key, "must not be empty");
        }
        return v;
    }

    int whole(String key, int dflt, int min, int max) throws ConfigException {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        int n = WHOLE.matcher(v).matches() ? Integer.parseInt(v) : -1;
        if (n < min || n > max) {
            throw bad(key, "must be a whole number from " + min + " to " + max);
        }
        return n;
    }

    long seconds(String key, double dflt, double max) throws ConfigException {
        String v = values.get(key);
        double s = dflt;
        if (v != null) {
            s = DECIMAL.matcher(v).matches() ? Double.parseDouble(v) : -1;
            if (!(s > 0 && s <= max)) {
                throw bad(key, "must be a number of seconds greater than 0 and at most " + (long) max);
            }
        }
        return Math.max(1, (long) (s * TimeUnit.SECONDS.toNanos(1)));
    }

    /** Like {@link #seconds}, where 0 turns the thing off. */
    long secondsOrZero(String key, double dflt, double max) throws ConfigException {
        String v = values.get(key);
        if (v != null && DECIMAL.matcher(v).matches() && Double.parseDouble(v) == 0) {
            return 0;
        }
        if (v == null && dflt == 0) {
            return 0;
        }
        try {
            return seconds(key, dflt, max);
        } catch (ConfigException e) {
            throw bad(key, "must be a number of seconds from 0 (off) to " + (long) max);
        }
    }

    boolean bool(String key, boolean dflt) throws ConfigException {
        String v = values.get(key);
        if (v == null) {
            return dflt;
        }
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1": return true;
            case "false": case "no": case "off": case "0": return false;
            default: throw bad(key, "must be true or false");
        }
    }

    Level level(String key, String dflt) throws ConfigException {
        String v = values.getOrDefault(key, dflt);
        Level level = LEVELS.get(v.toLowerCase(Locale.ROOT));
        if (level == null) {
            throw bad(key, "must be one of superdebug, debug, info, warning, error");
        }
        return level;
    }

    String lockName(String key, String dflt) throws ConfigException {
        String v = string(key, dflt);
        if (!LockRegistry.isLockName(v)) {
            throw bad(key, "invalid lock name: use 1 to 64 letters, digits, '_', '.', ':' or '-'");
        }
        return v;
    }
}
