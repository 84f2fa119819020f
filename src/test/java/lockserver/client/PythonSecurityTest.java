package lockserver.client;

import lockserver.server.auth.PasswordHash;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import lockserver.server.LockServer;
import lockserver.server.TestCertificate;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Runs the Python client's security tests (src/test/python/test_security.py: HTTP Basic
 * auth and TLS, library and lockrun) with a real python3 against one real server started
 * here with TLS (a self-signed keytool certificate, exported as the CA file) and two users:
 * {@code alice}, a client limited to DefaultLock, and {@code bob}, an admin. The module
 * skips itself without LOCKSERVER_SECURE_URL, so this test also checks that it really ran.
 */
public class PythonSecurityTest {
    static final String ALICE_PASSWORD = "alice-pw";
    static final String BOB_PASSWORD = "bob pw:with@odd/chars,%";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private SecureServer secure;

    /** A TLS server with alice and bob, and the environment test_security.py reads to reach it. */
    record SecureServer(LockServer server, Map<String, String> env) {
        /** Starts one with its keystore and CA file in {@code dir}. */
        static SecureServer start(Path dir) throws Exception {
            TestCertificate cert = TestCertificate.selfSigned(dir, "lockserver python test");
            Path ca = cert.ca();
            String ini = TestServers.withGeneral(cert.serverSettings(), "ALLOW_REMOTE_CREATE=true")
                    + "\n[lock san02]\nSIZE=2\n"
                    + "\n[user alice]\nPASSWORD=" + passwordHash(ALICE_PASSWORD)
                    + "\nROLE=client\nLOCKS=DefaultLock\n"
                    + "\n[user bob]\nPASSWORD=" + passwordHash(BOB_PASSWORD) + "\nROLE=admin\n";
            LockServer server = TestServers.start(ini);
            assertTrue(server.url().toString(), server.url().toString().startsWith("https://127.0.0.1:"));
            Map<String, String> env = new HashMap<>();
            env.put("LOCKSERVER_SECURE_URL", server.url().toString()); // https://127.0.0.1:PORT/RPC2, no credentials
            env.put("LOCKSERVER_CAFILE", ca.toAbsolutePath().toString()); // the server's certificate, PEM
            env.put("LOCKSERVER_TEST_CLIENT", "alice");
            env.put("LOCKSERVER_TEST_CLIENT_PASSWORD", ALICE_PASSWORD);
            env.put("LOCKSERVER_TEST_CLIENT_LOCK", "DefaultLock");
            env.put("LOCKSERVER_TEST_OTHER_LOCK", "san02");
            env.put("LOCKSERVER_TEST_ADMIN", "bob");
            env.put("LOCKSERVER_TEST_ADMIN_PASSWORD", BOB_PASSWORD);
            return new SecureServer(server, Map.copyOf(env));
        }
    }

    @Before
    public void start() throws Exception {
        secure = SecureServer.start(tmp.newFolder("tls").toPath());
    }

    @After
    public void stop() throws Exception {
        if (secure != null) {
            secure.server().close();
        }
    }

    @Test
    public void pythonSecurityTestsPassAgainstTlsServerWithUsers() throws Exception {
        PythonSuite.assertAllPass("test_security.py", secure.env(), Duration.ofMinutes(2));
    }

    /** A [user] PASSWORD value. */
    private static String passwordHash(String password) {
        return PasswordHash.create(password.toCharArray());
    }
}
