package lockserver.client;

import java.time.Duration;
import java.util.Map;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Runs the tests of the bash completion of lockctl and lockrun (src/test/python/test_completion.py:
 * a real bash completes with src/main/bash-completion/lockctl; the options agree with argparse's)
 * with a real server started here for the lock names. The module skips its lock-name tests without
 * it, so this test also checks that they really ran.
 */
public class PythonCompletionTest {
    private LockServer server;

    @Before
    public void start() throws Exception {
        server = TestServers.start(TestServers.issueConfig());
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void completionOffersWhatArgparseKnowsAndTheServersLocks() throws Exception {
        PythonSuite.assertAllPass("test_completion.py", Map.of("LOCKSERVER_URL", server.url().toString()),
                Duration.ofMinutes(1));
    }
}
