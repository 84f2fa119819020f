package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.StringReader;
import java.net.URL;
import java.util.Map;
import lockserver.core.Clock;
import lockserver.server.config.ServerConfig;
import lockserver.wire.Fault;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The options struct of lock.query and lock.acquire over real HTTP: the retry key, and refusals. */
public class QueryOptionsTest {
    private LockServer server;
    private XmlRpcClient rpc;

    @Before
    public void start() throws Exception {
        server = LockServer.start(ServerConfig.parse("test", new StringReader(
                "[general]\nPORT=0\nLOG_FILE=-\n[lock L]\nSIZE=1\n")), Clock.SYSTEM);
        XmlRpcClientConfigImpl c = new XmlRpcClientConfigImpl();
        c.setServerURL(new URL(server.url().toString()));
        rpc = new XmlRpcClient();
        rpc.setConfig(c);
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void aRepeatedQueryWithTheSameKeyReturnsTheSameTicket() throws Exception {
        Object first = rpc.execute("lock.query", new Object[] {"L", "a", Map.of("key", "retry-1")});
        Object again = rpc.execute("lock.query", new Object[] {"L", "a", Map.of("key", "retry-1")});
        assertEquals(first, again);
        Object other = rpc.execute("lock.query", new Object[] {"L", "a"});
        assertNotEquals(first, other);
        Map<?, ?> status = (Map<?, ?>) rpc.execute("lock.status", new Object[] {"L"});
        assertEquals(1, status.get("granted"));
        assertEquals(1, status.get("queued"));
    }

    @Test
    public void anAcquireRetriedWithItsKeyGetsTheSameGrant() throws Exception {
        Map<?, ?> first = (Map<?, ?>) rpc.execute("lock.acquire", new Object[] {"L", "a", 1, Map.of("key", "k")});
        Map<?, ?> again = (Map<?, ?>) rpc.execute("lock.acquire", new Object[] {"L", "a", 1, Map.of("key", "k")});
        assertEquals("granted", first.get("state"));
        assertEquals(first, again);
    }

    @Test
    public void badOptionsAreFault3NamingTheOption() throws Exception {
        expectBadArgument(new Object[] {"L", "a", Map.of("kee", "x")}, "kee");
        expectBadArgument(new Object[] {"L", "a", Map.of("key", 7)}, "options.key");
        expectBadArgument(new Object[] {"L", "a", Map.of("key", "x".repeat(129))}, "options.key");
        expectBadArgument(new Object[] {"L", "a", "not a struct"}, "options");
        expectBadArgument(new Object[] {"L", "a", Map.of(), "extra"}, "2 or 3 arguments");
        assertTrue(rpc.execute("lock.query", new Object[] {"L", "a", Map.of()}) instanceof String);
    }

    private void expectBadArgument(Object[] args, String named) {
        try {
            rpc.execute("lock.query", args);
            fail("accepted " + java.util.Arrays.toString(args));
        } catch (XmlRpcException e) {
            assertEquals(Fault.BAD_ARGUMENT.code, e.code);
            assertTrue(e.getMessage(), e.getMessage().contains(named));
        }
    }
}
