package lockserver.server.journal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import lockserver.core.SlotRequest;

/**
 * The file format of journal and snapshot, the same since 0.1.0: frames of
 * {@code [int length][int crc32c][byte type][utf a][utf b][utf c][long x]([utf d])}, where
 * type is the {@link Change.Kind} code and a, b, c, x, d hold the change's fields as
 * {@link #add(Change)} lays them out. A torn or damaged frame ends the readable part. Newer
 * fields only fill what older versions wrote empty (a removed record's LOCK_DELAY, a claim
 * record's revocation, which 0.1.0 reads as a claim) or follow x (d: a query's retry key),
 * where older versions do not read: each version reads the other's files.
 * An instance frames into buffers it reuses, so writing makes no garbage per record; it
 * belongs to one thread.
 */
final class JournalFormat {
    private static final int MAX_RECORD = 1 << 20;
    private static final int FLUSH_AT = 64 * 1024;

    private final Bytes body = new Bytes(256);
    private final DataOutputStream bodyData = new DataOutputStream(body);
    private final Bytes frames = new Bytes(FLUSH_AT);
    private final DataOutputStream framesData = new DataOutputStream(frames);
    private final CRC32C crc = new CRC32C();

    /** Frames a change after those already framed. */
    void add(Change c) throws IOException {
        switch (c.kind) {
            case QUEUED -> frame(c.kind, c.ticket, c.lock, c.info, c.number, c.key);
            case GRANTED -> frame(c.kind, c.ticket, c.lock, Long.toString(c.token), c.number);
            case CLAIMED -> frame(c.kind, c.ticket, null, c.info, c.info == null ? 0 : c.number);
            case REMOVED -> frame(c.kind, c.ticket, c.token == 0 ? null : c.lock,
                    c.token == 0 ? null : Long.toString(c.token), c.token == 0 ? 0 : c.number);
            case LOCK_CREATED -> frame(c.kind, c.lock, null, null, c.number);
            case LAST_TOKEN -> frame(c.kind, c.lock, null, null, c.token);
            case HEADER -> frame(c.kind, null, null, null, c.number);
            case SYNC -> throw new IllegalArgumentException("a sync is not a record");
        }
    }

    private void frame(Change.Kind kind, String a, String b, String c, long x) throws IOException {
        frame(kind, a, b, c, x, null);
    }

    private void frame(Change.Kind kind, String a, String b, String c, long x, String d) throws IOException {
        body.reset();
        bodyData.writeByte(kind.code);
        bodyData.writeUTF(a == null ? "" : a);
        bodyData.writeUTF(b == null ? "" : b);
        bodyData.writeUTF(c == null ? "" : c);
        bodyData.writeLong(x);
        if (d != null) {
            bodyData.writeUTF(d);
        }
        crc.reset();
        crc.update(body.array(), 0, body.size());
        framesData.writeInt(body.size());
        framesData.writeInt((int) crc.getValue());
        framesData.write(body.array(), 0, body.size());
    }

    boolean isEmpty() {
        return frames.size() == 0;
    }

    /** Writes what is framed and forgets it once it reaches 64 KB: for output of any size. */
    void writeToIfFull(FileChannel f) throws IOException {
        if (frames.size() >= FLUSH_AT) {
            writeTo(f);
            reset();
        }
    }

    void reset() {
        frames.reset();
    }

    void writeTo(FileChannel f) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(frames.array(), 0, frames.size());
        while (buf.hasRemaining()) {
            f.write(buf);
        }
    }

    /**
     * Reads frames until the end or the first torn, damaged or unknown one, handing each to
     * {@code sink} as a change (the same instance, refilled); returns the byte offset after the
     * last good frame.
     */
    static long read(InputStream stream, Consumer<Change> sink) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        Change c = new Change(false);
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
            int sum;
            byte[] bytes = new byte[length];
            try {
                sum = in.readInt();
                in.readFully(bytes);
            } catch (EOFException torn) {
                return good;
            }
            CRC32C check = new CRC32C();
            check.update(bytes);
            if ((int) check.getValue() != sum) {
                return good;
            }
            try {
                decode(bytes, c);
            } catch (IllegalArgumentException | IOException unknown) {
                return good;
            }
            sink.accept(c);
            good += 8 + length;
        }
    }

    private static void decode(byte[] bytes, Change c) throws IOException {
        DataInputStream p = new DataInputStream(new ByteArrayInputStream(bytes));
        Change.Kind kind = Change.Kind.of(p.readByte());
        String a = p.readUTF();
        String b = p.readUTF();
        String text = p.readUTF();
        long x = p.readLong();
        switch (kind) {
            case QUEUED -> c.set(kind, a, b, text, 0, x).key(p.available() > 0 ? p.readUTF() : null);
            case GRANTED -> c.set(kind, a, b, null, Long.parseLong(text), x);
            case CLAIMED -> c.set(kind, a, null, text.isEmpty() ? null : text, 0, text.isEmpty() ? 0 : x);
            case REMOVED -> c.set(kind, a, b.isEmpty() ? null : b, null, text.isEmpty() ? 0 : Long.parseLong(text),
                    text.isEmpty() ? 0 : x);
            case LOCK_CREATED -> c.set(kind, null, a, null, 0, x);
            case LAST_TOKEN -> c.set(kind, null, a, null, x, 0);
            case HEADER -> c.set(kind, null, null, null, 0, x);
            default -> throw new IllegalArgumentException("unexpected " + kind);
        }
    }

    /**
     * A query's request as a queued record's number: 0 for one slot at priority 0 (so records
     * written before requests existed read as that), else permits, exclusive (bit 32) and
     * priority (bits 33 and up).
     */
    static long pack(SlotRequest r) {
        return r.equals(SlotRequest.ONE) ? 0 : r.permits() | (r.exclusive() ? 1L << 32 : 0) | (long) r.priority() << 33;
    }

    static SlotRequest unpack(long x) {
        return x == 0 ? SlotRequest.ONE : new SlotRequest((int) x, (x & 1L << 32) != 0, (int) (x >>> 33));
    }

    private static final class Bytes extends ByteArrayOutputStream {
        Bytes(int size) {
            super(size);
        }

        byte[] array() {
            return buf;
        }
    }
}
