package lockserver.safety;

import static org.junit.Assert.assertEquals;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lockserver.client.TicketInfo;
import org.junit.Test;

/**
 * What a {@link StressClient} takes as a sign of life of a queued ticket, which the checker
 * holds the server to ({@link SafetyChecker#checkQueuedGone}): only an answer that says so.
 * The calls go to a scripted {@link StressClient.Rpc}, no server.
 */
public class StressClientTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * Under load a lock.wait whose ticket is gone answers false after the slice's time, and
     * LockClient.await then returns false without checking: that is no sign the ticket was
     * still queued when the slice was sent, and the ticket's last sign of life stays its query.
     */
    @Test
    public void aWaitThatAnswersFalseAfterItsTimeIsNoSignOfLife() {
        GoneTicket rpc = new GoneTicket();
        long far = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        StressClient client = new StressClient(0, rpc, 1, new String[] {"one"}, new int[] {1}, new int[] {1}, far, far,
                new Hold.Timing(3_000 * MS, 6_000 * MS, 100 * MS), MS);
        rpc.client = client;
        client.run();

        assertEquals(client.counts.toString(), 1, client.queuedGone.size());
        StressClient.QueuedGone gone = client.queuedGone.get(0);
        assertEquals("the last sign of life is the query", gone.queried(), gone.lastAlive());
    }

    /** One ticket, gone from the start; the client's first round is its last. */
    private static final class GoneTicket implements StressClient.Rpc {
        StressClient client;
        int waits;

        public String query(String lock, String info) {
            client.endLoad(System.nanoTime(), System.nanoTime() + TimeUnit.MINUTES.toNanos(1)); // this round only
            return "t1";
        }

        public boolean await(String ticket, Duration timeout) {
            if (waits++ == 0) { // the first answer comes late, as under load
                long late = System.nanoTime() + timeout.toNanos() + 2 * MS;
                for (long left; (left = late - System.nanoTime()) > 0; ) {
                    LockSupport.parkNanos(left);
                }
            }
            return false;
        }

        public TicketInfo check(String ticket) {
            return new TicketInfo(ticket, "", "gone", 0, 0, "", 0, 0, 0, false, 0, "", 0);
        }

        public boolean release(String ticket) {
            return false;
        }

        public boolean renew(String ticket) {
            return false;
        }
    }
}
