package lockserver.server.config;

/** A config file that cannot be used; the message is one line naming the file, key and value. */
public final class ConfigException extends Exception {
    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
