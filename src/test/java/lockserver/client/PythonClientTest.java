package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Runs the Python client's unittest suite (src/test/python) with a real python3 against a
 * real server started here on an ephemeral loopback port.
 */
public class PythonClientTest {
    private LockServer server;

    @Before
    public void start() throws Exception {
        server = TestServers.start(TestServers.withGeneral("ALLOW_REMOTE_CREATE=true")
                .replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.2"));
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void pythonClientSuitePassesAgainstLiveServer() throws Exception {
        Path log = Path.of("target", "python-tests.log");
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder("python3", "-m", "unittest", "discover", "-s", "src/test/python", "-v")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("LOCKSERVER_URL", server.url().toString());
        pb.environment().put("PYTHONPATH", "src/main/python" + File.pathSeparator
                + pb.environment().getOrDefault("PYTHONPATH", ""));
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        boolean finished = p.waitFor(5, TimeUnit.MINUTES);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        System.out.println(output); // kept in target/surefire-reports
        assertTrue("python suite did not finish in 5 minutes:\n" + output, finished);
        assertEquals("python suite failed:\n" + output, 0, p.exitValue());
        assertTrue("python suite ran no test:\n" + output, output.matches("(?s).*\\nRan [1-9]\\d* tests? in .*"));
    }
}
