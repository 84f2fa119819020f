package lockserver.server;

import lockserver.server.config.ServerConfig;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.client.TicketInfo;
import lockserver.core.Clock;
import lockserver.core.LockRegistry;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The journal: restarts, also after kill -9, bring back every holder and queued ticket. */
public class DurabilityTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private final List<AutoCloseable> open = new ArrayList<>();

    @After
    public void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private String config(Path data, String fsync) {
        return TestServers.onLoopback(TestServers.issueConfig()).replace("DEFAULT_LOCK_SIZE=6", "DEFAULT_LOCK_SIZE=2")
                .replace("[general]\n", "[general]\nDATA_DIR=" + data + "\nJOURNAL_FSYNC=" + fsync
                        + "\nALLOW_REMOTE_CREATE=true\n");
    }

    private LockServer start(Path data, String fsync) throws Exception {
        return LockServer.start(ServerConfig.parse("test", new StringReader(config(data, fsync))), Clock.SYSTEM);
    }

    @Test
    public void restartBringsBackHoldersQueueTokensAndRemoteLocks() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        LockServer first = start(data, "always");
        LockClient c = new LockClient(first.url().toString());
        Lock a = new Lock(c, "DefaultLock");
        Lock b = new Lock(c, "DefaultLock");
        assertTrue(a.acquire("holder a", Duration.ofSeconds(5)));
        assertTrue(b.acquire("holder b", Duration.ofSeconds(5)));
        String q1 = c.query("DefaultLock", "queued 1");
        String q2 = c.query("DefaultLock", "queued 2");
        String released = c.query("DefaultLock", "released");
        assertTrue(c.release(released));
        assertTrue(c.create("made-remotely", 3));
        String r = c.query("made-remotely", "remote holder");
        long tokenA = a.token();
        long tokenB = b.token();
        first.close();

        LockServer second = start(data, "always");
        open.add(second);
        LockClient c2 = new LockClient(second.url().toString());
        assertEquals(new LockInfo("DefaultLock", 2, 2, 2, 2, 0, ""), TestServers.unversioned(c2.status("DefaultLock")));
        TicketInfo ia = c2.check(a.ticket());
        assertEquals("granted", ia.state());
        assertEquals(tokenA, ia.token());
        assertEquals("holder a", ia.info());
        assertTrue("held time survives", ia.heldSeconds() >= 0);
        assertEquals(tokenB, c2.check(b.ticket()).token());
        assertEquals(1, c2.check(q1).position());
        assertEquals(2, c2.check(q2).position());
        assertTrue(c2.check(released).isGone());
        assertEquals(new LockInfo("made-remotely", 3, 1, 0, 1, 0, ""), TestServers.unversioned(c2.status("made-remotely")));
        assertEquals("granted", c2.check(r).state());

        assertTrue(c2.release(a.ticket()));
        TicketInfo next = c2.check(q1);
        assertEquals("granted", next.state());
        assertTrue("tokens keep growing across the restart", next.token() > Math.max(tokenA, tokenB));
    }

    @Test(timeout = 30_000)
    public void whatALifecycleTickEndsAndHandsOnSurvivesARestart() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        lockserver.core.FakeClock clock = new lockserver.core.FakeClock();
        LockServer first = LockServer.start(ServerConfig.parse("test", new StringReader(
                config(data, "always").replaceFirst("(?m)^LIFECYCLE_PERIOD=.*$", "LIFECYCLE_PERIOD=0.01"))), clock);
        LockRegistry reg = first.registry();
        String silent = reg.query("DefaultLock", "never looks");   // size 2: both granted
        String claims = reg.query("DefaultLock", "claims");
        assertTrue(reg.await(claims, 0));
        String next = reg.query("DefaultLock", "queued");
        clock.advanceSeconds(11); // past the grace time (10 s), long before the idle time
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reg.peek(silent).state() != lockserver.core.TicketState.GONE && System.nanoTime() < giveUp) {
            Thread.onSpinWait(); // the lifecycle thread ends the grant on its next tick
        }
        first.close();

        LockServer second = LockServer.start(ServerConfig.parse("test", new StringReader(config(data, "always"))),
                clock);
        open.add(second);
        assertEquals(lockserver.core.TicketState.GONE, second.registry().peek(silent).state());
        assertEquals("granted", second.registry().peek(next).state().wireName());
        assertEquals("granted", second.registry().peek(claims).state().wireName());
    }

    /**
     * A slot the lifecycle freed stays closed for LOCK_DELAY across a restart (for what was
     * left of it), a query retried after the restart with the key of one before it gets the
     * same ticket instead of queuing a second, and a revocation keeps its deadline.
     */
    @Test(timeout = 30_000)
    public void lockDelayRetryKeysAndRevocationsSurviveARestart() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        lockserver.core.FakeClock clock = new lockserver.core.FakeClock();
        String ini = config(data, "always").replaceFirst("(?m)^LIFECYCLE_PERIOD=.*$", "LIFECYCLE_PERIOD=0.01")
                .replace("[general]\n", "[general]\nDEFAULT_LOCK_LOCK_DELAY=30\n");
        LockServer first = LockServer.start(ServerConfig.parse("test", new StringReader(ini)), clock);
        LockRegistry reg = first.registry();
        String silent = reg.query("DefaultLock", "never looks"); // size 2: both granted
        String keyed = reg.query("DefaultLock", "keyed", "retry-7");
        assertTrue(reg.await(keyed, 0));
        String waiting = reg.query("DefaultLock", "waits");
        clock.advanceSeconds(11); // past silent's grace time (10 s): ended, its slot cools for 30 s
        awaitState(reg, silent, lockserver.core.TicketState.GONE);
        assertEquals(1, reg.status("DefaultLock").delayed());
        assertTrue(reg.revoke(keyed, "maintenance", TimeUnit.SECONDS.toNanos(60)));
        first.close();

        LockServer second = LockServer.start(ServerConfig.parse("test", new StringReader(ini)), clock);
        open.add(second);
        LockRegistry again = second.registry();
        assertEquals(1, again.status("DefaultLock").delayed());
        assertEquals("queued", again.peek(waiting).state().wireName());
        assertEquals(keyed, again.query("DefaultLock", "keyed, retried", "retry-7"));
        assertEquals(2, again.ticketCount());
        assertEquals("maintenance", again.peek(keyed).revoke());
        long revokeIn = again.peek(keyed).revokeInNanos();
        assertTrue(revokeIn + " ns", revokeIn > TimeUnit.SECONDS.toNanos(50) && revokeIn <= TimeUnit.SECONDS.toNanos(60));
        clock.advanceSeconds(31);
        awaitState(again, waiting, lockserver.core.TicketState.GRANTED);
        assertEquals(0, again.status("DefaultLock").delayed());
        clock.advanceSeconds(30); // past the revocation's deadline: the server ends the holder
        awaitState(again, keyed, lockserver.core.TicketState.GONE);
    }

    /** Polls (the lifecycle thread ticks every 10 ms) until {@code ticket} is in {@code state}. */
    private static void awaitState(LockRegistry reg, String ticket, lockserver.core.TicketState state) {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reg.peek(ticket).state() != state) {
            assertTrue(ticket + " is " + reg.peek(ticket).state() + ", not " + state, System.nanoTime() < giveUp);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    @Test
    public void unclaimedGrantStaysUnclaimedAndClaimedStaysClaimed() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        LockServer first = start(data, "never");
        LockRegistry reg = first.registry();
        String claimed = reg.query("DefaultLock", "claims");
        assertTrue(reg.await(claimed, 0));
        String unclaimed = reg.query("DefaultLock", "never looks");
        first.close();
        LockServer second = start(data, "never");
        open.add(second);
        List<lockserver.core.LockDetail.Holder> holders = second.registry().details().get(0).holders();
        assertEquals(2, holders.size());
        assertTrue(holders.stream().filter(h -> h.ticket().equals(claimed)).findFirst().orElseThrow().claimed());
        assertFalse(holders.stream().filter(h -> h.ticket().equals(unclaimed)).findFirst().orElseThrow().claimed());
    }

    @Test
    public void tornLastRecordIsDroppedWithAWarningNotAFailure() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        LockServer first = start(data, "always");
        String t = first.registry().query("DefaultLock", "survives");
        first.close();
        Path journal = data.resolve("journal.0");
        long size = Files.size(journal);
        Files.write(journal, new byte[] {0, 0, 0, 40, 1, 2, 3}, StandardOpenOption.APPEND); // half a record
        LockServer second = start(data, "always");
        open.add(second);
        assertEquals("granted", second.registry().peek(t).state().wireName());
        assertEquals("the torn tail is cut off", size, Files.size(journal));
        String u = second.registry().query("DefaultLock", "after the tear");
        assertEquals("granted", second.registry().peek(u).state().wireName());
    }

    @Test
    public void snapshotCompactsTheJournalAndRestoresTheSame() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        LockServer first = start(data, "never");
        LockRegistry reg = first.registry();
        String holder = reg.query("DefaultLock", "long holder");
        reg.await(holder, 0);
        for (int i = 0; i < 40_000; i++) { // 3 records a cycle: well past one snapshot
            String t = reg.query("DefaultLock", "cycle");
            reg.release(t);
        }
        String queuedA = reg.query("DefaultLock", "x");
        String queuedB = reg.query("DefaultLock", "y");
        long token = reg.peek(queuedA).token();
        first.close();
        assertTrue(Files.exists(data.resolve("snapshot")));
        assertFalse("the old journal is gone", Files.exists(data.resolve("journal.0")));
        LockServer second = start(data, "never");
        open.add(second);
        assertEquals("granted", second.registry().peek(holder).state().wireName());
        assertEquals(token, second.registry().peek(queuedA).token());
        assertEquals("queued", second.registry().peek(queuedB).state().wireName());
        assertEquals(3, second.registry().ticketCount());
    }

    @Test
    public void secondServerOnTheSameDataDirIsRefused() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        open.add(start(data, "always"));
        try {
            start(data, "always");
            fail();
        } catch (java.io.IOException e) {
            assertEquals("DATA_DIR " + data + ": in use by another lockserver", e.getMessage());
        }
    }

    @Test
    public void killNineUnderLoadLosesNoTicketAndNeverGrantsMoreThanSize() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        Path log = tmp.getRoot().toPath().resolve("server.log");
        Path conf = TestServers.write(tmp.getRoot().toPath(), "lockserver.conf", config(data, "always")
                .replace("LOG_FILE=/var/log/lockserver.log", "LOG_FILE=" + log));
        Process server = launch(conf);
        try {
            int port = awaitPort(log, 0);
            LockClient c = new LockClient("http://127.0.0.1:" + port + "/RPC2");
            List<String> answered = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                String t = c.query("DefaultLock", "client " + i);
                answered.add(t);
                if (i % 3 == 0) {
                    c.check(t); // some claim
                }
                if (i % 5 == 4) {
                    assertTrue(c.release(answered.remove(0)));
                }
            }
            List<TicketInfo> before = new ArrayList<>();
            for (String t : answered) {
                before.add(c.check(t));
            }
            server.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // kill -9
            int lines = Files.readAllLines(log).size();
            server = launch(conf);
            LockClient c2 = new LockClient("http://127.0.0.1:" + awaitPort(log, lines) + "/RPC2");
            LockInfo status = c2.status("DefaultLock");
            assertEquals(2, status.granted());
            assertEquals(answered.size() - 2, status.queued());
            for (TicketInfo t : before) {
                TicketInfo after = c2.check(t.ticket());
                assertEquals(t.ticket(), t.state(), after.state());
                assertEquals(t.ticket(), t.position(), after.position());
                assertEquals(t.ticket(), t.token(), after.token());
            }
        } finally {
            server.destroyForcibly();
        }
    }

    private Process launch(Path conf) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "--config", conf.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** The port of the start-up line that comes after the first {@code skipLines} lines of the log. */
    private static int awaitPort(Path log, int skipLines) throws Exception {
        Pattern listening = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) at /RPC2");
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < giveUp) {
            if (Files.exists(log)) {
                List<String> all = Files.readAllLines(log);
                for (String line : all.subList(Math.min(skipLines, all.size()), all.size())) {
                    Matcher m = listening.matcher(line);
                    if (m.find()) {
                        return Integer.parseInt(m.group(1));
                    }
                }
            }
            Thread.sleep(50); // polling a file another process writes
        }
        throw new AssertionError("no start-up line in " + log);
    }
}
