package lockserver.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.client.LockServerException;

/**
 * Committed holders and queued tickets that must outlive every failure: on their own lock
 * ({@value #LOCK}, size 2, times far beyond the test) two holders with known fencing tokens
 * and three queued tickets. {@link #verify} asks any node that answers (lock.check, a
 * linearizable call) that each is still there: the holders granted with the same token, the
 * queued ones at the same place. {@link #handOn} releases one holder and checks the first
 * in line gets the slot with a larger token. Used by the test thread.
 */
final class Sentinels {
    static final String LOCK = "keep";
    static final String CONFIG = "[lock " + LOCK + "]\nSIZE=2\nGRACE_TIME=600\nEXPIRATION_TIME=600\nMAX_LOCK_TIME=1200\n";
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final List<Wire> nodes;
    private final List<String> holders = new ArrayList<>();
    private final List<Long> tokens = new ArrayList<>();
    private final List<String> queued = new ArrayList<>();
    private int next;
    /** how many checks found each ticket as it should be */
    int verified;

    Sentinels(List<String> urls) {
        nodes = urls.stream().map(u -> new Wire(u, Duration.ofSeconds(5))).toList();
    }

    /** Two holders and three queued tickets, made through different nodes. */
    void create() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            Map<String, Object> key = Map.of("key", "sentinel-" + i);
            String ticket = (String) call("lock.query", LOCK, "sentinel " + i, key);
            if (i < 2) {
                Map<?, ?> c = (Map<?, ?>) call("lock.check", ticket);
                if (!"granted".equals(c.get("state"))) {
                    throw new AssertionError("sentinel holder " + i + " not granted: " + c);
                }
                holders.add(ticket);
                tokens.add(Long.parseLong((String) c.get("token")));
            } else {
                queued.add(ticket);
            }
        }
    }

    /** Every sentinel as it was made; the problems found, each naming {@code when}. */
    List<String> verify(String when) throws InterruptedException {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < holders.size(); i++) {
            Map<?, ?> c = (Map<?, ?>) call("lock.check", holders.get(i));
            if (!"granted".equals(c.get("state")) || !String.valueOf(tokens.get(i)).equals(c.get("token"))) {
                problems.add("sentinels " + when + ": holder " + holders.get(i) + " with token " + tokens.get(i)
                        + " is now " + c.get("state") + " token '" + c.get("token") + "'");
            } else {
                verified++;
            }
        }
        for (int i = 0; i < queued.size(); i++) {
            Map<?, ?> c = (Map<?, ?>) call("lock.check", queued.get(i));
            if (!"queued".equals(c.get("state")) || !Integer.valueOf(i + 1).equals(c.get("position"))) {
                problems.add("sentinels " + when + ": queued ticket " + queued.get(i) + " at place " + (i + 1)
                        + " is now " + c.get("state") + " at place " + c.get("position"));
            } else {
                verified++;
            }
        }
        return problems;
    }

    /** Releases the first holder: the first in line must be granted at once with a larger token. */
    List<String> handOn() throws InterruptedException {
        List<String> problems = new ArrayList<>();
        if (!Boolean.TRUE.equals(call("lock.release", holders.get(0)))) {
            problems.add("sentinels: the release of holder " + holders.get(0) + " answered false");
        }
        Map<?, ?> c = (Map<?, ?>) call("lock.check", queued.get(0));
        long max = Math.max(tokens.get(0), tokens.get(1));
        if (!"granted".equals(c.get("state")) || Long.parseLong((String) c.get("token")) <= max) {
            problems.add("sentinels: after the release of a holder, the first in line " + queued.get(0) + " is "
                    + c.get("state") + " with token '" + c.get("token") + "' (the holders had " + tokens + ")");
        }
        Map<?, ?> second = (Map<?, ?>) call("lock.check", queued.get(1));
        if (!"queued".equals(second.get("state")) || !Integer.valueOf(1).equals(second.get("position"))) {
            problems.add("sentinels: after the hand-on, " + queued.get(1) + " is " + second.get("state") + " at place "
                    + second.get("position") + ", not first in line");
        }
        return problems;
    }

    /** Releases every sentinel. */
    void releaseAll() throws InterruptedException {
        for (String t : holders) {
            call("lock.release", t);
        }
        for (String t : queued) {
            call("lock.release", t);
        }
    }

    /** A call on the nodes in turn until one answers (at most {@link #PATIENCE}); a refusal is thrown. */
    private Object call(String method, Object... params) throws InterruptedException {
        long giveUp = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            Wire node = nodes.get(next);
            try {
                Object answer = node.call(method, params);
                next = (next + 1) % nodes.size(); // the next call through the next node
                return answer;
            } catch (LockServerException e) {
                if (!FailoverClient.nodeCannotAnswer(e) || System.nanoTime() - giveUp > 0) {
                    throw e;
                }
                next = (next + 1) % nodes.size();
                TimeUnit.MILLISECONDS.sleep(100); // back off before the next node
            }
        }
    }
}
