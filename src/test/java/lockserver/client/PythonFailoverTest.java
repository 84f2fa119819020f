package lockserver.client;

import java.time.Duration;
import java.util.Map;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Runs the Python failover tests (src/test/python/test_failover.py: lockcli, lockrun and
 * lockctl given several URLs) against two real servers started here. The module skips
 * itself without them, so this test also checks that it really ran.
 */
public class PythonFailoverTest {
    private LockServer a;
    private LockServer b;

    @Before
    public void start() throws Exception {
        String ini = TestServers.withGeneral("ALLOW_REMOTE_CREATE=true")
                .replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.2");
        a = TestServers.start(ini);
        b = TestServers.start(ini);
    }

    @After
    public void stop() throws Exception {
        a.close();
        b.close();
    }

    @Test
    public void pythonFailoverTestsPassAgainstTwoServers() throws Exception {
        PythonSuite.assertAllPass("test_failover.py", Map.of("LOCKSERVER_FAILOVER_A", a.url().toString(),
                "LOCKSERVER_FAILOVER_B", b.url().toString()), Duration.ofMinutes(3));
    }
}
