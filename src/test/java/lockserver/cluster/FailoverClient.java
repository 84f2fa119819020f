package lockserver.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import lockserver.client.LockClient;
import lockserver.client.LockServerException;
import lockserver.client.TicketInfo;
import lockserver.safety.StressClient;

/**
 * One stress client's view of a cluster: it talks to one node at a time and, when that node
 * cannot answer (unreachable, no answer within the timeout, shutting down, fault 11), moves to
 * the next node and keeps its tickets. A failed call is thrown to the caller, who retries it
 * (now on the next node), except a query: it is retried here, on the next nodes, with the
 * same retry key, so a query a node took before it failed gives the same ticket and no
 * orphan. Used by one thread.
 */
final class FailoverClient implements StressClient.Rpc {
    private final List<LockClient> nodes;
    private final List<Wire> wires;
    private final String keyPrefix;
    private final LongSupplier giveUpBy;
    private final Random random;
    private int current;
    private int seq;
    /** failed calls per node and code, and moves to another node */
    final Map<String, Long> failures = new TreeMap<>();
    /** the most attempts one query needed */
    int longestQuery;

    /** @param nodes one client per node, in node order; {@code wires} the same for plain calls */
    FailoverClient(List<LockClient> nodes, List<Wire> wires, int first, String keyPrefix, LongSupplier giveUpBy,
                   long seed) {
        this.nodes = nodes;
        this.wires = wires;
        this.current = first % nodes.size();
        this.keyPrefix = keyPrefix;
        this.giveUpBy = giveUpBy;
        this.random = new Random(seed);
    }

    static boolean nodeCannotAnswer(LockServerException e) {
        int c = e.faultCode();
        return c == LockServerException.UNREACHABLE || c == LockServerException.SHUTTING_DOWN
                || c == LockServerException.NO_LEADER;
    }

    @Override
    public String query(String lock, String info) {
        Map<String, Object> key = Map.of("key", keyPrefix + "-" + seq++);
        int attempts = 0;
        while (true) {
            attempts++;
            longestQuery = Math.max(longestQuery, attempts);
            try {
                return (String) wires.get(current).call("lock.query", lock, info, key);
            } catch (LockServerException e) {
                if (!nodeCannotAnswer(e)) {
                    throw e;
                }
                moveOn(e);
                if (System.nanoTime() - giveUpBy.getAsLong() > 0) {
                    throw e;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(50 + random.nextInt(100)); // back off before the next node
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public boolean await(String ticket, Duration timeout) {
        return onCurrent(() -> nodes.get(current).await(ticket, timeout));
    }

    @Override
    public TicketInfo check(String ticket) {
        return onCurrent(() -> nodes.get(current).check(ticket));
    }

    @Override
    public boolean release(String ticket) {
        return onCurrent(() -> nodes.get(current).release(ticket));
    }

    @Override
    public boolean renew(String ticket) {
        return onCurrent(() -> nodes.get(current).renew(ticket));
    }

    private <T> T onCurrent(Supplier<T> call) {
        try {
            return call.get();
        } catch (LockServerException e) {
            if (nodeCannotAnswer(e)) {
                moveOn(e);
            }
            throw e;
        }
    }

    private void moveOn(LockServerException e) {
        failures.merge("n" + (current + 1) + " " + (e.faultCode() == LockServerException.UNREACHABLE ? "unreachable"
                : "fault " + e.faultCode()), 1L, Long::sum);
        current = (current + 1) % nodes.size();
    }
}
