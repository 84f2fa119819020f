package lockserver.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.client.LockServerException;

/**
 * The checks after a loaded run, when the clients have stopped: every abandoned ticket of
 * the stress locks expires, the sentinels are as they were and one hands its slot on, and
 * every node shows the same lock state. Returns the problems found.
 */
final class AfterLoad {
    private AfterLoad() {
    }

    static List<String> check(ClusterProcesses cluster, Sentinels sentinels) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        String drained = awaitDrained(cluster, Duration.ofSeconds(20));
        if (drained != null) {
            problems.add("liveness: 20 s after the load the stress locks still have holders or waiters: " + drained);
        }
        try {
            problems.addAll(sentinels.verify("after the load"));
            problems.addAll(sentinels.handOn());
            String differ = cluster.awaitSameState(Duration.ofSeconds(15));
            if (differ != null) {
                problems.add("replicas: the nodes do not show the same lock state: " + differ);
            }
            sentinels.releaseAll();
        } catch (LockServerException e) {
            problems.add("availability: after the load no node answered the sentinels' calls: " + e.getMessage());
        }
        return problems;
    }

    /** Null once no lock but the sentinels' has holders or waiters (lock.list of any node), else the last list seen. */
    private static String awaitDrained(ClusterProcesses cluster, Duration within) throws InterruptedException {
        long giveUp = System.nanoTime() + within.toNanos();
        String last = "";
        int node = 0;
        while (true) {
            node = (node + 1) % cluster.nodes.size();
            if (cluster.node(node).up()) {
                try {
                    StringBuilder s = new StringBuilder(cluster.node(node).id).append(": ");
                    boolean empty = true;
                    for (Object o : (Object[]) cluster.node(node).admin.call("lock.list")) {
                        Map<?, ?> l = (Map<?, ?>) o;
                        if (!Sentinels.LOCK.equals(l.get("name"))) {
                            s.append(l.get("name")).append(' ').append(l.get("granted")).append(" granted ")
                                    .append(l.get("queued")).append(" queued; ");
                            empty &= (Integer) l.get("granted") == 0 && (Integer) l.get("queued") == 0;
                        }
                    }
                    last = s.toString();
                    if (empty) {
                        return null;
                    }
                } catch (LockServerException e) {
                    last = e.getMessage();
                }
            }
            if (System.nanoTime() - giveUp > 0) {
                return last;
            }
            TimeUnit.MILLISECONDS.sleep(200); // waiting for the leader's expiry of abandoned tickets
        }
    }
}
