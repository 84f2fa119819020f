package lockserver.server.journal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.Test;

public class MpscQueueTest {
    private static final class Item extends MpscQueue.Node<Item> {
        final int producer;
        final int seq;

        Item(int producer, int seq) {
            this.producer = producer;
            this.seq = seq;
        }
    }

    @Test
    public void pollsInOfferOrderAndKeepsTheLastPolledAsHead() {
        MpscQueue<Item> q = new MpscQueue<>(new Item(-1, -1));
        assertFalse(q.hasNext());
        assertFalse(q.maybeMore());
        Item a = new Item(0, 0);
        Item b = new Item(0, 1);
        q.offer(a);
        q.offer(b);
        assertTrue(q.hasNext());
        assertSame(a, q.poll());
        assertTrue(q.isHead(a));
        assertSame(b, q.poll());
        assertTrue(q.isHead(b));
        assertFalse(q.isHead(a));
        assertNull(q.poll());
        assertFalse(q.maybeMore());
    }

    @Test(timeout = 60_000)
    public void manyProducersLoseNothingAndKeepEachProducersOrder() throws Exception {
        int producers = 4;
        int each = 50_000;
        MpscQueue<Item> q = new MpscQueue<>(new Item(-1, -1));
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int id = p;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    q.offer(new Item(id, i));
                }
            });
            t.start();
            threads.add(t);
        }
        go.countDown();
        int[] next = new int[producers];
        int seen = 0;
        while (seen < producers * each) {
            Item it = q.poll();
            if (it == null) {
                Thread.onSpinWait();
                continue;
            }
            assertEquals("producer " + it.producer + "'s items in order", next[it.producer], it.seq);
            next[it.producer]++;
            seen++;
        }
        for (Thread t : threads) {
            t.join();
        }
        assertNull(q.poll());
        assertFalse(q.maybeMore());
    }
}
