package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lockserver.core.LockSettings;
import lockserver.core.RestoredDelay;
import lockserver.core.RestoredTicket;
import lockserver.core.SlotRequest;
import org.junit.Test;

/**
 * The log's encoding of commands: every command reads back as written, and one that uses
 * nothing of issue 16 keeps the encoding of the release before it, so that nodes of both
 * can share a log during a rolling upgrade.
 */
public class CommandTest {
    private static final LockSettings PLAIN = new LockSettings(2, 10, 20, 30, 40);
    private static final LockSettings NEWER = new LockSettings(2, 10, 20, 30, 40, 0, 5);
    private static final String ID = "ab".repeat(16);

    private static List<Command> roundTrip(List<Command> commands) throws IOException {
        return Command.decodeAll(new DataInputStream(new ByteArrayInputStream(Command.encodeAll(commands))));
    }

    @Test
    public void everyCommandReadsBackAsWritten() throws IOException {
        Map<String, LockSettings> locks = new LinkedHashMap<>();
        locks.put("a", PLAIN);
        locks.put("b", NEWER);
        List<Command> all = List.of(
                new Command.Query("a", "info", null, SlotRequest.ONE, true, ID, 7),
                new Command.Query("a", "info", "key", new SlotRequest(3, false, 9), false, ID, 8),
                new Command.Query("a", "info", null, new SlotRequest(1, true, 0), false, ID, 9),
                new Command.Revoke(ID, "maintenance", 5_000_000_000L, 10),
                new Command.Create("c", NEWER, 11),
                new Command.Configure("n1", locks, true, 12),
                new Command.Import(List.of(new RestoredTicket(ID, "a", "i", true, 4, 5, true,
                        new SlotRequest(2, false, 1), null)), List.of(), Map.of("a", 4L), Map.of("c", 3), NEWER, 0, 13),
                new Command.Import(List.of(new RestoredTicket(ID, "a", "i", false, 0, 0, false, SlotRequest.ONE, null)),
                        List.of(), Map.of(), Map.of(), PLAIN, 0, 14),
                new Command.Import(List.of(new RestoredTicket(ID, "a", "i", true, 4, 5, true, SlotRequest.ONE, "retry",
                        "maintenance", 30_000_000_000L)),
                        List.of(new RestoredDelay("a", ID.replace('0', 'f'), 2, 7_000_000_000L)), Map.of("a", 4L),
                        Map.of(), PLAIN, 123_456_789L, 16),
                new Command.Tick(3, 15));
        assertEquals(all, roundTrip(all));
    }

    @Test
    public void commandsWithoutTheNewerPartsKeepTheOlderEncoding() {
        byte[] plainQuery = Command.encodeAll(List.of(new Command.Query("a", "i", null, SlotRequest.ONE, false, ID, 1)));
        assertEquals("kind 1, as before", 1, plainQuery[4]);
        byte[] query = Command.encodeAll(List.of(new Command.Query("a", "i", null, new SlotRequest(2, false, 0), false,
                ID, 1)));
        assertEquals(9, query[4]);
        byte[] plainCreate = Command.encodeAll(List.of(new Command.Create("c", PLAIN, 1)));
        byte[] newerCreate = Command.encodeAll(List.of(new Command.Create("c", NEWER, 1)));
        // kind, lock name (2 + 1 bytes), size, grace, idle, max hold: MAX_QUEUE follows at offset 4 + 1 + 3 + 28
        assertEquals(40, readInt(plainCreate, 36));
        assertEquals("negative: aging and delay follow", -40, readInt(newerCreate, 36));
        assertEquals(plainCreate.length + 16, newerCreate.length);
        RestoredTicket plainTicket = new RestoredTicket(ID, "a", "i", true, 4, 5, true, SlotRequest.ONE, null);
        assertEquals("kind 8, as before", 8, Command.encodeAll(List.of(new Command.Import(List.of(plainTicket),
                List.of(), Map.of(), Map.of(), PLAIN, 0, 1)))[4]);
        assertEquals("keys or delays: kind 12", 12, Command.encodeAll(List.of(new Command.Import(List.of(plainTicket),
                List.of(new RestoredDelay("a", ID, 1, 1)), Map.of(), Map.of(), PLAIN, 0, 1)))[4]);
    }

    /** What was left of delays and revocations when the journal was read counts down to the leader's stamp. */
    @Test
    public void anImportsDelaysAndRevocationsCountFromWhenTheJournalWasRead() {
        long second = 1_000_000_000L;
        RestoredTicket revoked = new RestoredTicket(ID, "a", "i", true, 4, 5, true, SlotRequest.ONE, null,
                "maintenance", 30 * second);
        Command.Import m = (Command.Import) new Command.Import(List.of(revoked), List.of(
                new RestoredDelay("a", "t1", 1, 7 * second), new RestoredDelay("a", "t2", 1, 2 * second)),
                Map.of(), Map.of(), PLAIN, 100 * second, 0).stamped(103 * second, null);
        assertEquals(List.of(new RestoredDelay("a", "t1", 1, 4 * second)), m.delaysNow());
        assertEquals(27 * second, m.ticketsNow().get(0).revokeInNanos());
        Command.Import unknown = (Command.Import) new Command.Import(List.of(revoked), m.delays(), Map.of(), Map.of(),
                PLAIN, 0, 0).stamped(103 * second, null); // asOf unknown: nothing counted
        assertEquals(m.delays(), unknown.delaysNow());
        assertEquals(30 * second, unknown.ticketsNow().get(0).revokeInNanos());
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] << 24) | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }
}
