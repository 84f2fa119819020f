package lockserver.server.journal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import lockserver.core.Expiry;
import lockserver.core.LockException;
import lockserver.core.RestoredDelay;
import lockserver.core.RestoredTicket;
import lockserver.core.SlotRequest;
import lockserver.wire.Fault;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class JournalTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static String id(int n) {
        return String.format("%032x", n);
    }

    @Test(timeout = 30_000)
    public void aDurableAnswerComesAfterItsChangesAndARestartReadsThemBack() throws Exception {
        Path dir = tmp.getRoot().toPath();
        Journal journal = Journal.open(dir, Fsync.ALWAYS);
        journal.start();
        journal.queued("a", id(1), "first", "retry-1", SlotRequest.ONE);
        journal.granted("a", id(1), 7, 0);
        journal.claimed("a", id(1));
        journal.revoked("a", id(1), "maintenance", TimeUnit.MINUTES.toNanos(5));
        journal.queued("a", id(2), "second", null, SlotRequest.ONE);
        journal.lockCreated("made", 3);
        journal.queued("a", id(3), "ended", null, new SlotRequest(2, false, 0));
        journal.granted("a", id(3), 8, 0);
        journal.expired("a", id(3), Expiry.Cause.IDLE, true);
        journal.delayed("a", id(3), 2, TimeUnit.MINUTES.toNanos(10));
        journal.queued("a", id(4), "ended, delay over", null, SlotRequest.ONE);
        journal.granted("a", id(4), 9, 0);
        journal.expired("a", id(4), Expiry.Cause.GRACE, true);
        journal.delayed("a", id(4), 1, 0);
        journal.durable().get();
        journal.close();

        Journal again = Journal.open(dir, Fsync.ALWAYS);
        try {
            List<RestoredTicket> restored = again.restoredTickets();
            assertEquals(2, restored.size());
            RestoredTicket holder = restored.get(0);
            assertEquals(id(1), holder.id());
            assertTrue(holder.granted());
            assertTrue(holder.claimed());
            assertEquals(7, holder.token());
            assertEquals("retry-1", holder.key());
            assertEquals("maintenance", holder.revoke());
            assertTrue(holder.revokeInNanos() > TimeUnit.MINUTES.toNanos(4)
                    && holder.revokeInNanos() <= TimeUnit.MINUTES.toNanos(5));
            assertEquals(null, restored.get(1).revoke());
            assertEquals("second", restored.get(1).info());
            assertFalse(restored.get(1).granted());
            assertEquals(null, restored.get(1).key());
            assertEquals(Long.valueOf(9), again.lastTokens().get("a"));
            List<RestoredDelay> delays = again.restoredDelays(); // the second delay is over
            assertEquals(1, delays.size());
            assertEquals(id(3), delays.get(0).ticket());
            assertEquals("a", delays.get(0).lock());
            assertEquals(2, delays.get(0).slots());
            long left = delays.get(0).remainingNanos();
            assertTrue(left + " ns", left > TimeUnit.MINUTES.toNanos(9) && left <= TimeUnit.MINUTES.toNanos(10) + 1_000_000);
            assertEquals(Integer.valueOf(3), again.remoteLocks().get("made"));
        } finally {
            again.close();
        }
    }

    /**
     * A batch's changes are reused once written: across many batches (each followed by a
     * durable answer, so the batch before it is written and its changes come back), every
     * change still reaches the file as it was made.
     */
    @Test(timeout = 30_000)
    public void batchChangesReusedAcrossBatchesAllReachTheFile() throws Exception {
        Path dir = tmp.getRoot().toPath();
        Journal journal = Journal.open(dir, Fsync.NEVER);
        journal.start();
        List<String> live = new ArrayList<>();
        int[] made = {0};
        for (int b = 0; b < 300; b++) {
            journal.batch(() -> {
                for (int i = 0; i < 50; i++) {
                    String id = id(made[0]++);
                    journal.queued("lock", id, "info " + id, null, SlotRequest.ONE);
                    live.add(id);
                }
                for (int i = 0; i < 20; i++) {
                    journal.expired("lock", live.remove(0), Expiry.Cause.IDLE, false);
                }
            });
            journal.lockCreated("made-" + b, 1);
            journal.durable().get();
        }
        journal.close();
        Journal again = Journal.open(dir, Fsync.NEVER);
        try {
            List<String> restored = new ArrayList<>();
            for (RestoredTicket t : again.restoredTickets()) {
                assertEquals("info " + t.id(), t.info());
                restored.add(t.id());
            }
            assertEquals(live, restored);
            assertEquals(300, again.remoteLocks().size());
        } finally {
            again.close();
        }
    }

    /** A full disk: /dev/full takes the journal's writes and refuses every one with ENOSPC. */
    @Test(timeout = 20_000)
    public void aJournalThatCannotBeWrittenFailsDurableAnswersAndStillCloses() throws Exception {
        Path full = Paths.get("/dev/full");
        Assume.assumeTrue("needs /dev/full", Files.isWritable(full));
        Path dir = tmp.getRoot().toPath();
        Files.createSymbolicLink(dir.resolve("journal.0"), full);
        Journal journal = Journal.open(dir, Fsync.ALWAYS);
        journal.start();
        journal.queued("a", id(1), "lost", null, SlotRequest.ONE);
        CompletableFuture<Void> answer = journal.durable();
        try {
            answer.get();
            fail("a change the journal could not write was reported durable");
        } catch (ExecutionException e) {
            assertTrue(e.getCause() instanceof LockException);
            assertEquals(Fault.INTERNAL, ((LockException) e.getCause()).fault());
            assertTrue(e.getCause().getMessage(), e.getCause().getMessage().contains("journal cannot be written"));
        }
        journal.close(); // returns although the writer's retries never succeed (the test's timeout bounds it)
    }
}
