package lockserver.server.journal;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import lockserver.core.Expiry;
import lockserver.core.LockException;
import lockserver.core.LockListener;
import lockserver.core.RestoredDelay;
import lockserver.core.RestoredTicket;
import lockserver.core.SlotRequest;
import lockserver.wire.Fault;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A write-ahead journal of ticket changes in DATA_DIR, so a restart (also after kill -9)
 * brings back every holder and queued ticket with its fencing token and deadlines.
 *
 * <p>Changes are queued in memory under each lock's monitor (no I/O there) and written by
 * one writer thread in that order, many per write and per fsync (group commit). A request
 * whose answer must not come before its changes are on the disk asks for {@link #durable()},
 * a future the writer completes once everything queued before it is written (and, with
 * {@code JOURNAL_FSYNC=always}, fsynced), or fails at once when the write fails: no thread
 * waits for the disk. Every 100,000 records the writer saves a snapshot and starts a new
 * journal file ({@link JournalFiles}); the format is {@link JournalFormat}'s.
 */
public final class Journal implements LockListener, Durability, AutoCloseable {
    private static final Logger log = LogManager.getLogger(Journal.class);
    /** One line per record written, in journal order: the server's own grant log, for audits and checkers. */
    private static final Logger records = LogManager.getLogger("lockserver.journal.records");

    private static final int SNAPSHOT_EVERY = 100_000;
    private static final int MAX_BATCH = 4096;
    private static final long FSYNC_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The writer's longest sleep with nothing to do: the wake-ups are what it relies on. */
    private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Fsync fsync;
    private final JournalState state;
    private final JournalFiles files;
    private final MpscQueue<Change> queue = new MpscQueue<>(new Change(false));
    private final ChangePool pool = new ChangePool(); // the batching thread's
    private final Thread writer;
    private final ExecutorService answering = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "journal-answers");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean writerIdle;
    private volatile Thread batching; // in batch(): its changes do not wake the writer one by one
    private boolean batchAppended; // within one batch, its thread's: it queued a change
    private volatile boolean closing;

    private Journal(Fsync fsync, JournalState state, JournalFiles files) {
        this.fsync = fsync;
        this.state = state;
        this.files = files;
        this.writer = new Thread(this::writeLoop, "journal");
        writer.setDaemon(true);
    }

    /** Opens DATA_DIR, taking its lock and reading back snapshot and journal; {@link #start} starts writing. */
    public static Journal open(Path dir, Fsync fsync) throws IOException {
        JournalState state = new JournalState();
        JournalFiles files = JournalFiles.open(dir, state);
        log.info("journal {}: {} ticket(s) to restore, fsync {}", dir, state.ticketCount(),
                fsync.name().toLowerCase(Locale.ROOT));
        return new Journal(fsync, state, files);
    }

    // ---- what the restart restores (before start) ----

    public List<RestoredTicket> restoredTickets() {
        return state.restoredTickets(System.currentTimeMillis());
    }

    /** The slots LOCK_DELAY still keeps closed. */
    public List<RestoredDelay> restoredDelays() {
        return state.restoredDelays(System.currentTimeMillis());
    }

    public Map<String, Long> lastTokens() {
        return state.lastTokens();
    }

    public Map<String, Integer> remoteLocks() {
        return state.createdLocks();
    }

    public void start() {
        writer.start();
    }

    // ---- listener: runs under lock monitors, only queues ----

    @Override
    public void queued(String lock, String ticket, String info, String key, SlotRequest request) {
        enqueue(change().set(Change.Kind.QUEUED, ticket, lock, info, 0, JournalFormat.pack(request)).key(key));
    }

    @Override
    public void granted(String lock, String ticket, long token, long waitedNanos) {
        enqueue(change().set(Change.Kind.GRANTED, ticket, lock, null, token, System.currentTimeMillis()));
    }

    @Override
    public void claimed(String lock, String ticket) {
        enqueue(change().set(Change.Kind.CLAIMED, ticket, lock, null, 0, 0));
    }

    @Override
    public void released(String lock, String ticket, boolean wasGranted) {
        enqueue(change().set(Change.Kind.REMOVED, ticket, lock, null, 0, 0));
    }

    @Override
    public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
        enqueue(change().set(Change.Kind.REMOVED, ticket, lock, null, 0, 0));
    }

    /** A claim record with the reason: until when, on the wall clock, the holder may keep its slots. */
    @Override
    public void revoked(String lock, String ticket, String reason, long afterNanos) {
        long until = System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(afterNanos);
        enqueue(change().set(Change.Kind.CLAIMED, ticket, lock, reason, 0, until));
    }

    /** Written after the expiry's REMOVED: until when, on the wall clock, the slots stay closed. */
    @Override
    public void delayed(String lock, String ticket, int slots, long delayNanos) {
        long until = System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(delayNanos) + 1; // rounded up
        enqueue(change().set(Change.Kind.REMOVED, ticket, lock, null, slots, until));
    }

    @Override
    public void lockCreated(String lock, int size) {
        enqueue(change().set(Change.Kind.LOCK_CREATED, null, lock, null, 0, size));
    }

    @Override
    public CompletableFuture<Void> durable() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Change sync = new Change(false).set(Change.Kind.SYNC, null, null, null, 0, 0);
        sync.done = done;
        enqueue(sync);
        return done;
    }

    /** A change to fill: one taken back from an earlier batch when this thread is batching. */
    private Change change() {
        return Thread.currentThread() == batching ? pool.take() : new Change(false);
    }

    private void enqueue(Change c) {
        queue.offer(c);
        if (Thread.currentThread() == batching) {
            batchAppended = true;
            return; // nobody awaits a batch's changes, and the writer is woken at its end
        }
        VarHandle.fullFence(); // the link is seen before writerIdle is read, or the writer could sleep past it
        if (writerIdle) {
            LockSupport.unpark(writer);
        }
    }

    /**
     * Wakes the writer once, at the end, instead of at the batch's first change: a wake-up
     * can take the core from the thread that woke it for milliseconds (a tick ending 2,400
     * tickets took 1.5-2 times its CPU time in wall time). A request that asks for
     * {@link #durable()} still wakes it at once; changes are written in order, so the
     * batch's go first. Batches must not overlap (the lifecycle thread is the only caller).
     */
    @Override
    public void batch(Runnable work) {
        batchAppended = false;
        batching = Thread.currentThread();
        pool.forget(); // never an earlier batch's chain: that may have been another thread's
        try {
            work.run();
        } finally {
            pool.forget(); // what is left over is garbage, made outside any tick
            batching = null;
            VarHandle.fullFence(); // as in enqueue
            if (batchAppended && writerIdle) {
                LockSupport.unpark(writer);
            }
        }
    }

    // ---- the writer thread ----

    private void writeLoop() {
        List<Change> batch = new ArrayList<>(1024);
        List<CompletableFuture<Void>> syncs = new ArrayList<>();
        JournalFormat format = new JournalFormat();
        long retryAt = -1; // where a failed append started, to write over what it left (a torn frame)
        long lastForce = System.nanoTime();
        boolean unforced = false;
        while (true) {
            Change c;
            while (batch.size() + syncs.size() < MAX_BATCH && (c = queue.poll()) != null) {
                if (c.kind == Change.Kind.SYNC) {
                    syncs.add(c.done);
                    c.done = null;
                } else {
                    batch.add(c);
                }
            }
            if (batch.isEmpty() && syncs.isEmpty()) {
                if (closing) {
                    break;
                }
                if (unforced && fsync == Fsync.INTERVAL && System.nanoTime() - lastForce >= FSYNC_INTERVAL_NANOS) {
                    unforced = !force();
                    lastForce = System.nanoTime();
                }
                idle(unforced && fsync == Fsync.INTERVAL
                        ? Math.max(1_000_000, lastForce + FSYNC_INTERVAL_NANOS - System.nanoTime()) : IDLE_WAIT_NANOS);
                continue;
            }
            if (!batch.isEmpty()) {
                try {
                    long at = retryAt >= 0 ? retryAt : files.end();
                    retryAt = at;
                    format.reset();
                    for (Change change : batch) {
                        format.add(change);
                        state.apply(change); // idempotent: a retried batch applies again harmlessly
                    }
                    files.append(format, at, batch.size(), fsync == Fsync.ALWAYS);
                    unforced |= fsync != Fsync.ALWAYS;
                    retryAt = -1;
                } catch (IOException | RuntimeException e) {
                    LockException fault = new LockException(Fault.INTERNAL, "the journal cannot be written ("
                            + e + "); the server log has the details");
                    answer(List.copyOf(syncs), fault);
                    syncs.clear();
                    if (closing) {
                        log.error("stopping with {} change(s) not in the journal in {}", batch.size(), files.dir(), e);
                        break;
                    }
                    log.error("cannot write the journal in {}; calls that change state fail until it can, "
                            + "trying again in 1 s", files.dir(), e);
                    LockSupport.parkNanos(this, RETRY_NANOS); // close() wakes it
                    continue;
                }
                written(batch);
                batch.clear();
                if (files.recordsInFile() >= SNAPSHOT_EVERY) {
                    rotate(format);
                }
            }
            if (!syncs.isEmpty()) {
                answer(List.copyOf(syncs), null);
                syncs.clear();
            }
        }
        if (fsync != Fsync.ALWAYS) {
            force();
        }
    }

    /**
     * Completes a batch's promises on the answering thread, so that the answers (rendered
     * and written to their connections as the futures complete) do not hold up the next
     * write: one hand-off per batch, not per call.
     */
    private void answer(List<CompletableFuture<Void>> promises, LockException failure) {
        Runnable complete = () -> {
            for (CompletableFuture<Void> p : promises) {
                if (failure == null) {
                    p.complete(null);
                } else {
                    p.completeExceptionally(failure);
                }
            }
        };
        try {
            answering.execute(complete);
        } catch (RejectedExecutionException closed) {
            complete.run();
        }
    }

    /** Parks until woken by an enqueue, a batch's end or close, or for {@code nanos} at most. */
    private void idle(long nanos) {
        writerIdle = true;
        VarHandle.fullFence(); // pairs with enqueue's: either it sees writerIdle or this sees its change
        if (!queue.hasNext() && !closing) {
            if (queue.maybeMore()) {
                // a producer has swapped itself in but not linked yet; if it is a batch's, it would
                // wake nobody, and a request's change queued behind it would wait for the batch's
                // end (yield, not a busy spin: on one core the producer needs this thread off it)
                writerIdle = false;
                Thread.yield();
                return;
            }
            LockSupport.parkNanos(this, nanos);
        }
        writerIdle = false;
    }

    /** Logs the batch's records, and gives its reusable changes back to the batching thread. */
    private void written(List<Change> batch) {
        if (records.isDebugEnabled()) {
            for (Change c : batch) {
                records.debug(c.describe());
            }
        }
        Change first = null;
        Change last = null;
        for (Change c : batch) {
            if (c.reusable && !queue.isHead(c)) { // the head is still the queue's
                c.clear();
                c.next = first;
                first = c;
                last = last == null ? c : last;
            }
        }
        if (first != null) {
            pool.giveBack(first, last);
        }
    }

    private void rotate(JournalFormat format) {
        try {
            files.rotate(state, format);
        } catch (IOException e) {
            log.error("cannot write a journal snapshot in {}; the journal keeps growing", files.dir(), e);
            files.postponeRotation();
        }
    }

    private boolean force() {
        try {
            files.force();
            return true;
        } catch (IOException e) {
            log.error("cannot fsync the journal in {}", files.dir(), e);
            return false;
        }
    }

    /** Writes what is queued and stops the writer; a journal that cannot be written does not hold it up. */
    @Override
    public void close() throws InterruptedException, IOException {
        closing = true;
        LockSupport.unpark(writer);
        if (writer.isAlive()) {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        }
        answering.shutdown();
        answering.awaitTermination(5, TimeUnit.SECONDS);
        files.close();
    }
}
