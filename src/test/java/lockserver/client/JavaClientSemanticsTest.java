package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import lockserver.core.SlotRequest;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The Java client's side of slots, priorities, watching and revocation, against a real server
 * on an ephemeral port: options reach the server, watch answers changes, and a Lock's
 * heartbeat tells its listener of a revocation and of the loss of its ticket, never of a release.
 */
public class JavaClientSemanticsTest {
    private static final long BOUND_SECONDS = 30; // generous: only a broken client takes this long

    private LockServer server;
    private LockClient client;

    @Before
    public void start() throws Exception {
        server = TestServers.start(TestServers.issueConfig()
                .replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.2\nMAX_WAIT_TIME=0.5")
                + "\n[lock pool]\nSIZE=4\n[lock single]\nSIZE=1\n");
        client = new LockClient(server.url().toString());
    }

    @After
    public void stop() throws Exception {
        server.close();
    }

    @Test
    public void permitsTakeThatManySlots() {
        try (Lock three = client.lock("pool"); Lock two = client.lock("pool")) {
            assertTrue(three.acquire("three", Duration.ofSeconds(5), LockOptions.permits(3)));
            LockInfo status = client.status("pool");
            assertEquals(1, status.granted());
            assertEquals(3, status.used());
            assertEquals(3, three.check().permits());
            assertFalse("only one slot is free", two.acquire("two", Duration.ZERO, LockOptions.permits(2)));
        }
        assertEquals(0, client.status("pool").used());
    }

    @Test
    public void optionsTravelWithTheRetryKeyOfAClientOfSeveralUrls() {
        String url = server.url().toString();
        LockClient several = new LockClient(List.of(url, url));
        String ticket = several.query("pool", "two, high", LockOptions.permits(2).withPriority(4));
        TicketInfo info = several.check(ticket);
        assertEquals(2, info.permits());
        assertEquals(4, info.priority());
        assertTrue(several.release(ticket));
    }

    @Test
    public void permitsAboveTheLocksSizeAreRefusedByTheServer() {
        LockServerException e = assertThrows(LockServerException.class,
                () -> client.query("pool", "five", LockOptions.permits(5)));
        assertEquals(LockServerException.BAD_ARGUMENT, e.faultCode());
        assertTrue(e.getMessage(), e.getMessage().contains("permits"));
    }

    @Test
    public void anExclusiveTicketWaitsForEverySlotAndTakesThemAll() {
        try (Lock reader = client.lock("pool"); Lock writer = client.lock("pool")) {
            assertTrue(reader.acquire("reader", Duration.ofSeconds(5)));
            writer.query("writer", LockOptions.exclusive());
            TicketInfo waiting = writer.check();
            assertEquals("queued", waiting.state());
            assertTrue(waiting.exclusive());
            reader.release();
            assertTrue(writer.await(Duration.ofSeconds(BOUND_SECONDS)));
            LockInfo status = client.status("pool");
            assertEquals(1, status.granted());
            assertEquals(4, status.used());
        }
    }

    @Test
    public void aHigherPriorityIsGrantedBeforeAnOlderTicket() {
        try (Lock holder = client.lock("single"); Lock low = client.lock("single"); Lock high = client.lock("single")) {
            assertTrue(holder.acquire("holder", Duration.ofSeconds(5)));
            low.query("low");
            high.query("high", LockOptions.DEFAULT.withPriority(5));
            assertEquals(1, high.check().position());
            assertEquals(5, high.check().priority());
            assertEquals(2, low.check().position());
            holder.release();
            assertTrue(high.await(Duration.ofSeconds(BOUND_SECONDS)));
            assertEquals(1, low.check().position());
        }
    }

    @Test
    public void badOptionsAreRefusedLocallyNamingTheOption() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LockOptions.permits(0))
                .getMessage().startsWith("permits"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LockOptions.DEFAULT.withPriority(10))
                .getMessage().startsWith("priority"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LockOptions.exclusive().withPriority(-1))
                .getMessage().startsWith("priority"));
        assertEquals("the client's copy of the server's limit", SlotRequest.MAX_PRIORITY, LockOptions.MAX_PRIORITY);
    }

    @Test
    public void onlyOptionsThatDifferFromTheDefaultsGoOnTheWire() {
        assertEquals(Map.of(), LockOptions.DEFAULT.members());
        assertEquals(Map.of("permits", 2), LockOptions.permits(2).members());
        assertEquals(Map.of("exclusive", true, "priority", 3), LockOptions.exclusive().withPriority(3).members());
    }

    @Test
    public void watchAnswersAChange() throws Exception {
        String before = client.status("pool").version();
        CompletableFuture<LockInfo> watched = CompletableFuture.supplyAsync(
                () -> client.watch("pool", before, Duration.ofSeconds(BOUND_SECONDS)));
        try (Lock lock = client.lock("pool")) {
            assertTrue(lock.acquire("change", Duration.ofSeconds(5)));
            LockInfo after = watched.get(BOUND_SECONDS, TimeUnit.SECONDS);
            assertNotEquals(before, after.version());
        }
        assertNotEquals("an empty since answers at once", "",
                client.watch("pool", "", Duration.ofSeconds(BOUND_SECONDS)).version());
    }

    @Test
    public void watchLongerThanTheServersCapAsksAgainAndAnswersTheSameVersionOnTimeout() {
        LockInfo before = client.status("pool");
        long start = System.nanoTime();
        LockInfo after = client.watch("pool", before.version(), Duration.ofMillis(1200)); // MAX_WAIT_TIME is 0.5 s
        assertTrue("answered after the whole timeout", System.nanoTime() - start >= Duration.ofMillis(1200).toNanos());
        assertEquals(before, after);
    }

    @Test
    public void theHeartbeatHearsARevocationWithItsReasonAndTimeLeft() throws Exception {
        Listener listener = new Listener();
        try (Lock lock = client.lock("single")) {
            assertTrue(lock.acquire("holder", Duration.ofSeconds(5)));
            lock.startHeartbeat(Duration.ofMillis(50), listener);
            assertTrue(client.revoke(lock.ticket(), "disk swap", Duration.ofSeconds(60)));
            assertTrue(listener.revoked.await(BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals("disk swap", listener.reason.get());
            Duration left = listener.left.get();
            assertTrue("left " + left, left.compareTo(Duration.ofSeconds(30)) > 0
                    && left.compareTo(Duration.ofSeconds(60)) <= 0);
            assertTrue(lock.check().isRevoked());
            assertTrue("the holder lets go in time", lock.release());
        }
        assertEquals(1, listener.revocations.get());
        assertEquals(1, listener.lost.getCount());
    }

    @Test
    public void aRevocationWithNoTimeLeftEndsTheTicketAndTheHeartbeatHearsItLost() throws Exception {
        Listener listener = new Listener();
        try (Lock lock = client.lock("single")) {
            assertTrue(lock.acquire("holder", Duration.ofSeconds(5)));
            lock.startHeartbeat(Duration.ofMillis(50), listener);
            assertTrue(client.revoke(lock.ticket(), "now", Duration.ZERO));
            assertTrue(listener.lost.await(BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals(lock.ticket(), listener.last.get().ticket());
            assertTrue(lock.check().isGone());
        }
        assertEquals(0, client.status("single").granted());
    }

    @Test
    public void aForceReleaseIsHeardAsLost() throws Exception {
        Listener listener = new Listener();
        try (Lock lock = client.lock("single")) {
            assertTrue(lock.acquire("holder", Duration.ofSeconds(5)));
            lock.startHeartbeat(Duration.ofMillis(50), listener);
            assertTrue(client.forceRelease(lock.ticket()));
            assertTrue(listener.lost.await(BOUND_SECONDS, TimeUnit.SECONDS));
            assertEquals(lock.ticket(), listener.last.get().ticket());
            assertFalse("nothing left to release", lock.release());
        }
    }

    @Test
    public void aReleaseIsNeverHeardAsLost() throws Exception {
        AtomicInteger lost = new AtomicInteger();
        HeartbeatListener counting = new HeartbeatListener() {
            @Override
            public void lost(TicketInfo last) {
                lost.incrementAndGet();
            }
        };
        for (int i = 0; i < 20; i++) {
            try (Lock lock = client.lock("pool")) {
                assertTrue(lock.acquire("round " + i, Duration.ofSeconds(5)));
                lock.startHeartbeat(Duration.ofMillis(1), counting); // a check in flight at nearly every moment
            }
        }
        // a heartbeat that is not stopped hears its loss meanwhile: the released ones had time to
        Listener control = new Listener();
        try (Lock lock = client.lock("pool")) {
            assertTrue(lock.acquire("control", Duration.ofSeconds(5)));
            lock.startHeartbeat(Duration.ofMillis(1), control);
            assertTrue(client.forceRelease(lock.ticket()));
            assertTrue(control.lost.await(BOUND_SECONDS, TimeUnit.SECONDS));
        }
        assertEquals(0, lost.get());
    }

    @Test
    public void aFailedCheckIsHeardAndTheHeartbeatGoesOn() throws Exception {
        LockServer other = TestServers.start(TestServers.issueConfig());
        CountDownLatch failures = new CountDownLatch(2);
        Lock lock = new Lock(other.url().toString(), "DefaultLock");
        assertTrue(lock.acquire("holder", Duration.ofSeconds(5)));
        lock.startHeartbeat(Duration.ofMillis(50), new HeartbeatListener() {
            @Override
            public void failed(LockServerException e) {
                assertEquals(LockServerException.UNREACHABLE, e.faultCode());
                failures.countDown();
            }
        });
        other.close();
        assertTrue(failures.await(BOUND_SECONDS, TimeUnit.SECONDS));
        lock.stopHeartbeat();
    }

    @Test
    public void shutdownStopsAServerThatAllowsIt() throws Exception {
        LockServer other = TestServers.start(TestServers.withGeneral("ALLOW_REMOTE_SHUTDOWN=true"));
        try {
            LockClient c = new LockClient(other.url().toString());
            CountDownLatch stopped = new CountDownLatch(1);
            Thread joiner = new Thread(() -> {
                try {
                    other.join();
                    stopped.countDown();
                } catch (InterruptedException e) {
                    // the test failed already
                }
            });
            joiner.setDaemon(true);
            joiner.start();
            assertTrue(c.shutdown());
            assertTrue(stopped.await(BOUND_SECONDS, TimeUnit.SECONDS));
            LockServerException e = assertThrows(LockServerException.class, c::ping);
            assertEquals(LockServerException.UNREACHABLE, e.faultCode());
        } finally {
            other.close();
        }
    }

    @Test
    public void shutdownIsNotAllowedByDefault() {
        LockServerException e = assertThrows(LockServerException.class, client::shutdown);
        assertEquals(LockServerException.NOT_ALLOWED, e.faultCode());
        assertEquals(6, e.faultCode());
        assertTrue(client.ping());
    }

    @Test
    public void anOlderServersAnswersReadAsTheDefaults() {
        assertEquals(new LockInfo("L", 2, 1, 0, 1, 0, ""),
                LockInfo.of(Map.of("name", "L", "size", 2, "granted", 1, "queued", 0)));
        TicketInfo t = TicketInfo.of(Map.of("ticket", "t", "lock", "L", "state", "granted", "position", 0,
                "token", "7", "info", "i", "held", 1.5, "left", 2.5));
        assertEquals(new TicketInfo("t", "L", "granted", 0, 7, "i", 1.5, 2.5, 1, false, 0, "", 0), t);
        assertFalse(t.isRevoked());
        assertEquals(Duration.ZERO, t.revokeIn());
    }

    /** Records what a heartbeat told. */
    private static final class Listener implements HeartbeatListener {
        final CountDownLatch revoked = new CountDownLatch(1);
        final CountDownLatch lost = new CountDownLatch(1);
        final AtomicInteger revocations = new AtomicInteger();
        final AtomicReference<String> reason = new AtomicReference<>();
        final AtomicReference<Duration> left = new AtomicReference<>();
        final AtomicReference<TicketInfo> last = new AtomicReference<>();

        @Override
        public void revoked(String why, Duration timeLeft) {
            reason.set(why);
            left.set(timeLeft);
            revocations.incrementAndGet();
            revoked.countDown();
        }

        @Override
        public void lost(TicketInfo lastSeen) {
            assertNotNull(lastSeen);
            last.set(lastSeen);
            lost.countDown();
        }
    }
}
