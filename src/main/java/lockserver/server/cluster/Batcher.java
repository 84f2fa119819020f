package lockserver.server.cluster;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit: items submitted while {@code maxInFlight} batches are on their way wait and
 * go together in the next batch (at most {@code maxBatch} items), sent as soon as a batch
 * returns. Under no load an item is sent at once, alone; under load one send carries many.
 * Each item's future completes with its own result, or with the batch's error. Items keep
 * their submission order within and across batches. Thread-safe; the sender is called
 * outside any lock, and must answer asynchronously (a batch's completion sends the next).
 *
 * @param <T> what is submitted
 * @param <R> what each item is answered
 */
final class Batcher<T, R> {
    private final Function<List<T>, CompletableFuture<List<R>>> sender;
    private final int maxInFlight;
    private final int maxBatch;
    private final ArrayDeque<Item<T, R>> waiting = new ArrayDeque<>(); // guarded by this
    private int inFlight; // guarded by this

    private record Item<T, R>(T value, CompletableFuture<R> result) {
    }

    /** @param sender sends a batch; its future holds one result per item, in order */
    Batcher(Function<List<T>, CompletableFuture<List<R>>> sender, int maxInFlight, int maxBatch) {
        this.sender = sender;
        this.maxInFlight = maxInFlight;
        this.maxBatch = maxBatch;
    }

    CompletableFuture<R> submit(T value) {
        CompletableFuture<R> result = new CompletableFuture<>();
        List<Item<T, R>> batch = null;
        synchronized (this) {
            waiting.add(new Item<>(value, result));
            if (inFlight < maxInFlight) {
                inFlight++;
                batch = take();
            }
        }
        if (batch != null) {
            send(batch);
        }
        return result;
    }

    private void send(List<Item<T, R>> batch) {
        List<T> values = new ArrayList<>(batch.size());
        batch.forEach(i -> values.add(i.value()));
        CompletableFuture<List<R>> sent;
        try {
            sent = sender.apply(values);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((results, error) -> {
            try {
                answer(batch, results, error);
            } finally {
                List<Item<T, R>> next;
                synchronized (this) {
                    next = waiting.isEmpty() ? null : take();
                    if (next == null) {
                        inFlight--;
                    }
                }
                if (next != null) {
                    send(next);
                }
            }
        });
    }

    private void answer(List<Item<T, R>> batch, List<R> results, Throwable error) {
        if (error == null && results.size() != batch.size()) {
            error = new IllegalStateException(batch.size() + " items sent, " + results.size() + " results");
        }
        for (int i = 0; i < batch.size(); i++) {
            if (error != null) {
                batch.get(i).result().completeExceptionally(error);
            } else {
                batch.get(i).result().complete(results.get(i));
            }
        }
    }

    private List<Item<T, R>> take() { // under this
        List<Item<T, R>> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
        while (!waiting.isEmpty() && batch.size() < maxBatch) {
            batch.add(waiting.poll());
        }
        return batch;
    }
}
