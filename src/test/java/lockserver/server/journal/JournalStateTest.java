package lockserver.server.journal;

import static org.junit.Assert.assertEquals;

import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lockserver.core.RestoredDelay;
import lockserver.core.RestoredTicket;
import lockserver.core.SlotRequest;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** A snapshot holds what a restart needs: retry keys, revocations, and the LOCK_DELAY slots not yet open. */
public class JournalStateTest {
    private static final long NOW = 1_700_000_000_000L;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static Change change(Change.Kind kind, String ticket, String lock, long token, long number) {
        return new Change(false).set(kind, ticket, lock, null, token, number);
    }

    @Test
    public void aSnapshotKeepsRetryKeysRevocationsAndTheDelaysNotOverAndDropsTheRest() throws Exception {
        JournalState state = new JournalState();
        state.apply(new Change(false).set(Change.Kind.QUEUED, "t1", "L", "keyed", 0,
                JournalFormat.pack(SlotRequest.ONE)).key("retry-1"));
        state.apply(new Change(false).set(Change.Kind.QUEUED, "t2", "L", "plain", 0,
                JournalFormat.pack(new SlotRequest(2, false, 3))));
        state.apply(change(Change.Kind.GRANTED, "t1", "L", 5, NOW - 1000));
        state.apply(new Change(false).set(Change.Kind.CLAIMED, "t1", null, "maintenance", 0, NOW + 60_000));
        state.apply(change(Change.Kind.QUEUED, "t3", "L", 0, 0));
        state.apply(change(Change.Kind.REMOVED, "t3", null, 0, 0));
        state.apply(change(Change.Kind.REMOVED, "t3", "L", 2, NOW + 30_000)); // its 2 slots cool 30 s more
        state.apply(change(Change.Kind.REMOVED, "t4", "M", 1, NOW - 1)); // over

        Path file = tmp.getRoot().toPath().resolve("snapshot");
        try (FileChannel f = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            state.writeSnapshot(f, new JournalFormat(), 1, NOW);
        }
        JournalState read = new JournalState();
        try (InputStream in = Files.newInputStream(file)) {
            JournalFormat.read(in, read::apply);
        }

        List<RestoredTicket> tickets = read.restoredTickets(NOW);
        assertEquals(2, tickets.size());
        assertEquals("retry-1", tickets.get(0).key());
        assertEquals("maintenance", tickets.get(0).revoke());
        assertEquals(TimeUnit.SECONDS.toNanos(60), tickets.get(0).revokeInNanos());
        assertEquals("a revocation is no claim", false, tickets.get(0).claimed());
        assertEquals(TimeUnit.SECONDS.toNanos(1), tickets.get(0).heldNanos());
        assertEquals(null, tickets.get(1).key());
        assertEquals(new SlotRequest(2, false, 3), tickets.get(1).request());
        assertEquals(List.of(new RestoredDelay("L", "t3", 2, TimeUnit.SECONDS.toNanos(30))), read.restoredDelays(NOW));
        assertEquals(List.of(new RestoredDelay("L", "t3", 2, TimeUnit.SECONDS.toNanos(20))),
                read.restoredDelays(NOW + 10_000));
        assertEquals(List.of(), read.restoredDelays(NOW + 30_000));
    }
}
