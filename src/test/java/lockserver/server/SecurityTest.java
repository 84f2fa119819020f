package lockserver.server;

import lockserver.server.auth.PasswordHash;
import lockserver.server.config.ConfigException;
import lockserver.server.config.ServerConfig;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockOptions;
import lockserver.client.LockServerException;
import lockserver.core.Clock;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Authentication, authorisation and TLS over real HTTP(S). */
public class SecurityTest {
    @ClassRule
    public static TemporaryFolder tmp = new TemporaryFolder();

    private static LockServer server;
    private static String base; // "127.0.0.1:PORT/RPC2"

    @BeforeClass
    public static void start() throws Exception {
        String ini = TestServers.onLoopback(TestServers.issueConfig()) + "\n[lock san02]\nSIZE=2\n"
                + "\n[user alice]\nPASSWORD=" + PasswordHash.create("alice-pw".toCharArray()) + "\nLOCKS=DefaultLock\n"
                + "\n[user bob]\nPASSWORD=" + PasswordHash.create("bob pw:with@odd/chars".toCharArray())
                + "\nROLE=admin\n"
                + "\n[user carol]\nPASSWORD=" + PasswordHash.create("carol-pw".toCharArray()) + "\nMAX_PRIORITY=3\n";
        server = LockServer.start(ServerConfig.parse("test", new StringReader(ini)), Clock.SYSTEM);
        base = "127.0.0.1:" + server.port() + "/RPC2";
    }

    @AfterClass
    public static void stop() throws Exception {
        server.close();
    }

    private static LockClient as(String userInfo) {
        return new LockClient("http://" + (userInfo == null ? "" : userInfo + "@") + base);
    }

    private static void assertFault(int code, Runnable call) {
        try {
            call.run();
            fail("expected fault " + code);
        } catch (LockServerException e) {
            assertEquals(e.getMessage(), code, e.faultCode());
        }
    }

    @Test
    public void callsWithoutOrWithWrongCredentialsAreRefused() {
        assertFault(10, () -> as(null).query("DefaultLock", "x"));
        assertFault(10, () -> as(null).ping());
        assertFault(10, () -> as("alice:wrong").query("DefaultLock", "x"));
        assertFault(10, () -> as("mallory:alice-pw").query("DefaultLock", "x"));
        assertEquals(0, server.registry().ticketCount());
    }

    @Test
    public void clientMayUseOnlyItsLocksAndNoAdminMethods() {
        LockClient alice = as("alice:alice-pw");
        try (Lock lock = new Lock(alice, "DefaultLock")) {
            assertTrue(lock.acquire("alice", Duration.ofSeconds(5)));
        }
        assertFault(6, () -> alice.query("san02", "x"));
        assertFault(6, () -> alice.status("san02"));
        assertFault(6, () -> alice.create("new", 1));
        String bobs = as("bob:bob%20pw%3Awith%40odd%2Fchars").query("san02", "bob");
        assertFault(6, () -> alice.release(bobs));
        assertFault(6, () -> alice.check(bobs));
        assertEquals("granted", server.registry().peek(bobs).state().wireName());
        assertTrue(as("bob:bob%20pw%3Awith%40odd%2Fchars").release(bobs));
    }

    @Test
    public void priorityIsLimitedByTheUsersMaxPriority() {
        LockClient alice = as("alice:alice-pw"); // a client: MAX_PRIORITY 0 by default
        assertFault(6, () -> alice.query("DefaultLock", "x", LockOptions.DEFAULT.withPriority(1)));
        LockClient carol = as("carol:carol-pw");
        assertFault(6, () -> carol.query("DefaultLock", "x", LockOptions.DEFAULT.withPriority(4)));
        String t = carol.query("DefaultLock", "x", LockOptions.DEFAULT.withPriority(3));
        assertEquals(3, server.registry().peek(t).priority());
        assertTrue(carol.release(t));
        LockClient bob = as("bob:bob%20pw%3Awith%40odd%2Fchars"); // an admin: 9 by default
        String b = bob.query("DefaultLock", "x", LockOptions.DEFAULT.withPriority(9));
        assertTrue(bob.release(b));
        assertEquals(0, server.registry().ticketCount());
    }

    @Test
    public void adminMayDoEverything() {
        LockClient bob = as("bob:bob%20pw%3Awith%40odd%2Fchars");
        try (Lock lock = new Lock(bob, "san02")) {
            assertTrue(lock.acquire("bob", Duration.ofSeconds(5)));
            assertTrue(bob.ping());
        }
        assertEquals(List.of("DefaultLock", "san02"), bob.list().stream().map(l -> l.name()).toList());
    }

    @Test
    public void anonymousAdminFollowsTheConfig() throws Exception {
        for (String setting : List.of("", "ANONYMOUS_ADMIN=no", "ANONYMOUS_ADMIN=yes")) {
            try (LockServer open = TestServers.start(TestServers.withGeneral(setting))) {
                LockClient client = new LockClient(open.url().toString());
                try (Lock lock = new Lock(client, "DefaultLock")) {
                    assertTrue(setting, lock.acquire("anyone may be a client", Duration.ofSeconds(5)));
                    if (setting.endsWith("no")) {
                        assertFault(6, () -> client.forceRelease(lock.ticket()));
                    } else { // the default allows loopback callers, and the test calls from loopback
                        assertTrue(setting, client.forceRelease(lock.ticket()));
                    }
                }
            }
        }
    }

    @Test
    public void hashPasswordCommandPrintsAVerifiableHash() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "--hash-password").start();
        p.getOutputStream().write("s3cret\n".getBytes());
        p.getOutputStream().close();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.exitValue());
        assertTrue(out, out.startsWith("pbkdf2-sha256$"));
        assertTrue(PasswordHash.parse(out).matches("s3cret"));
        assertFalse(PasswordHash.parse(out).matches("s3cret "));
    }

    @Test
    public void badPasswordHashStopsStartUpNamingTheKey() {
        try {
            ServerConfig.parse("test.conf", new StringReader("[user carol]\nPASSWORD=letmein\n"));
            fail();
        } catch (ConfigException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith("test.conf: [user carol] PASSWORD=letmein: not a "
                    + "password hash"));
        }
    }

    @Test
    public void tlsServerIsReachedOnlyByClientsTrustingItsCertificate() throws Exception {
        TestCertificate cert = TestCertificate.selfSigned(tmp.newFolder("tls").toPath(), "lockserver test");
        Path ca = cert.ca();
        try (LockServer tls = TestServers.start(TestServers.withGeneral(cert.serverSettings()))) {
            assertTrue(tls.url().toString(), tls.url().toString().startsWith("https://127.0.0.1:"));
            LockClient trusting = new LockClient(tls.url().toString(), Duration.ofSeconds(5), LockClient.trusting(ca));
            try (Lock lock = new Lock(trusting, "DefaultLock")) {
                assertTrue(lock.acquire("over TLS", Duration.ofSeconds(5)));
            }
            try {
                new LockClient(tls.url().toString(), Duration.ofSeconds(5)).ping();
                fail("a client that does not trust the certificate must not connect");
            } catch (LockServerException e) {
                assertEquals(LockServerException.UNREACHABLE, e.faultCode());
            }
            try {
                new LockClient(tls.url().toString().replace("https:", "http:"), Duration.ofSeconds(5)).ping();
                fail("plain HTTP to a TLS port");
            } catch (LockServerException e) {
                assertEquals(LockServerException.UNREACHABLE, e.faultCode());
            }
        }
    }
}
