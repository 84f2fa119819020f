package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lockserver.client.LockClient;
import lockserver.client.LockInfo;
import lockserver.core.TicketState;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Clients that die (SIGKILL, real python3 processes) while holding or while queued, and a
 * lifecycle tick that throws. Every wait is a poll against a deadline.
 *
 * <p>Observation never touches a victim's ticket: the test reads its state with
 * {@code registry().peek()} or {@code lock.status}, which are no sign of life.
 */
public class FaultToleranceTest {
    /** Expires after 1.5 s without a sign of life; an unclaimed grant is withdrawn after 0.5 s. */
    private static final String HELD = "held";
    /** Expires only after 30 s idle, so only the grace time can explain a quick hand-on. */
    private static final String GRACED = "graced";

    private LockServer server;
    private LockClient client;
    private final List<Process> victims = new ArrayList<>();

    @Before
    public void start() throws Exception {
        server = TestServers.start(TestServers.issueConfig().replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.1")
                + "\n[lock " + HELD + "]\nSIZE=1\nEXPIRATION_TIME=1.5\nGRACE_TIME=0.5\n"
                + "\n[lock " + GRACED + "]\nSIZE=1\nEXPIRATION_TIME=30\nGRACE_TIME=0.5\n");
        client = new LockClient(server.url().toString(), Duration.ofSeconds(10));
    }

    @After
    public void stop() throws Exception {
        for (Process p : victims) {
            p.destroyForcibly();
        }
        server.close();
    }

    // ------------------------------------------------------------------ victims

    private static final String HOLD_AND_RENEW = String.join("\n",
            "import os, sys, time, xmlrpc.client",
            "rpc = xmlrpc.client.ServerProxy(sys.argv[1])",
            "t = rpc.lock.query(sys.argv[2], 'victim %d' % os.getpid())",
            "while not rpc.lock.wait(t, 5):",
            "    pass",
            "print(t, flush=True)",
            "while True:",
            "    rpc.lock.renew(t)",
            "    time.sleep(0.2)");

    private static final String QUEUE_AND_RENEW = String.join("\n",
            "import os, sys, time, xmlrpc.client",
            "rpc = xmlrpc.client.ServerProxy(sys.argv[1])",
            "t = rpc.lock.query(sys.argv[2], 'victim %d' % os.getpid())",
            "print(t, flush=True)",
            "while True:",
            "    rpc.lock.renew(t)",
            "    time.sleep(0.1)");

    private static final String QUEUE_AND_BLOCK = String.join("\n",
            "import os, sys, time, xmlrpc.client",
            "rpc = xmlrpc.client.ServerProxy(sys.argv[1])",
            "t = rpc.lock.query(sys.argv[2], 'victim %d' % os.getpid())",
            "print(t, flush=True)",
            "while not rpc.lock.wait(t, 30):",
            "    pass",
            "time.sleep(3600)");

    /** Starts a python3 victim and returns the ticket it prints. */
    private String victim(Process[] out, String script, String lock) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", script, server.url().toString(), lock)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        victims.add(p);
        out[0] = p;
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return r.readLine();
            } catch (IOException e) {
                return null;
            }
        }).get(20, TimeUnit.SECONDS);
        assertTrue("the victim printed its ticket: " + line, line != null && line.matches("[0-9a-f]{32}"));
        return line;
    }

    private static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL on Unix
        assertTrue("the victim died", p.waitFor(10, TimeUnit.SECONDS));
        assertEquals("killed by SIGKILL", 128 + 9, p.exitValue());
    }

    private TicketState peek(String ticket) {
        return server.registry().peek(ticket).state();
    }

    private static void awaitTrue(String what, double seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail(what + " (not within " + seconds + " s)");
            }
            Thread.sleep(20);
        }
    }

    /** Waits (blocked lock.wait calls, which keep the ticket alive) until granted or the deadline. */
    private double awaitGrant(String ticket, double seconds) {
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        while (System.nanoTime() - deadline < 0) {
            if (client.await(ticket, Duration.ofMillis(300))) {
                return (System.nanoTime() - start) / 1e9;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ tests

    @Test(timeout = 60_000)
    public void holderKilledWithSigkillFreesTheSlotAfterTheExpirationTime() throws Exception {
        Process[] p = new Process[1];
        String victim = victim(p, HOLD_AND_RENEW, HELD);
        assertEquals(TicketState.GRANTED, peek(victim));
        String waiter = client.query(HELD, "next in line");

        // alive, the victim keeps its slot well beyond EXPIRATION_TIME by renewing
        long aliveUntil = System.nanoTime() + 2_500_000_000L;
        while (System.nanoTime() < aliveUntil) {
            assertFalse("the waiter was granted while the victim was alive and renewing",
                    client.await(waiter, Duration.ofMillis(300)));
            assertEquals(TicketState.GRANTED, peek(victim));
        }

        kill9(p[0]);
        long killed = System.nanoTime();
        double after = awaitGrant(waiter, 6);
        double sinceKill = (System.nanoTime() - killed) / 1e9;
        assertTrue("the slot of the killed holder came back within 6 s", after >= 0);
        assertEquals(TicketState.GONE, peek(victim));
        // freed by the expiration (1.5 s after its last renew, renewing every 0.2 s), not at once
        assertTrue("freed after " + sinceKill + " s: too early for the expiration", sinceKill >= 1.0);
        assertEquals(new LockInfo(HELD, 1, 1, 0, 1, 0, ""), TestServers.unversioned(client.status(HELD)));
        assertTrue(client.release(waiter));
    }

    @Test(timeout = 60_000)
    public void queuedClientKilledBeforeItsGrantLosesTheGrantAfterTheGraceTime() throws Exception {
        String holder = client.query(GRACED, "holder");
        assertTrue(client.check(holder).isGranted());
        Process[] p = new Process[1];
        String victim = victim(p, QUEUE_AND_RENEW, GRACED);
        String waiter = client.query(GRACED, "next in line");
        assertEquals(1, server.registry().peek(victim).position());
        assertEquals(2, server.registry().peek(waiter).position());

        kill9(p[0]);
        assertTrue(client.release(holder));
        // the slot went to the dead victim, which never claims it
        assertEquals(TicketState.GRANTED, peek(victim));
        long released = System.nanoTime();
        double after = awaitGrant(waiter, 5);
        assertTrue("the next waiter got the slot the dead client never claimed", after >= 0);
        double seconds = (System.nanoTime() - released) / 1e9;
        assertEquals(TicketState.GONE, peek(victim));
        // withdrawn by the grace time (0.5 s), long before the victim's 30 s idle expiration
        assertTrue("handed on after " + seconds + " s", seconds >= 0.4 && seconds < 5);
        assertEquals(new LockInfo(GRACED, 1, 1, 0, 1, 0, ""), TestServers.unversioned(client.status(GRACED)));
    }

    @Test(timeout = 60_000)
    public void queuedClientKilledDuringABlockedWaitLosesTheGrantAfterTheGraceTime() throws Exception {
        String holder = client.query(GRACED, "holder");
        assertTrue(client.check(holder).isGranted());
        double waitsBefore = waitCalls();
        Process[] p = new Process[1];
        String victim = victim(p, QUEUE_AND_BLOCK, GRACED);
        String waiter = client.query(GRACED, "next in line");
        // the victim's lock.wait(ticket, 30) has reached the server and blocks
        awaitTrue("the victim's lock.wait reached the server", 10, () -> waitCalls() > waitsBefore);

        kill9(p[0]); // the kernel closes its connection; the server-side wait is still blocked
        assertTrue(client.release(holder));
        long released = System.nanoTime();
        double after = awaitGrant(waiter, 5);
        double seconds = (System.nanoTime() - released) / 1e9;
        assertTrue("the next waiter should get the slot within GRACE_TIME (0.5 s) + a few ticks of the release; "
                + "after " + seconds + " s the dead victim's ticket is " + peek(victim)
                + (peek(victim) == TicketState.GRANTED ? " and claimed=" + victimClaimed(victim) : ""), after >= 0);
        assertEquals(TicketState.GONE, peek(victim));
    }

    private boolean victimClaimed(String ticket) {
        return server.registry().details().stream().flatMap(d -> d.holders().stream())
                .filter(h -> h.ticket().equals(ticket)).anyMatch(h -> h.claimed());
    }

    /** lockserver_requests_total{method="lock.wait"} from /metrics. */
    private double waitCalls() {
        try {
            URI metrics = server.url().resolve("/metrics");
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("lockserver_requests_total\\{method=\"lock\\.wait\"\\} (\\S+)").matcher(body);
            return m.find() ? Double.parseDouble(m.group(1)) : 0;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test(timeout = 20_000)
    public void lifecycleTickThatThrowsDoesNotStopTheLifecycleThread() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch afterFailures = new CountDownLatch(10);
        LifecycleThread lifecycle = new LifecycleThread(expired -> {
            int n = calls.incrementAndGet();
            switch (n) {
                case 1: throw new IllegalStateException("tick 1 fails (test)");
                case 2: throw new StackOverflowError("tick 2 fails (test)");
                case 3: throw new AssertionError("tick 3 fails (test)");
                default:
                    afterFailures.countDown();
            }
        }, () -> { }, TimeUnit.MILLISECONDS.toNanos(10));
        lifecycle.start();
        try {
            assertTrue("ticks kept coming after three failing ticks; calls so far: " + calls.get(),
                    afterFailures.await(10, TimeUnit.SECONDS));
            assertTrue(lifecycle.isAlive());
        } finally {
            lifecycle.shutdown();
        }
        assertFalse("shutdown ends the thread", lifecycle.isAlive());
        int at = calls.get();
        assertTrue(at >= 13);
    }
}
