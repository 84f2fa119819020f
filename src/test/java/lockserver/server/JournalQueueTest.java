package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;

import java.lang.invoke.VarHandle;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import lockserver.core.Expiry;
import lockserver.core.RestoredTicket;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The journal's record queue between a tick's batch and the requests. The window it pins
 * (a producer that has swapped itself in as the queue's tail but not linked yet) lasts a
 * few instructions, so the test opens it by doing the two steps of an enqueue itself,
 * through the journal's own VarHandles.
 */
public class JournalQueueTest {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /**
     * The timeout tells "woken" from "found by the writer's 10 s safety net": the request's
     * record is written within milliseconds when the writer does not sleep past the half-linked
     * record, and only when the batch ends or the safety net fires when it does.
     */
    @Test(timeout = 8_000)
    public void requestRecordBehindAHalfLinkedBatchRecordIsWrittenBeforeTheBatchEnds() throws Exception {
        Journal journal = Journal.open(tmp.getRoot().toPath(), Journal.Fsync.ALWAYS);
        journal.start();
        Class<?> recClass = Class.forName("lockserver.server.Journal$Rec");
        Constructor<?> newRec = recClass.getDeclaredConstructor(boolean.class);
        newRec.setAccessible(true);
        Method set = recClass.getDeclaredMethod("set", char.class, String.class, String.class, String.class,
                long.class, long.class);
        set.setAccessible(true);
        VarHandle tail = staticField("TAIL");
        VarHandle next = staticField("NEXT");

        CountDownLatch swapped = new CountDownLatch(1);
        CountDownLatch link = new CountDownLatch(1);
        CountDownLatch endBatch = new CountDownLatch(1);
        AtomicBoolean batchEnded = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread lifecycle = new Thread(() -> {
            try {
                journal.batch(() -> {
                    try {
                        Object rec = set.invoke(newRec.newInstance(true), 'L', "lock", null, null, 1L, 0L);
                        Object prev = tail.getAndSet(journal, rec); // first half of an enqueue
                        swapped.countDown();
                        link.await();
                        next.setRelease(prev, rec);                 // second half: a batch's record wakes nobody
                        endBatch.await();                           // the rest of a long tick
                    } catch (ReflectiveOperationException | InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
            } catch (Throwable t) {
                failed.set(t);
            } finally {
                batchEnded.set(true);
            }
        });
        lifecycle.start();
        try {
            swapped.await();
            journal.queued("lock", "0".repeat(32), "info"); // a request's record, behind the batch's
            link.countDown();
            journal.awaitWritten();
            assertFalse("the request's record waited for the end of the batch", batchEnded.get());
        } finally {
            endBatch.countDown();
            lifecycle.join();
            journal.close();
        }
        if (failed.get() != null) {
            throw new AssertionError(failed.get());
        }
    }

    /**
     * A batch's records are reused once written: across many batches (each followed by a
     * request that waits for its own record, so the batch before it is written and its
     * records come back), every change still reaches the file as it was made.
     */
    @Test(timeout = 30_000)
    public void batchRecordsReusedAcrossBatchesAllReachTheFile() throws Exception {
        Path dir = tmp.getRoot().toPath();
        Journal journal = Journal.open(dir, Journal.Fsync.NEVER);
        journal.start();
        List<String> live = new ArrayList<>();
        int[] made = {0};
        for (int b = 0; b < 300; b++) {
            journal.batch(() -> {
                for (int i = 0; i < 50; i++) {
                    String id = String.format("%032x", made[0]++);
                    journal.queued("lock", id, "info " + id);
                    live.add(id);
                }
                for (int i = 0; i < 20; i++) {
                    journal.expired("lock", live.remove(0), Expiry.Cause.IDLE, false);
                }
            });
            journal.lockCreated("made-" + b, 1); // a request's record: written after the batch's
            journal.awaitWritten();
        }
        journal.close();
        Journal again = Journal.open(dir, Journal.Fsync.NEVER);
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

    private static VarHandle staticField(String name) throws ReflectiveOperationException {
        Field f = Journal.class.getDeclaredField(name);
        f.setAccessible(true);
        return (VarHandle) f.get(null);
    }
}
