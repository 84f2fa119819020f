package lockserver.cluster;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.core.ExpiryLog;
import lockserver.core.LockImage;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import lockserver.core.SlotRequest;
import org.junit.Test;

/**
 * A cluster node's state is a {@link LockRegistry} replica changed only by the commands of
 * the log (STYLE.md, rule 18): two replicas that apply the same commands at the same log
 * times must end in the same state, whatever else happened to them, in particular when one
 * of them started from the other's snapshot ({@link LockRegistry#image()} and
 * {@link LockRegistry#load}, as a node does after a restart or an installed snapshot).
 * Otherwise the nodes hand out different fencing tokens for the same ticket, and a new
 * leader continues from a different state. Pure Java, no processes: the commands are the
 * registry calls {@code LockStateMachine} makes for them.
 */
public class ReplicaDeterminismTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    /** idle expiry after 1 s; grace and max lock time far away */
    private static final LockSettings ONE = new LockSettings(1, 100 * S, S, 1000 * S, 100);

    /** A log clock: set by the test, as each entry's stamp sets a node's. */
    private static final class LogTime implements lockserver.core.Clock {
        long now = 1_000 * S;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    @Test
    public void aReplicaLoadedFromASnapshotExpiresAndGrantsAsTheReplicaThatAppliedEveryEntry() {
        LogTime time = new LogTime();
        LockRegistry live = LockRegistry.replica(time);
        live.configure(Map.of("L", ONE));
        // a holder, and a ticket queued behind it
        String holder = live.query("L", "holder", null, SlotRequest.ONE, "a".repeat(32));
        live.claim(holder);
        String waiter = live.query("L", "waiter", null, SlotRequest.ONE, "b".repeat(32));
        // both renew a little later; at the tick when their first deadlines come up, neither
        // is due yet, and the tick files both again for their new deadlines
        time.now += 100 * MS;
        live.renew(holder);
        live.renew(waiter);
        time.now += 920 * MS;
        live.tick(new ExpiryLog());

        // another node restarts here and loads this state from a snapshot
        LockRegistry restarted = LockRegistry.replica(time);
        restarted.load(live.image());
        assertEquals(describe(live.image()), describe(restarted.image()));

        // the next entries, applied by both: a tick when both have idled out, then a new query
        time.now += 130 * MS;
        for (LockRegistry r : List.of(live, restarted)) {
            r.tick(new ExpiryLog());
            r.query("L", "next", null, SlotRequest.ONE, "c".repeat(32));
        }
        assertEquals("the same entries applied to the same state", describe(live.image()),
                describe(restarted.image()));
    }

    /** A lock's state as the nodes must agree on it: the last token, the holders with their tokens, the queue. */
    private static String describe(List<LockImage> locks) {
        StringBuilder s = new StringBuilder();
        for (LockImage l : locks) {
            s.append(l.name()).append(" last token ").append(l.lastToken()).append(" holders");
            l.granted().forEach(t -> s.append(' ').append(t.id(), 0, 4).append(":token ").append(t.token()));
            s.append(" queue");
            l.queue().forEach(t -> s.append(' ').append(t.id(), 0, 4));
            s.append('\n');
        }
        return s.toString();
    }
}
