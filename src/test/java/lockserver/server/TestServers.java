package lockserver.server;

import lockserver.server.config.ServerConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import lockserver.client.LockInfo;
import lockserver.core.Clock;

/** Starts real servers on an ephemeral loopback port for tests. */
public final class TestServers {
    private TestServers() {
    }

    /** The config file given in the core issue, byte for byte. */
    public static String issueConfig() {
        try (InputStream in = TestServers.class.getResourceAsStream("/issue-config.conf")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ini} with SERVER and PORT pointed at an ephemeral loopback port. */
    public static String onLoopback(String ini) {
        return ini.replaceFirst("(?m)^SERVER=.*$", "SERVER=127.0.0.1").replaceFirst("(?m)^PORT=.*$", "PORT=0");
    }

    public static LockServer start(String ini) throws Exception {
        return LockServer.start(ServerConfig.parse("test", new StringReader(onLoopback(ini))), Clock.SYSTEM);
    }

    /** A config of one lock with the given [general] lines after the issue's. */
    public static String withGeneral(String... lines) {
        return issueConfig().replace("[general]\n", "[general]\n" + String.join("\n", lines) + "\n");
    }

    /** {@code status} with version "": the rest compares with a LockInfo a test writes down. */
    public static LockInfo unversioned(LockInfo status) {
        return new LockInfo(status.name(), status.size(), status.granted(), status.queued(), status.used(),
                status.delayed(), "");
    }

    public static Path write(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }
}
