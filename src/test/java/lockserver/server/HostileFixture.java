package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.TicketInfo;
import lockserver.server.auth.PasswordHash;
import org.junit.rules.ExternalResource;
import org.junit.rules.TemporaryFolder;

/**
 * The live server a hostile-input test attacks, run as the package runs it with users: journal
 * on (fsync always), Basic auth on every call, lock "single" of size 1 with a holder that claimed
 * its grant and one ticket queued behind it. A class rule (made once per test class);
 * {@link #assertIntact} says that a case disturbed none of it.
 */
final class HostileFixture extends ExternalResource {
    static final int MAX_WAIT_SECONDS = 1;
    static final int IDLE_TIMEOUT_SECONDS = 2;

    private final String moreLocks;
    private final TemporaryFolder data = new TemporaryFolder();
    private final String password = "hostile-" + Long.toHexString(new Random().nextLong());
    LockServer server;
    LockClient client;
    String holder;
    long holderToken;
    String queued;

    /** {@code moreLocks}: INI sections of further locks, beside "single". */
    HostileFixture(String moreLocks) {
        this.moreLocks = moreLocks;
    }

    @Override
    protected void before() throws Throwable {
        data.create();
        server = TestServers.start(TestServers.withGeneral("MAX_WAIT_TIME=" + MAX_WAIT_SECONDS,
                "IDLE_TIMEOUT=" + IDLE_TIMEOUT_SECONDS, "DATA_DIR=" + data.getRoot(), "JOURNAL_FSYNC=always")
                + "\n[lock single]\nSIZE=1\n" + moreLocks + "\n[user operator]\nROLE=admin\nPASSWORD="
                + PasswordHash.create(password.toCharArray()) + "\n");
        client = new LockClient(server.url().toString().replace("://", "://operator:" + password + "@"));
        holder = client.query("single", "holder");
        TicketInfo h = client.check(holder); // claims the grant
        assertTrue(h.isGranted());
        holderToken = h.token();
        queued = client.query("single", "queued");
        assertEquals(1, client.check(queued).position());
    }

    @Override
    protected void after() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (Exception e) {
            throw new AssertionError("closing the server", e);
        } finally {
            data.delete();
        }
    }

    int port() {
        return server.port();
    }

    /** The header line (without its line end) that authenticates as the fixture's admin user. */
    String authorization() {
        return "Authorization: Basic " + Base64.getEncoder().encodeToString(
                ("operator:" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** {@code text} with @HOLDER@ and @QUEUED@ replaced by the fixture's tickets. */
    String fill(String text) {
        return text.replace("@HOLDER@", holder).replace("@QUEUED@", queued);
    }

    /** The holder still holds with its token, the queued ticket is still first, the server answers. */
    void assertIntact(String after) {
        TicketInfo h = client.check(holder);
        assertEquals("after '" + after + "': holder state", "granted", h.state());
        assertEquals("after '" + after + "': holder token", holderToken, h.token());
        TicketInfo q = client.check(queued);
        assertEquals("after '" + after + "': queued ticket state", "queued", q.state());
        assertEquals("after '" + after + "': queued ticket position", 1, q.position());
        assertEquals("after '" + after + "'", new LockInfo("single", 1, 1, 1, 1, 0, ""),
                TestServers.unversioned(client.status("single")));
        assertTrue("after '" + after + "': server.ping", client.ping());
    }
}
