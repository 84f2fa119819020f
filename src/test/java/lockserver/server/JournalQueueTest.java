package lockserver.server;

import static org.junit.Assert.assertFalse;

import java.lang.invoke.VarHandle;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
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
        Constructor<?> newRec = Class.forName("lockserver.server.Journal$Rec")
                .getDeclaredConstructor(char.class, String.class, String.class, String.class, long.class, long.class);
        newRec.setAccessible(true);
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
                        Object rec = newRec.newInstance('L', "lock", null, null, 1L, 0L);
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

    private static VarHandle staticField(String name) throws ReflectiveOperationException {
        Field f = Journal.class.getDeclaredField(name);
        f.setAccessible(true);
        return (VarHandle) f.get(null);
    }
}
