package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Loads the status page in a real headless Chromium while a test holds a slot. CI
 * installs Debian's chromium (.ci/run); elsewhere the test is skipped when there is none.
 */
public class StatusPageBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private LockServer server;

    @Before
    public void start() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM);
        if (!present && System.getenv("CI") != null) {
            throw new AssertionError("CI must have " + CHROMIUM + " (installed by .ci/run)");
        }
        assumeTrue("no " + CHROMIUM + " here", present);
        server = TestServers.start(TestServers.issueConfig());
    }

    @After
    public void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    public void browserShowsTheHolderOfASlot() throws Exception {
        try (Lock lock = new Lock(new LockClient(server.url().toString()), "DefaultLock")) {
            assertTrue(lock.acquire("nightly backup from node7", Duration.ofSeconds(5)));
            Path out = tmp.getRoot().toPath().resolve("dom.html");
            Process chromium = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--user-data-dir=" + tmp.newFolder("profile"),
                    "--dump-dom", server.url().resolve("/").toString()))
                    .redirectOutput(out.toFile()).redirectError(tmp.getRoot().toPath().resolve("err.txt").toFile())
                    .start();
            assertTrue("chromium finished", chromium.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, chromium.exitValue());
            String dom = Files.readString(out);
            assertTrue(dom, dom.contains("<title>lockserver status</title>"));
            assertTrue(dom, dom.contains("nightly backup from node7"));
            assertTrue(dom, dom.contains("1 of 6 slots in use"));
        }
    }
}
