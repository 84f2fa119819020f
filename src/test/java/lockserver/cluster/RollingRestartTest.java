package lockserver.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import lockserver.safety.SafetyChecker;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * A rolling restart under load: 50 clients spread over three nodes while each node in turn
 * is stopped with SIGTERM, started again and waited for until it has rejoined (it names
 * the leader and has applied what the leader had). A majority runs throughout, so besides
 * the safety checker's invariants: every call a node failed (fault 11 or 7 while the lead
 * moves, or no answer) is answered by another node, a client never failing more than three
 * calls in a row, and no call is given up; the
 * sentinels stay as they were, abandoned tickets expire, and all nodes end with the same
 * state. Prints a summary (also to target/rolling-restart-summary.txt).
 */
public class RollingRestartTest {
    private static final int CLIENTS = Integer.getInteger("cluster.rolling.clients", 50);
    /** longer than LEADER_TIMEOUT (5 s, the default): a node's fault 11 reaches the client */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(7);
    /** a node down, and the next one slow to answer: at most one failure per node */
    private static final int MOST_FAILURES_IN_A_ROW = 3;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private ClusterProcesses cluster;
    private ClusterLoad load;

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
    public void restartingTheNodesOneAtATimeUnderLoadLosesNothingAndFailsNoCallForGood() throws Exception {
        long started = System.nanoTime();
        long seed = Long.getLong("cluster.seed", new Random().nextLong());
        cluster = ClusterProcesses.forLoad(tmp.getRoot().toPath(), "");
        cluster.startServing(Sentinels.LOCK);
        Sentinels sentinels = new Sentinels(cluster.urls());
        sentinels.create();
        List<String> problems = new ArrayList<>();

        load = new ClusterLoad(cluster.urls(), CLIENTS, seed, CALL_TIMEOUT);
        load.start();
        TimeUnit.SECONDS.sleep(3); // load before the first restart
        boolean rejoined = true;
        for (int i = 0; i < 3 && rejoined; i++) {
            Map<?, ?> before = cluster.describe(i);
            int exit = cluster.terminate(i);
            load.event("SIGTERM " + cluster.node(i) + " (" + (before == null ? "?" : before.get("role")) + "): exit code "
                    + exit);
            if (exit != 0 && exit != 143) { // 143: the JVM's exit status after SIGTERM and its shutdown hooks
                problems.add("server: " + cluster.node(i) + " exited with " + exit + " after SIGTERM");
            }
            cluster.start(i);
            load.event(cluster.node(i) + " started again");
            try {
                int leader = cluster.awaitCaughtUp(i, Duration.ofSeconds(45));
                load.event(cluster.node(i) + " rejoined: leader " + cluster.node(leader));
                problems.addAll(sentinels.verify("after " + cluster.node(i) + " was restarted"));
            } catch (AssertionError | lockserver.client.LockServerException e) {
                rejoined = false;
                problems.add("availability: " + cluster.node(i) + " did not rejoin: " + e.getMessage());
            }
            TimeUnit.SECONDS.sleep(2); // load between the restarts
        }

        problems.addAll(load.finish());
        if (rejoined) {
            problems.addAll(AfterLoad.check(cluster, sentinels));
            load.event("checked the drain, the sentinels (" + sentinels.verified + " checks) and the replicas");
        }

        Map<String, Long> counts = load.counts();
        // a call in flight while the leader hands over may be answered fault 11 (or 7 by the node
        // going down): the client moves to another node, which the streak below bounds
        if (load.longestFailureStreak() > MOST_FAILURES_IN_A_ROW) {
            problems.add("availability: a client failed " + load.longestFailureStreak() + " calls in a row; moving to "
                    + "another node should answer it by the " + (MOST_FAILURES_IN_A_ROW + 1) + "th");
        }
        for (String gaveUp : new String[] {"gave up retrying", "release unanswered", "renew unanswered",
                "check unanswered", "cancel unanswered"}) {
            if (counts.containsKey(gaveUp)) {
                problems.add("availability: " + counts.get(gaveUp) + " time(s) " + gaveUp);
            }
        }

        load.keepHolds("rolling");
        SafetyChecker checker = load.check();
        problems.forEach(checker::problem);
        StringBuilder s = new StringBuilder();
        s.append("==== lockserver rolling restart: ").append(checker.problemCount() == 0 ? "PASS" : "FAIL").append(" ====\n");
        s.append(String.format(Locale.ROOT, "%d clients over 3 nodes, seed %d (-Dcluster.seed=%d)%n", CLIENTS, seed, seed));
        load.events().forEach(e -> s.append("  ").append(e).append('\n'));
        s.append(load.summary(checker));
        s.append(String.format(Locale.ROOT, "whole test %.1f s%n", (System.nanoTime() - started) / 1e9));
        String summary = s.toString();
        ClusterLoad.report("rolling-restart-summary.txt", summary);
        assertEquals(summary, 0, checker.problemCount());
        assertTrue(summary, counts.getOrDefault("grant", 0L) > 100);
    }
}
