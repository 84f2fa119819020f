package lockserver.server.config;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.AppenderComponentBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/** Points Log4j at LOG_FILE ("-" for standard output) at LOGLEVEL; the libraries log at INFO at most. */
public final class Logging {
    private static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%t] %c{1} - %msg%n";

    private Logging() {
    }

    public static void configure(String logFile, Level level) {
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setStatusLevel(Level.ERROR);
        b.setConfigurationName("lockserver");
        b.setShutdownHook("disable"); // Main shuts logging down after the server's last words
        AppenderComponentBuilder out;
        if (logFile.equals("-")) {
            out = b.newAppender("out", "Console").addAttribute("target", "SYSTEM_OUT");
        } else {
            out = b.newAppender("out", "File").addAttribute("fileName", logFile).addAttribute("append", true);
        }
        out.add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN));
        b.add(out);
        Level libraries = level.isMoreSpecificThan(Level.INFO) ? level : Level.INFO;
        b.add(b.newRootLogger(libraries).add(b.newAppenderRef("out")));
        b.add(b.newLogger("lockserver", level).addAttribute("additivity", true));
        b.add(b.newLogger("org.eclipse.jetty", Level.WARN)); // its INFO lines repeat our start-up line
        // Ratis writes a dozen INFO lines per election and per setting; ClusterNode logs what operators need
        b.add(b.newLogger("org.apache.ratis", Level.WARN));
        Configurator.reconfigure(b.build());
    }

    /** Changes our own loggers' level, as a reload does. */
    public static void setLevel(Level level) {
        Configurator.setLevel("lockserver", level);
    }

    /** Client text made safe for a log line: control characters escaped, so nobody can forge lines. */
    public static String loggable(String text) {
        StringBuilder b = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                if (b == null) {
                    b = new StringBuilder(text.length() + 16).append(text, 0, i);
                }
                b.append(String.format("\\u%04x", (int) c));
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? text : b.toString();
    }
}
