package lockserver.client;

import java.time.Duration;
import java.util.Map;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Runs the Python tests of issue 16's client side (src/test/python/test_revoke_watch.py: ticket
 * options, revocations seen by lockcli and lockrun, lockctl revoke, status --watch and shutdown)
 * against two real servers started here: one that refuses admin.shutdown, and one that allows it
 * (ALLOW_REMOTE_SHUTDOWN=true), which the suite stops. The module skips itself without them, so
 * this test also checks that it really ran.
 */
public class PythonRevokeWatchTest {
    private LockServer server;
    private LockServer stoppable;

    @Before
    public void start() throws Exception {
        server = TestServers.start(TestServers.withGeneral("ALLOW_REMOTE_CREATE=true")
                .replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.2"));
        stoppable = TestServers.start(TestServers.withGeneral("ALLOW_REMOTE_SHUTDOWN=true"));
    }

    @After
    public void stop() throws Exception {
        try {
            server.close();
        } finally {
            if (stoppable != null) {
                stoppable.close(); // already shut down by the suite: closing again must be harmless
            }
        }
    }

    @Test
    public void pythonRevokeWatchTestsPassAgainstTwoServers() throws Exception {
        PythonSuite.assertAllPass("test_revoke_watch.py", Map.of("LOCKSERVER_REVOKE_URL", server.url().toString(),
                "LOCKSERVER_SHUTDOWN_URL", stoppable.url().toString()), Duration.ofMinutes(3));
    }
}
