package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.core.ExpiryLog;
import lockserver.core.LockSettings;
import lockserver.core.SlotRequest;
import lockserver.core.TicketState;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.Test;

/**
 * A cluster node's {@link LockStateMachine} fed log entries as Ratis applies them, each with
 * the term of the leader that appended it: no idle or grace time may end early because the
 * leader changed. The entries carry their own times, so no clock is needed.
 */
public class LockStateMachineTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long T0 = 1_000 * S;
    /** one slot; grace and idle expiry after 3 s */
    private static final LockSettings LOCK = new LockSettings(1, 3 * S, 3 * S, 600 * S, 100);
    private static final String HOLDER = "a".repeat(32);
    private static final String WAITER = "b".repeat(32);

    private final LockStateMachine machine = new LockStateMachine(new LockStateMachine.Events() {
        @Override
        public void leaderChanged(RaftPeerId leader) {
        }

        @Override
        public void configured(Command.Configure command, List<String> changes, boolean leader) {
        }

        @Override
        public void expired(ExpiryLog expired, boolean leader) {
        }
    });
    private long index;

    @Test
    public void aTickTheOldLeaderSentEndsNothingInTheNextTermBeforeTheNewLeaderTookOver() {
        apply(1, new Command.Configure("n1", Map.of("L", LOCK), true, T0));
        apply(1, new Command.Query("L", "holder", null, SlotRequest.ONE, true, HOLDER, T0)); // granted and claimed at once
        apply(1, new Command.Query("L", "waiter", null, SlotRequest.ONE, false, WAITER, T0 + MS));

        // n1 stalls; n2 is elected for term 2 while the clients cannot reach a leader. The tick
        // n1 sent as it lost the lead reaches n2 (Ratis' client follows the leader) before
        // n2's takeover: both tickets have idled for 5 s, yet the tick must end neither
        apply(2, new Command.Tick(1, T0 + 5 * S));
        assertEquals(TicketState.GRANTED, state(HOLDER));
        assertEquals(TicketState.QUEUED, state(WAITER));

        // the takeover gives both a fresh idle time; n2's own ticks then count
        apply(2, new Command.Configure("n2", Map.of("L", LOCK), true, T0 + 5 * S + MS));
        apply(2, new Command.Tick(2, T0 + 7 * S));
        assertEquals(TicketState.GRANTED, state(HOLDER));
        assertEquals(TicketState.QUEUED, state(WAITER));
        apply(2, new Command.Tick(2, T0 + 8 * S + 2 * MS));
        assertEquals(TicketState.GONE, state(HOLDER));
        assertEquals(TicketState.GONE, state(WAITER));
    }

    /** Applies {@code command} as the entry after the last one, appended in {@code term}. */
    private void apply(long term, Command command) {
        LogEntryProto entry = LogEntryProto.newBuilder().setTerm(term).setIndex(++index)
                .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
                        .setLogData(ByteString.copyFrom(Command.encodeAll(List.of(command)))))
                .build();
        machine.applyTransaction(TransactionContext.newBuilder().setStateMachine(machine)
                .setServerRole(RaftPeerRole.FOLLOWER).setLogEntry(entry).build()).join();
    }

    private TicketState state(String ticket) {
        return machine.registry().peek(ticket).state();
    }
}
