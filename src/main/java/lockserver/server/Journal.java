package lockserver.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import lockserver.core.Expiry;
import lockserver.wire.Fault;
import lockserver.core.LockException;
import lockserver.core.LockListener;
import lockserver.core.RestoredTicket;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * A write-ahead journal of ticket changes in DATA_DIR, so a restart (also after kill -9)
 * brings back every holder and queued ticket with its fencing token and deadlines.
 *
 * <p>Changes are queued in memory under each lock's monitor (no I/O there) and written by
 * one writer thread in that order, many per write and per fsync (group commit). A request
 * that changed state waits in {@link #awaitWritten()} until its changes are written (and,
 * with {@code JOURNAL_FSYNC=always}, fsynced) before it is answered. Every 100,000 records
 * the writer saves a snapshot of the live state and starts a new, empty journal file.
 * Records are framed with their length and CRC-32C: a torn last record is dropped with a
 * warning. One server per DATA_DIR, enforced with a file lock.
 */
final class Journal implements LockListener, Durability, AutoCloseable {
    private static final Logger log = LogManager.getLogger(Journal.class);
    /** One line per record written, in journal order: the server's own grant log, for audits and checkers. */
    private static final Logger records = LogManager.getLogger("lockserver.journal.records");

    enum Fsync {
        /** fsync before answering: survives power loss; costs one fsync per batch of requests */
        ALWAYS,
        /** write before answering, fsync every second: survives a crash of the server, not of the machine */
        INTERVAL,
        /** write before answering, leave fsync to the OS */
        NEVER
    }

    private static final int SNAPSHOT_EVERY = 100_000;
    private static final int MAX_RECORD = 1 << 20;
    private static final long WAIT_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long FSYNC_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The writer's longest sleep with nothing to do: the wake-ups are what it relies on. */
    private static final long IDLE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /**
     * One change. Fields a..c, x and token are used as each type needs; {@code written} flips
     * once. A grant's token stays a long until the writer frames it (the file has it as text).
     * A batch's records are reused (see {@link #recycled}); the fields are set before the
     * record is queued, and the queue's swap and link publish them to the writer.
     */
    private static final class Rec {
        byte type;
        String a;
        String b;
        String c;
        long x;
        long token;
        final boolean reusable; // made for a batch: nobody awaits it, and it goes back for reuse once written
        volatile boolean written;
        volatile Thread waiter;
        Rec next; // the next record in the queue (set once per use, through NEXT), or in the recycled chain

        Rec(boolean reusable) {
            this.reusable = reusable;
        }

        Rec set(char type, String a, String b, String c, long x, long token) {
            this.type = (byte) type;
            this.a = a;
            this.b = b;
            this.c = c;
            this.x = x;
            this.token = token;
            return this;
        }
    }

    /** The live state as the journal knows it; touched by the opening thread, then by the writer only. */
    private static final class Shadow {
        static final class Entry {
            final String lock;
            final String info;
            boolean granted;
            long token;
            long grantedWallMillis;
            boolean claimed;

            Entry(String lock, String info) {
                this.lock = lock;
                this.info = info;
            }
        }

        final LinkedHashMap<String, Entry> tickets = new LinkedHashMap<>();
        final Map<String, Long> lastTokens = new LinkedHashMap<>();
        final Map<String, Integer> remoteLocks = new LinkedHashMap<>();

        void apply(byte type, String a, String b, String c, long x, long token) {
            switch (type) {
                case 'Q' -> tickets.put(a, new Entry(b, c));
                case 'G' -> {
                    Entry e = tickets.get(a);
                    if (e != null) {
                        e.granted = true;
                        e.token = token;
                        e.grantedWallMillis = x;
                        e.claimed = false;
                    }
                    lastTokens.merge(b, token, Math::max);
                }
                case 'C' -> {
                    Entry e = tickets.get(a);
                    if (e != null) {
                        e.claimed = true;
                    }
                }
                case 'X' -> tickets.remove(a);
                case 'L' -> remoteLocks.put(a, (int) x);
                case 'T' -> lastTokens.merge(a, x, Math::max);
                case 'H' -> {
                    // snapshot header: its generation is read by open()
                }
                default -> throw new IllegalArgumentException("unknown record type " + (char) type);
            }
        }
    }

    private final Path dir;
    private final Fsync fsync;
    private final FileChannel dirLock;
    private final Shadow shadow = new Shadow();
    // The records not yet written, in order: linked through Rec.next, with no node per record
    // (Vyukov's queue for many producers and one consumer). A producer swaps itself in as
    // the tail, then links the old tail to itself; until it has, the writer sees the
    // queue end there. head is the writer's: the last record it took, a stub at first.
    private volatile Rec tail = new Rec(false).set('-', null, null, null, 0, 0);
    private Rec head = tail;
    // A batch's records, once written, come back for the next batches: a tick makes thousands,
    // and their garbage made young collections start inside ticks. The writer pushes written
    // ones as a chain (linked through Rec.next); the batching thread takes the whole chain
    // when its own runs out. One batching thread at a time (the lifecycle thread).
    private final AtomicReference<Rec> recycled = new AtomicReference<>();
    private Rec spare; // within one batch, its thread's: reusable records taken from recycled
    private boolean batchAppended; // within one batch, its thread's: it queued a record
    private final ThreadLocal<Rec> lastOfThread = new ThreadLocal<>();
    private final Thread writer;
    private FileChannel out; // writer thread only, after start
    private long generation;
    private long recordsInFile;
    private volatile boolean writerIdle;
    private volatile Thread batching; // in batch(): its records do not wake the writer one by one
    private volatile boolean closing;
    private volatile String failure;

    private static final VarHandle TAIL;
    private static final VarHandle NEXT;

    static {
        try {
            TAIL = MethodHandles.lookup().findVarHandle(Journal.class, "tail", Rec.class);
            NEXT = MethodHandles.lookup().findVarHandle(Rec.class, "next", Rec.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Journal(Path dir, Fsync fsync, FileChannel dirLock) {
        this.dir = dir;
        this.fsync = fsync;
        this.dirLock = dirLock;
        this.writer = new Thread(this::writeLoop, "journal");
        writer.setDaemon(true);
    }

    /** Opens DATA_DIR, taking its lock and reading back snapshot and journal. */
    static Journal open(Path dir, Fsync fsync) throws IOException {
        try {
            return openOrFail(dir, fsync);
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof java.nio.file.AccessDeniedException) {
                why = "permission denied: " + why;
            }
            throw new IOException("DATA_DIR " + dir + ": " + why, e);
        }
    }

    private static Journal openOrFail(Path dir, Fsync fsync) throws IOException {
        Files.createDirectories(dir);
        FileChannel lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock held;
        try {
            held = lockFile.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException sameProcess) {
            held = null;
        }
        if (held == null) {
            lockFile.close();
            throw new IOException("in use by another lockserver");
        }
        Journal j = new Journal(dir, fsync, lockFile);
        j.recover();
        return j;
    }

    private void recover() throws IOException {
        Path snapshot = dir.resolve("snapshot");
        if (Files.exists(snapshot)) {
            try (InputStream in = Files.newInputStream(snapshot)) {
                DataInputStream data = new DataInputStream(in);
                long[] gen = {-1};
                long good = read(data, (type, a, b, c, x, token) -> {
                    if (type == 'H') {
                        gen[0] = x;
                    }
                    shadow.apply(type, a, b, c, x, token);
                });
                if (gen[0] < 0 || good != Files.size(snapshot)) {
                    throw new IOException(snapshot + " is damaged; move it away to start from the journal alone");
                }
                generation = gen[0];
            }
        }
        Path file = journalFile(generation);
        long good = 0;
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                good = read(new DataInputStream(in), (type, a, b, c, x, token) -> {
                    shadow.apply(type, a, b, c, x, token);
                    recordsInFile++;
                });
            }
            long size = Files.size(file);
            if (good < size) {
                log.warn("{}: dropped a torn or damaged record at byte {} of {} (the write the server was making "
                        + "when it stopped)", file, good, size);
            }
        }
        out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        out.truncate(good);
        out.position(good);
        log.info("journal {}: {} ticket(s) to restore, fsync {}", dir, shadow.tickets.size(),
                fsync.name().toLowerCase(Locale.ROOT));
    }

    private Path journalFile(long gen) {
        return dir.resolve("journal." + gen);
    }

    // ---- what the restart restores ----

    List<RestoredTicket> restoredTickets() {
        long nowMillis = System.currentTimeMillis();
        List<RestoredTicket> out = new ArrayList<>(shadow.tickets.size());
        shadow.tickets.forEach((id, e) -> out.add(new RestoredTicket(id, e.lock, e.info, e.granted, e.token,
                e.granted ? TimeUnit.MILLISECONDS.toNanos(Math.max(0, nowMillis - e.grantedWallMillis)) : 0,
                e.claimed)));
        return out;
    }

    Map<String, Long> lastTokens() {
        return Map.copyOf(shadow.lastTokens);
    }

    Map<String, Integer> remoteLocks() {
        return Map.copyOf(shadow.remoteLocks);
    }

    void start() {
        writer.start();
    }

    // ---- listener: runs under lock monitors, only queues ----

    @Override
    public void queued(String lock, String ticket, String info) {
        enqueue(rec('Q', ticket, lock, info, 0, 0));
    }

    @Override
    public void granted(String lock, String ticket, long token, long waitedNanos) {
        enqueue(rec('G', ticket, lock, null, System.currentTimeMillis(), token));
    }

    @Override
    public void claimed(String lock, String ticket) {
        enqueue(rec('C', ticket, null, null, 0, 0));
    }

    @Override
    public void released(String lock, String ticket, boolean wasGranted) {
        enqueue(rec('X', ticket, null, null, 0, 0));
    }

    @Override
    public void expired(String lock, String ticket, Expiry.Cause cause, boolean wasGranted) {
        enqueue(rec('X', ticket, null, null, 0, 0));
    }

    @Override
    public void lockCreated(String lock, int size) {
        enqueue(rec('L', lock, null, null, size, 0));
    }

    /** A record to queue: one taken back from an earlier batch when this thread is batching. */
    private Rec rec(char type, String a, String b, String c, long x, long token) {
        if (Thread.currentThread() != batching) {
            return new Rec(false).set(type, a, b, c, x, token);
        }
        Rec r = spare;
        if (r == null) {
            r = recycled.getAndSet(null);
            if (r == null) {
                return new Rec(true).set(type, a, b, c, x, token);
            }
        }
        spare = r.next;
        r.next = null;
        return r.set(type, a, b, c, x, token);
    }

    private void enqueue(Rec r) {
        Rec prev = (Rec) TAIL.getAndSet(this, r);
        NEXT.setRelease(prev, r);
        if (Thread.currentThread() == batching) {
            batchAppended = true;
            return; // nobody awaits a batch's records, and the writer is woken at its end
        }
        lastOfThread.set(r);
        VarHandle.fullFence(); // the link is seen before writerIdle is read, or the writer could sleep past it
        if (writerIdle) {
            LockSupport.unpark(writer);
        }
    }

    /**
     * Wakes the writer once, at the end, instead of at the batch's first record: a wake-up
     * can take the core from the thread that woke it for milliseconds (a tick ending 2,400
     * tickets took 1.5-2 times its CPU time in wall time). A request that waits for its own
     * record (a granted waiter's claim) still wakes it at once; records are written in
     * order, so the batch's go first. Batches must not overlap (the lifecycle thread is the
     * only caller): a batch's reused records are kept in fields for its thread.
     */
    @Override
    public void batch(Runnable work) {
        batchAppended = false;
        batching = Thread.currentThread();
        spare = null; // never an earlier batch's chain: that may have been another thread's
        try {
            work.run();
        } finally {
            spare = null; // what is left over is garbage, made outside any tick
            batching = null;
            VarHandle.fullFence(); // as in enqueue
            if (batchAppended && writerIdle) { // (not "tail moved": a reused record can be the old tail)
                LockSupport.unpark(writer);
            }
        }
    }

    @Override
    public void awaitWritten() {
        Rec r = lastOfThread.get();
        if (r == null) {
            return;
        }
        lastOfThread.remove();
        if (r.written) {
            return;
        }
        r.waiter = Thread.currentThread();
        long deadline = System.nanoTime() + WAIT_LIMIT_NANOS;
        while (!r.written) {
            long left = deadline - System.nanoTime();
            if (failure != null || left <= 0) {
                throw new LockException(Fault.INTERNAL, "the journal cannot be written"
                        + (failure == null ? "" : ": " + failure) + "; the server log has the details");
            }
            LockSupport.parkNanos(this, left);
        }
    }

    // ---- the writer thread ----

    private void writeLoop() {
        List<Rec> batch = new ArrayList<>(1024);
        Framer framer = new Framer();
        long batchStart = -1; // where the batch being written starts in the file, until it is written
        long lastForce = System.nanoTime();
        boolean unforced = false;
        while (true) {
            Rec r;
            while (batch.size() < 4096 && (r = (Rec) NEXT.getAcquire(head)) != null) {
                head.next = null; // a record a thread still holds (lastOfThread) must not hold the ones after it
                head = r;
                batch.add(r);
            }
            if (batch.isEmpty()) {
                if (closing) {
                    break;
                }
                if (unforced && fsync == Fsync.INTERVAL && System.nanoTime() - lastForce >= FSYNC_INTERVAL_NANOS) {
                    unforced = !force();
                    lastForce = System.nanoTime();
                }
                writerIdle = true;
                VarHandle.fullFence(); // pairs with enqueue's: either it sees writerIdle or this sees its record
                if (NEXT.getAcquire(head) == null && !closing) {
                    if (tail != head) {
                        // a producer has swapped itself in but not linked yet; if it is a batch's,
                        // it would wake nobody, and a request's record queued behind it would wait
                        // for the batch's end. (yield, not a busy spin: on one core the producer
                        // needs this thread off it to finish)
                        writerIdle = false;
                        Thread.yield();
                        continue;
                    }
                    // an enqueue, a batch's end or close wakes it; the timeout is only a safety net
                    LockSupport.parkNanos(this, unforced && fsync == Fsync.INTERVAL
                            ? Math.max(1_000_000, lastForce + FSYNC_INTERVAL_NANOS - System.nanoTime())
                            : IDLE_WAIT_NANOS);
                }
                writerIdle = false;
                continue;
            }
            try {
                if (batchStart < 0) {
                    batchStart = out.position();
                } else { // a retry: write over what the failed write left (a torn frame), not after it
                    out.truncate(batchStart);
                    out.position(batchStart);
                }
                framer.reset();
                for (Rec rec : batch) {
                    framer.add(rec.type, rec.a, rec.b, rec.type == 'G' ? Long.toString(rec.token) : rec.c, rec.x);
                    shadow.apply(rec.type, rec.a, rec.b, rec.c, rec.x, rec.token);
                }
                framer.writeTo(out);
                if (fsync == Fsync.ALWAYS) {
                    out.force(false);
                } else {
                    unforced = true;
                }
                failure = null;
                batchStart = -1;
            } catch (IOException | RuntimeException e) {
                failure = e.toString();
                log.error("cannot write the journal in {}; requests that change state wait up to 30 s, then fail",
                        dir, e);
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
                continue; // try the same batch again; the shadow re-applies idempotently
            }
            if (records.isDebugEnabled()) {
                for (Rec rec : batch) {
                    records.debug(describe(rec));
                }
            }
            Rec chain = null;
            Rec chainEnd = null;
            for (Rec rec : batch) {
                if (rec.reusable) {
                    if (rec != head) { // head is still the queue's stub
                        rec.a = rec.b = rec.c = null;
                        rec.next = chain;
                        chain = rec;
                        chainEnd = chainEnd == null ? rec : chainEnd;
                    }
                    continue;
                }
                rec.written = true;
                Thread w = rec.waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
            if (chain != null) {
                Rec top;
                do {
                    top = recycled.get();
                    chainEnd.next = top;
                } while (!recycled.compareAndSet(top, chain));
            }
            recordsInFile += batch.size();
            batch.clear();
            if (recordsInFile >= SNAPSHOT_EVERY) {
                try {
                    snapshot(framer);
                } catch (IOException e) {
                    log.error("cannot write a journal snapshot in {}; the journal keeps growing", dir, e);
                    recordsInFile = 0;
                }
            }
        }
        force();
    }

    /** The log line of a record: {@code TYPE key=value ...}, the ticket's info left out. */
    private static String describe(Rec r) {
        return switch (r.type) {
            case 'Q' -> "queued lock=" + r.b + " ticket=" + r.a;
            case 'G' -> "granted lock=" + r.b + " ticket=" + r.a + " token=" + r.token + " at=" + r.x;
            case 'C' -> "claimed ticket=" + r.a;
            case 'X' -> "removed ticket=" + r.a;
            case 'L' -> "created lock=" + r.a + " size=" + r.x;
            default -> "record " + (char) r.type;
        };
    }

    private boolean force() {
        try {
            out.force(false);
            return true;
        } catch (IOException e) {
            log.error("cannot fsync the journal in {}", dir, e);
            return false;
        }
    }

    /**
     * Saves the live state as the new base and starts an empty journal file. The snapshot
     * goes to the file in 64 KB pieces: built whole in memory, 100,000 tickets made a burst
     * of garbage that pushed live tickets into the old generation and ended in a full GC.
     */
    private void snapshot(Framer framer) throws IOException {
        long next = generation + 1;
        Path tmp = dir.resolve("snapshot.tmp");
        try (FileChannel f = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            framer.reset();
            framer.add((byte) 'H', null, null, null, next);
            for (Map.Entry<String, Long> e : shadow.lastTokens.entrySet()) {
                framer.add((byte) 'T', e.getKey(), null, null, e.getValue());
                framer.writeToIfFull(f);
            }
            for (Map.Entry<String, Integer> e : shadow.remoteLocks.entrySet()) {
                framer.add((byte) 'L', e.getKey(), null, null, e.getValue());
                framer.writeToIfFull(f);
            }
            for (Map.Entry<String, Shadow.Entry> e : shadow.tickets.entrySet()) {
                Shadow.Entry t = e.getValue();
                framer.add((byte) 'Q', e.getKey(), t.lock, t.info, 0);
                if (t.granted) {
                    framer.add((byte) 'G', e.getKey(), t.lock, Long.toString(t.token), t.grantedWallMillis);
                    if (t.claimed) {
                        framer.add((byte) 'C', e.getKey(), null, null, 0);
                    }
                }
                framer.writeToIfFull(f);
            }
            framer.writeTo(f);
            f.force(true);
        }
        FileChannel nextFile = FileChannel.open(journalFile(next), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            Files.move(tmp, dir.resolve("snapshot"), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve("snapshot"), StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory();
        FileChannel old = out;
        out = nextFile;
        old.close();
        Files.deleteIfExists(journalFile(generation));
        generation = next;
        recordsInFile = 0;
        log.debug("journal snapshot {} with {} live ticket(s)", next, shadow.tickets.size());
    }

    private void syncDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // not every file system lets a directory be synced; the rename is still atomic
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        closing = true;
        LockSupport.unpark(writer);
        if (writer.isAlive()) {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        }
        out.close();
        dirLock.close();
    }

    // ---- the file format: [int length][int crc32c][type][fields] ----

    private interface Sink {
        /** {@code token} is a grant's token, read from its text in c; 0 for other types. */
        void accept(byte type, String a, String b, String c, long x, long token);
    }

    /** Frames records into buffers it reuses, so the writer makes no garbage per record. */
    private static final class Framer {
        private final Bytes body = new Bytes(256);
        private final DataOutputStream bodyData = new DataOutputStream(body);
        private final Bytes frames = new Bytes(64 * 1024);
        private final DataOutputStream framesData = new DataOutputStream(frames);
        private final CRC32C crc = new CRC32C();

        void add(byte type, String a, String b, String c, long x) throws IOException {
            body.reset();
            bodyData.writeByte(type);
            bodyData.writeUTF(a == null ? "" : a);
            bodyData.writeUTF(b == null ? "" : b);
            bodyData.writeUTF(c == null ? "" : c);
            bodyData.writeLong(x);
            crc.reset();
            crc.update(body.array(), 0, body.size());
            framesData.writeInt(body.size());
            framesData.writeInt((int) crc.getValue());
            framesData.write(body.array(), 0, body.size());
        }

        /** Writes and forgets what it holds once that reaches 64 KB: for output of any size. */
        void writeToIfFull(FileChannel f) throws IOException {
            if (frames.size() >= 64 * 1024) {
                writeTo(f);
                reset();
            }
        }

        void reset() {
            frames.reset();
        }

        void writeTo(FileChannel f) throws IOException {
            writeFully(f, ByteBuffer.wrap(frames.array(), 0, frames.size()));
        }
    }

    private static final class Bytes extends ByteArrayOutputStream {
        Bytes(int size) {
            super(size);
        }

        byte[] array() {
            return buf;
        }
    }

    /** Reads frames until the end or the first bad one; returns the byte offset after the last good frame. */
    private static long read(DataInputStream in, Sink sink) throws IOException {
        long good = 0;
        while (true) {
            int length;
            try {
                length = in.readInt();
            } catch (EOFException end) {
                return good;
            }
            if (length < 1 || length > MAX_RECORD) {
                return good;
            }
            int crc;
            byte[] body = new byte[length];
            try {
                crc = in.readInt();
                in.readFully(body);
            } catch (EOFException torn) {
                return good;
            }
            CRC32C check = new CRC32C();
            check.update(body);
            if ((int) check.getValue() != crc) {
                return good;
            }
            DataInputStream p = new DataInputStream(new java.io.ByteArrayInputStream(body));
            byte type = p.readByte();
            String a = p.readUTF();
            String b = p.readUTF();
            String c = p.readUTF();
            long x = p.readLong();
            try {
                sink.accept(type, a, b, c, x, type == 'G' ? Long.parseLong(c) : 0);
            } catch (IllegalArgumentException unknown) {
                return good;
            }
            good += 8 + length;
        }
    }

    private static void writeFully(FileChannel f, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            f.write(buf);
        }
    }
}
