package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.Test;

public class BatcherTest {
    /** A sender that keeps every batch and its future, answered by the test. */
    private static final class Sender {
        final List<List<String>> batches = new ArrayList<>();
        final List<CompletableFuture<List<String>>> answers = new ArrayList<>();

        synchronized CompletableFuture<List<String>> send(List<String> batch) {
            batches.add(List.copyOf(batch));
            CompletableFuture<List<String>> f = new CompletableFuture<>();
            answers.add(f);
            return f;
        }

        /** Answers batch {@code i} with each item upper-cased. */
        void answer(int i) {
            CompletableFuture<List<String>> f;
            List<String> batch;
            synchronized (this) {
                f = answers.get(i);
                batch = batches.get(i);
            }
            f.complete(batch.stream().map(String::toUpperCase).toList());
        }
    }

    @Test
    public void anItemSubmittedWhenNothingIsOnItsWayIsSentAtOnceAlone() {
        Sender sender = new Sender();
        Batcher<String, String> batcher = new Batcher<>(sender::send, 2, 10);
        CompletableFuture<String> a = batcher.submit("a");
        assertEquals(List.of(List.of("a")), sender.batches);
        sender.answer(0);
        assertEquals("A", a.join());
    }

    @Test
    public void itemsSubmittedWhileTheWindowIsFullGoTogetherInOrderWhenABatchReturns() {
        Sender sender = new Sender();
        Batcher<String, String> batcher = new Batcher<>(sender::send, 2, 10);
        CompletableFuture<String> a = batcher.submit("a");
        CompletableFuture<String> b = batcher.submit("b");
        CompletableFuture<String> c = batcher.submit("c");
        CompletableFuture<String> d = batcher.submit("d");
        CompletableFuture<String> e = batcher.submit("e");
        assertEquals(List.of(List.of("a"), List.of("b")), sender.batches); // two on their way, three wait
        assertFalse(c.isDone());

        sender.answer(1);
        assertEquals("B", b.join());
        assertEquals(List.of("c", "d", "e"), sender.batches.get(2));
        assertFalse(a.isDone());
        sender.answer(0);
        assertEquals("A", a.join());
        assertEquals(3, sender.batches.size()); // nothing waits: no empty batch is sent
        sender.answer(2);
        assertEquals(List.of("C", "D", "E"), List.of(c.join(), d.join(), e.join()));

        batcher.submit("f");
        assertEquals(List.of("f"), sender.batches.get(3)); // the window is free again: sent at once
    }

    @Test
    public void aBatchHoldsAtMostMaxBatchItems() {
        Sender sender = new Sender();
        Batcher<String, String> batcher = new Batcher<>(sender::send, 1, 2);
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (String s : List.of("a", "b", "c", "d", "e", "f")) {
            results.add(batcher.submit(s));
        }
        sender.answer(0);
        assertEquals(List.of("b", "c"), sender.batches.get(1));
        sender.answer(1);
        assertEquals(List.of("d", "e"), sender.batches.get(2));
        sender.answer(2);
        assertEquals(List.of("f"), sender.batches.get(3));
        sender.answer(3);
        assertEquals(List.of("A", "B", "C", "D", "E", "F"), results.stream().map(CompletableFuture::join).toList());
    }

    @Test
    public void aFailedBatchFailsEachOfItsItemsAndTheNextBatchStillGoes() {
        Sender sender = new Sender();
        Batcher<String, String> batcher = new Batcher<>(sender::send, 1, 10);
        CompletableFuture<String> a = batcher.submit("a");
        CompletableFuture<String> b = batcher.submit("b");
        IllegalStateException noLeader = new IllegalStateException("no leader");
        sender.answers.get(0).completeExceptionally(noLeader);
        assertSame(noLeader, causeOf(a));
        assertEquals(List.of("b"), sender.batches.get(1));
        sender.answer(1);
        assertEquals("B", b.join());
    }

    @Test
    public void aSenderThatThrowsFailsItsItemsAndFreesTheWindow() {
        AtomicInteger calls = new AtomicInteger();
        IllegalStateException stopping = new IllegalStateException("stopping");
        Batcher<String, String> batcher = new Batcher<>(batch -> {
            if (calls.incrementAndGet() == 1) {
                throw stopping;
            }
            return CompletableFuture.completedFuture(batch);
        }, 1, 10);
        assertSame(stopping, causeOf(batcher.submit("a")));
        assertEquals("b", batcher.submit("b").join());
    }

    @Test
    public void aResultCountThatDoesNotMatchTheBatchFailsEveryItem() {
        Batcher<String, String> batcher = new Batcher<>(batch -> CompletableFuture.completedFuture(List.of()), 1, 10);
        assertTrue(causeOf(batcher.submit("a")) instanceof IllegalStateException);
    }

    @Test
    public void everyItemOfManyThreadsIsAnsweredWithItsOwnResult() throws Exception {
        Batcher<String, String> batcher = new Batcher<>(batch -> CompletableFuture.supplyAsync(
                () -> batch.stream().map(String::toUpperCase).toList()), 2, 7);
        int threads = 8;
        int each = 500;
        CountDownLatch done = new CountDownLatch(threads);
        AtomicInteger wrong = new AtomicInteger();
        for (int t = 0; t < threads; t++) {
            int id = t;
            new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    String item = "t" + id + "-" + i;
                    if (!batcher.submit(item).join().equals(item.toUpperCase())) {
                        wrong.incrementAndGet();
                    }
                }
                done.countDown();
            }).start();
        }
        assertTrue("the items were not all answered", done.await(60, TimeUnit.SECONDS));
        assertEquals(0, wrong.get());
    }

    private static Throwable causeOf(CompletableFuture<String> f) {
        try {
            f.join();
            fail("completed normally");
            return null;
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
