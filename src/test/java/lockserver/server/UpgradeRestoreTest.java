package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.TicketInfo;
import org.apache.xmlrpc.client.XmlRpcClient;
import org.apache.xmlrpc.client.XmlRpcClientConfigImpl;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Upgrades keep the state: a DATA_DIR written by release 0.1.0 (a snapshot and a journal
 * written after it, the server killed with SIGKILL) brings back, under today's code, every
 * holder, queued ticket, remotely created lock and fencing-token counter. The fixture and
 * what it must restore are in src/test/resources/journal-0.1.0 (see its README.md).
 */
public class UpgradeRestoreTest {
    static final String FIXTURE = "/journal-0.1.0/";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    final Expected expected = Expected.read();
    private AutoCloseable server;
    private LockClient client;
    private XmlRpcClient admin;

    @Before
    public void startOnACopyOfTheFixture() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        try (Stream<Path> files = Files.list(resource("data"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, data.resolve(f.getFileName().toString()));
            }
        }
        String ini = Files.readString(resource("lockserver.conf"), StandardCharsets.UTF_8)
                .replace("[general]\n", "[general]\nDATA_DIR=" + data + "\n");
        var started = TestServers.start(ini);
        server = started;
        String url = started.url().toString();
        client = new LockClient(url);
        XmlRpcClientConfigImpl c = new XmlRpcClientConfigImpl();
        c.setServerURL(new URL(url));
        admin = new XmlRpcClient();
        admin.setConfig(c);
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void everyHolderComesBackWithItsTokenClaimAndInfoInGrantOrder() throws Exception {
        assertEquals(expected.lines("holder"), actualLines("holder"));
    }

    @Test
    public void everyQueuedTicketComesBackInFifoOrderWithItsInfo() throws Exception {
        assertEquals(expected.lines("queued"), actualLines("queued"));
    }

    @Test
    public void everyLockComesBackWithItsSizeTheRemotelyCreatedOneIncluded() {
        for (Expected.LockLine lock : expected.locks.values()) {
            LockInfo status = client.status(lock.name);
            assertEquals(lock.name, lock.size, status.size());
        }
        assertEquals(new LockInfo("made-remotely", 3, 2, 0, 2, 0, ""), TestServers.unversioned(client.status("made-remotely")));
    }

    @Test
    public void releasedTicketsStayGone() {
        for (String ticket : expected.gone) {
            assertTrue(ticket, client.check(ticket).isGone());
        }
    }

    @Test
    public void theNextGrantOnEveryLockGetsATokenAboveTheRecordedOnes() throws Exception {
        Map<String, List<String>> holders = ticketsByLock(expected.lines("holder"));
        Map<String, List<String>> queued = ticketsByLock(expected.lines("queued"));
        for (Expected.LockLine lock : expected.locks.values()) {
            List<String> held = holders.getOrDefault(lock.name, List.of());
            List<String> waiting = queued.getOrDefault(lock.name, List.of());
            if (held.size() == lock.size) {
                assertTrue(client.release(held.get(0))); // frees a slot for the head of the queue
            }
            String next = waiting.isEmpty() ? client.query(lock.name, "after the upgrade") : waiting.get(0);
            TicketInfo granted = client.check(next);
            assertTrue(lock.name + ": " + granted, granted.isGranted());
            assertTrue(lock.name + ": token " + granted.token() + " after " + lock.lastToken,
                    granted.token() > lock.lastToken);
        }
    }

    /** admin.status as lines of expected.txt of one kind. (lock.check would claim a grant: it is not used here.) */
    private List<String> actualLines(String kind) throws Exception {
        return actualLines(admin, expected, kind);
    }

    /** {@link #actualLines(String)} of the server {@code admin} calls. */
    static List<String> actualLines(XmlRpcClient admin, Expected expected, String kind) throws Exception {
        List<String> lines = new ArrayList<>();
        for (Object o : (Object[]) admin.execute("admin.status", new Object[0])) {
            Map<?, ?> lock = (Map<?, ?>) o;
            if (!expected.locks.containsKey((String) lock.get("name"))) {
                continue;
            }
            for (Object h : (Object[]) lock.get(kind.equals("holder") ? "holders" : "queue")) {
                Map<?, ?> t = (Map<?, ?>) h;
                lines.add(kind.equals("holder")
                        ? "holder " + lock.get("name") + " " + t.get("ticket") + " token=" + t.get("token")
                                + " claimed=" + t.get("claimed") + " info=" + t.get("info")
                        : "queued " + lock.get("name") + " " + t.get("ticket") + " position=" + t.get("position")
                                + " info=" + t.get("info"));
            }
        }
        return lines;
    }

    /** "holder LOCK TICKET ..." or "queued LOCK TICKET ..." lines: the tickets of each lock, in order. */
    private static Map<String, List<String>> ticketsByLock(List<String> lines) {
        return lines.stream().map(l -> l.split(" ", 4)).collect(Collectors.groupingBy(w -> w[1], LinkedHashMap::new,
                Collectors.mapping(w -> w[2], Collectors.toList())));
    }

    static Path resource(String name) {
        try {
            return Paths.get(UpgradeRestoreTest.class.getResource(FIXTURE + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** expected.txt: what make-fixture.py saw the 0.1.0 server hold when it killed it. */
    static final class Expected {
        record LockLine(String name, int size, long lastToken) {
        }

        final Map<String, LockLine> locks = new LinkedHashMap<>();
        final List<String> gone = new ArrayList<>();
        private final List<String> all;

        private Expected(List<String> all) {
            this.all = all;
            for (String line : all) {
                String[] w = line.split(" ");
                if (w[0].equals("lock")) {
                    locks.put(w[1], new LockLine(w[1], Integer.parseInt(value(w[2], "size")),
                            Long.parseLong(value(w[3], "last_token"))));
                } else if (w[0].equals("gone")) {
                    gone.add(w[1]);
                }
            }
        }

        static Expected read() {
            try (InputStream in = UpgradeRestoreTest.class.getResourceAsStream(FIXTURE + "expected.txt")) {
                String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return new Expected(Arrays.stream(text.split("\n"))
                        .filter(l -> !l.isBlank() && !l.startsWith("#")).toList());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        List<String> lines(String kind) {
            return all.stream().filter(l -> l.startsWith(kind + " ")).toList();
        }

        private static String value(String word, String key) {
            if (!word.startsWith(key + "=")) {
                throw new IllegalStateException("expected.txt: " + key + "= expected, found " + word);
            }
            return word.substring(key.length() + 1);
        }
    }
}
