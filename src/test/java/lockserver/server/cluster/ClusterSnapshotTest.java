package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import lockserver.server.TestCluster;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Snapshots on a cluster (SNAPSHOT_EVERY=20, so the log is cut often): a node that was down
 * while the log it missed was dropped gets the leader's snapshot, although it has an older
 * one of its own, and ends with the same holders, queues and tokens as the others and goes
 * on applying; and after all three stop, they start again from their snapshots and logs with
 * nothing lost and go on. Three nodes in this JVM.
 */
public class ClusterSnapshotTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private TestCluster cluster;

    @After
    public void stop() throws Exception {
        cluster.close();
    }

    private void start(int i) throws Exception {
        cluster.start(i + 1, "[lock L]\nSIZE=3\n[lock M]\nSIZE=1\n", "SNAPSHOT_EVERY=20");
    }

    @Test(timeout = 180_000)
    public void aNodeBehindTheSnapshotCatchesUpAndAllRestartWithNothingLost() throws Exception {
        cluster = new TestCluster(tmp.getRoot().toPath(), 3);
        for (int i = 0; i < 3; i++) {
            start(i);
        }
        List<String> kept = work(0, 60); // some released, some held, some queued
        cluster.stop(3);
        assertTrue("n3 has a snapshot of its own", snapshots(2) > 0);
        kept.addAll(work(1, 80)); // more than SNAPSHOT_EVERY entries while n3 is down
        // Ratis drops only closed log segments: a restart of n1 and n2 closes theirs, and the
        // next snapshot drops the log n3 missed, so n3 needs the leader's snapshot
        cluster.stop(1);
        cluster.stop(2);
        start(0);
        start(1);
        kept.addAll(work(0, 40));
        assertTrue("snapshots were taken", snapshots(0) > 0);
        start(2);
        List<String> expected = awaitSameEverywhere(null, kept);
        Map<?, ?> n3 = (Map<?, ?>) cluster.call(3, "admin.cluster");
        assertTrue("n3 got the leader's snapshot: " + n3, (Integer) n3.get("installed") > 0);
        kept.addAll(work(1, 10)); // n3 applies what comes after the snapshot
        expected = awaitSameEverywhere(null, kept);

        for (int i = 1; i <= 3; i++) {
            cluster.stop(i);
        }
        for (int i = 0; i < 3; i++) {
            start(i);
        }
        awaitSameEverywhere(expected, kept);
        kept.addAll(work(2, 10)); // every node still takes part after the restart
        awaitSameEverywhere(null, kept);
    }

    /** {@code n} calls on node {@code node}; returns the tickets it leaves alive. */
    private List<String> work(int node, int n) throws Exception {
        List<String> alive = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String lock = i % 3 == 0 ? "M" : "L";
            String ticket = (String) cluster.call(node + 1, "lock.query", lock, "job " + i);
            if (i % 2 == 0) {
                cluster.call(node + 1, "lock.release", ticket);
            } else {
                cluster.call(node + 1, "lock.check", ticket); // claims it if granted
                alive.add(ticket);
            }
        }
        return alive;
    }

    /**
     * Polls until every node's own copy holds the same tickets, every one of {@code kept}
     * among them (and, if given, exactly {@code expected}).
     */
    private List<String> awaitSameEverywhere(List<String> expected, List<String> kept) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            List<String> first = tickets(0);
            boolean same = first.equals(tickets(1)) && first.equals(tickets(2))
                    && (expected == null || expected.equals(first))
                    && kept.stream().allMatch(ticket -> first.stream().anyMatch(line -> line.contains(ticket)));
            if (same) {
                return first;
            }
            assertFalse("the nodes' copies differ after 90 s (or lack a kept ticket):\n" + first + "\n" + tickets(1)
                    + "\n" + tickets(2), System.nanoTime() > deadline);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // polling with a deadline
        }
    }

    /** admin.status of a node (its own copy) as lines: holders with token and claim, queues in order. */
    private List<String> tickets(int node) {
        List<String> lines = new ArrayList<>();
        try {
            for (Object o : (Object[]) cluster.rpc(node + 1).execute("admin.status", new Object[0])) {
                Map<?, ?> lock = (Map<?, ?>) o;
                for (Object h : (Object[]) lock.get("holders")) {
                    Map<?, ?> t = (Map<?, ?>) h;
                    lines.add(lock.get("name") + " holder " + t.get("ticket") + " token " + t.get("token")
                            + " claimed " + t.get("claimed"));
                }
                for (Object q : (Object[]) lock.get("queue")) {
                    lines.add(lock.get("name") + " queued " + ((Map<?, ?>) q).get("ticket"));
                }
            }
        } catch (Exception e) {
            lines.add("no answer: " + e.getMessage());
        }
        return lines;
    }

    private long snapshots(int node) throws IOException {
        Path raft = tmp.getRoot().toPath().resolve("n" + (node + 1)).resolve("raft");
        for (int attempt = 0; ; attempt++) {
            try (Stream<Path> files = Files.walk(raft)) {
                return files.filter(p -> p.getFileName().toString().startsWith("snapshot.")
                        && !p.getFileName().toString().endsWith(".md5")).count();
            } catch (java.io.UncheckedIOException vanished) {
                if (attempt == 10) { // a snapshot's temporary file went while the walk passed it: look again
                    throw vanished;
                }
            }
        }
    }
}
