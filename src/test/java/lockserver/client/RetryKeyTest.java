package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.time.Duration;
import java.util.Map;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.Timeout;

/**
 * The wire contract the clients' retries rest on: {@code lock.query} and {@code lock.acquire}
 * repeated with the same options {@code key} on the same lock, while the first ticket lives,
 * return that ticket, not a new one. Raw calls to a real server.
 */
public class RetryKeyTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Rule
    public Timeout timeout = Timeout.seconds(30);

    private LockServer server;
    private Endpoint wire;

    @Before
    public void start() throws Exception {
        server = TestServers.start(TestServers.issueConfig());
        wire = new Endpoint(server.url().toString(), TIMEOUT, null);
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void queryRepeatedWithTheSameKeyReturnsTheSameTicket() throws Exception {
        String key = "0123456789abcdef0123456789abcdef";
        Object first = wire.execute("lock.query", 0, "DefaultLock", "retried", Map.of("key", key));
        Object again = wire.execute("lock.query", 0, "DefaultLock", "retried", Map.of("key", key));
        assertEquals(first, again);
        assertEquals(1, tickets());

        Object other = wire.execute("lock.query", 0, "DefaultLock", "another", Map.of("key", key.replace('0', 'f')));
        assertNotEquals(first, other);
        assertEquals(2, tickets());
    }

    @Test
    public void acquireRepeatedWithTheSameKeyReturnsTheSameTicket() throws Exception {
        Map<String, Object> options = Map.of("key", "retry-of-one-acquisition");
        Map<?, ?> first = (Map<?, ?>) wire.execute("lock.acquire", 0, "DefaultLock", "retried", 0, options);
        Map<?, ?> again = (Map<?, ?>) wire.execute("lock.acquire", 0, "DefaultLock", "retried", 0, options);
        assertEquals(first.get("ticket"), again.get("ticket"));
        assertEquals("granted", again.get("state"));
        assertEquals(1, tickets());
    }

    @Test
    public void queryWithoutOptionsStillQueuesANewTicketEachTime() throws Exception {
        Object first = wire.execute("lock.query", 0, "DefaultLock", "plain");
        Object again = wire.execute("lock.query", 0, "DefaultLock", "plain");
        assertNotEquals(first, again);
        assertEquals(2, tickets());
    }

    private int tickets() {
        LockInfo status = new LockClient(server.url().toString(), TIMEOUT).status("DefaultLock");
        return status.granted() + status.queued();
    }
}
