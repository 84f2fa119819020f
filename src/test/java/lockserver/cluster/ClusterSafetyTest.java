package lockserver.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import lockserver.safety.SafetyChecker;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The independent safety checker against a three-node cluster: 200 clients spread over the
 * nodes, each moving to the next node when its node cannot answer and keeping its tickets,
 * while in one run the leader is killed with SIGKILL and started again, the new leader is
 * frozen with SIGSTOP for 3 s (longer than the 400-800 ms election timeout; a new leader
 * takes over) and resumed with SIGCONT, a follower is killed and started again, and at
 * last all three nodes are stopped with SIGTERM and started again. Checked: at no instant
 * more than SIZE holders of a lock (the clients' vouched intervals), fencing tokens unique
 * and growing (per client and in real time), no holder or queued ticket lost before its
 * deadline, five sentinel tickets (two holders, three queued) unchanged after every event,
 * every abandoned ticket expired after the load, and every node showing the same state.
 * Prints a summary (also to target/cluster-safety-summary.txt).
 *
 * <p>{@code -Dcluster.seed=S} sets the clients' seed (printed). About 2 minutes on two
 * busy cores; cut off after at most about 4.
 */
public class ClusterSafetyTest {
    private static final int CLIENTS = Integer.getInteger("cluster.clients", 200);
    /** a call to a frozen node outlasts the 3 s freeze: some are answered by the resumed node */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(4);
    private static final long FREEZE_MS = 3_000;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private ClusterProcesses cluster;
    private ClusterLoad load;
    private long t0;
    private final List<String> events = new ArrayList<>();

    @After
    public void stopEverything() throws Exception {
        if (load != null) {
            load.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test(timeout = 240_000)
    public void twoHundredClientsSeeNoBrokenInvariantThroughKillsAFrozenLeaderAndAFullRestart() throws Exception {
        long started = System.nanoTime();
        long seed = Long.getLong("cluster.seed", new Random().nextLong());
        cluster = new ClusterProcesses(tmp.getRoot().toPath(), 3, ClusterLoad.general(),
                ClusterLoad.locks() + Sentinels.CONFIG, "LEADER_TIMEOUT=3\n");
        cluster.startAll();
        cluster.awaitLeader(Duration.ofSeconds(60));
        Sentinels sentinels = new Sentinels(cluster.urls());
        sentinels.create();
        List<String> problems = new ArrayList<>();

        load = new ClusterLoad(cluster.urls(), CLIENTS, seed, CALL_TIMEOUT);
        t0 = System.nanoTime();
        load.start();
        runFor(4);

        // 1. the leader killed, and started again
        int leader = cluster.awaitLeader(Duration.ofSeconds(30));
        cluster.kill(leader);
        event("kill -9 the leader " + cluster.node(leader));
        cluster.start(leader);
        event(cluster.node(leader) + " started again");
        int next = cluster.awaitCaughtUp(leader, Duration.ofSeconds(60));
        event(cluster.node(leader) + " caught up; leader " + cluster.node(next));
        problems.addAll(sentinels.verify("after the leader was killed"));
        runFor(3);

        // 2. the new leader frozen for longer than the election timeout, then resumed
        leader = cluster.awaitLeader(Duration.ofSeconds(30));
        cluster.freeze(leader);
        long frozenAt = System.nanoTime();
        event("SIGSTOP the leader " + cluster.node(leader));
        int during = cluster.awaitLeader(Duration.ofSeconds(20));
        event("while it is frozen the others elect " + cluster.node(during));
        sleepUntil(frozenAt + TimeUnit.MILLISECONDS.toNanos(FREEZE_MS));
        cluster.thaw(leader);
        event("SIGCONT " + cluster.node(leader));
        next = cluster.awaitCaughtUp(leader, Duration.ofSeconds(60));
        event(cluster.node(leader) + " caught up; leader " + cluster.node(next));
        problems.addAll(sentinels.verify("after the frozen leader resumed"));
        runFor(3);

        // 3. a follower killed, and started again
        leader = cluster.awaitLeader(Duration.ofSeconds(30));
        int follower = (leader + 1) % 3;
        cluster.kill(follower);
        event("kill -9 the follower " + cluster.node(follower));
        cluster.start(follower);
        event(cluster.node(follower) + " started again");
        next = cluster.awaitCaughtUp(follower, Duration.ofSeconds(60));
        event(cluster.node(follower) + " caught up; leader " + cluster.node(next));
        problems.addAll(sentinels.verify("after a follower was killed"));
        runFor(3);

        // 4. all three stopped, and started again
        int[] exits = cluster.terminateAll();
        event("SIGTERM to all three: exit codes " + java.util.Arrays.toString(exits));
        for (int code : exits) {
            if (code != 0 && code != 143) {
                problems.add("server: exit code " + code + " after SIGTERM");
            }
        }
        cluster.startAll();
        event("all three started again");
        next = cluster.awaitLeader(Duration.ofSeconds(60));
        event("leader " + cluster.node(next));
        problems.addAll(sentinels.verify("after all three were stopped and started"));
        runFor(5);

        load.endLoad();
        List<String> stuck = load.join(Duration.ofSeconds(6 + 12)); // a call sent just before the hard stop may take its timeout
        event("load ended");
        if (!stuck.isEmpty()) {
            problems.add("client: " + stuck.size() + " client thread(s) still running after the hard stop: " + stuck);
        }

        // every abandoned ticket must expire, the sentinels still be there and hand on, and all nodes agree
        String drained = awaitDrained(Duration.ofSeconds(20));
        if (drained != null) {
            problems.add("liveness: 20 s after the load the stress locks still have holders or waiters: " + drained);
        }
        problems.addAll(sentinels.verify("after the load"));
        problems.addAll(sentinels.handOn());
        String differ = cluster.awaitSameState(Duration.ofSeconds(15));
        if (differ != null) {
            problems.add("replicas: the nodes do not show the same lock state: " + differ);
        }
        sentinels.releaseAll();
        event("checked the sentinels (" + sentinels.verified + " found as they should be) and the replicas");

        SafetyChecker checker = load.check();
        problems.forEach(checker::problem);
        String summary = summary(seed, checker, System.nanoTime() - started);
        System.out.println(summary);
        write("cluster-safety-summary.txt", summary);
        assertEquals(summary + cluster.logTails(3000), 0, checker.problemCount());
        assertTrue(summary, load.counts().getOrDefault("grant", 0L) > 500);
        for (String lock : ClusterLoad.LOCKS) {
            assertTrue(summary, checker.stats.get(lock).clientMax > 0);
        }
    }

    /** Lets the load run for a while: the time between the events. */
    private static void runFor(int seconds) throws InterruptedException {
        TimeUnit.SECONDS.sleep(seconds);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    /** Null once no stress lock has holders or waiters on the leader, else the last lock.list seen. */
    private String awaitDrained(Duration within) throws InterruptedException {
        long giveUp = System.nanoTime() + within.toNanos();
        String last = "";
        while (true) {
            int leader = cluster.awaitLeader(Duration.ofSeconds(30));
            try {
                Object[] list = (Object[]) cluster.node(leader).admin.call("lock.list");
                boolean empty = true;
                StringBuilder s = new StringBuilder();
                for (Object o : list) {
                    java.util.Map<?, ?> l = (java.util.Map<?, ?>) o;
                    if (!Sentinels.LOCK.equals(l.get("name"))) {
                        s.append(l.get("name")).append(' ').append(l.get("granted")).append('/').append(l.get("queued"))
                                .append("; ");
                        empty &= (Integer) l.get("granted") == 0 && (Integer) l.get("queued") == 0;
                    }
                }
                last = s.toString();
                if (empty) {
                    return null;
                }
            } catch (lockserver.client.LockServerException e) {
                last = e.getMessage();
            }
            if (System.nanoTime() - giveUp > 0) {
                return last;
            }
            TimeUnit.MILLISECONDS.sleep(200); // waiting for the leader's expiry of abandoned tickets
        }
    }

    private void event(String what) {
        events.add(String.format(Locale.ROOT, "%6.1f s  %s", (System.nanoTime() - t0) / 1e9, what));
    }

    private String summary(long seed, SafetyChecker checker, long total) {
        StringBuilder s = new StringBuilder();
        s.append("==== lockserver cluster safety: ").append(checker.problemCount() == 0 ? "PASS" : "FAIL").append(" ====\n");
        s.append(String.format(Locale.ROOT, "%d clients over 3 nodes, seed %d (-Dcluster.seed=%d), call timeout %d s%n",
                CLIENTS, seed, seed, CALL_TIMEOUT.toSeconds()));
        s.append("events:\n");
        events.forEach(e -> s.append("  ").append(e).append('\n'));
        s.append(load.summary(checker));
        s.append(String.format(Locale.ROOT, "whole test %.1f s%n", total / 1e9));
        return s.toString();
    }

    static void write(String name, String text) {
        Path out = Path.of(System.getProperty("basedir", "."), "target", name);
        try {
            Files.createDirectories(out.getParent());
            Files.writeString(out, text + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.out.println("cannot write " + out + ": " + e);
        }
    }
}
