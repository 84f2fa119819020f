package lockserver.server.cluster;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import lockserver.core.LockException;
import lockserver.core.LockStatus;
import lockserver.core.TicketState;
import lockserver.core.TicketView;
import lockserver.server.rpc.Locks;
import lockserver.wire.Fault;

/**
 * What applying a {@link Command} (or answering a read) returns to the node that sent it:
 * a value, or the fault the state machine refused it with. Refusals are values here, not
 * exceptions, so every node applies an entry to the same end.
 */
final class Reply {
    private static final byte OK = 0;
    private static final byte FAULT = 1;

    private Reply() {
    }

    /** Writes one answer's value. */
    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    static byte[] ok(Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(OK);
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // never: the stream is in memory
        }
        return bytes.toByteArray();
    }

    static byte[] fault(LockException e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FAULT);
            out.writeInt(e.fault().code);
            out.writeUTF(e.getMessage());
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return bytes.toByteArray();
    }

    /** The answers to one log entry's commands, in their order. */
    static byte[] all(List<byte[]> replies) {
        int size = 4;
        for (byte[] r : replies) {
            size += 4 + r.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).putInt(replies.size());
        replies.forEach(r -> out.putInt(r.length).put(r));
        return out.array();
    }

    static List<byte[]> split(byte[] all) {
        ByteBuffer in = ByteBuffer.wrap(all);
        int n = in.getInt();
        List<byte[]> replies = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] r = new byte[in.getInt()];
            in.get(r);
            replies.add(r);
        }
        return replies;
    }

    /** The value's stream; throws the fault the state machine answered instead. */
    static DataInputStream open(byte[] reply) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(reply));
        if (in.readByte() == FAULT) {
            int code = in.readInt();
            String message = in.readUTF();
            throw new LockException(faultOf(code), message);
        }
        return in;
    }

    private static Fault faultOf(int code) {
        for (Fault f : Fault.values()) {
            if (f.code == code) {
                return f;
            }
        }
        return Fault.INTERNAL;
    }

    static void writeQueried(DataOutputStream out, Locks.Queried q) throws IOException {
        out.writeUTF(q.ticket());
        out.writeBoolean(q.granted());
        out.writeLong(q.token());
    }

    static Locks.Queried readQueried(DataInputStream in) throws IOException {
        return new Locks.Queried(in.readUTF(), in.readBoolean(), in.readLong());
    }

    static void writeView(DataOutputStream out, TicketView v) throws IOException {
        out.writeUTF(v.id());
        out.writeUTF(v.lock());
        out.writeByte(v.state().ordinal());
        out.writeInt(v.position());
        out.writeLong(v.token());
        out.writeUTF(v.info());
        out.writeLong(v.heldNanos());
        out.writeLong(v.leftNanos());
        out.writeInt(v.permits());
        out.writeBoolean(v.exclusive());
        out.writeByte(v.priority());
        out.writeUTF(v.revoke());
        out.writeLong(v.revokeInNanos());
    }

    static TicketView readView(DataInputStream in) throws IOException {
        return new TicketView(in.readUTF(), in.readUTF(), TicketState.values()[in.readByte()], in.readInt(),
                in.readLong(), in.readUTF(), in.readLong(), in.readLong(), in.readInt(), in.readBoolean(),
                in.readByte(), in.readUTF(), in.readLong());
    }

    static void writeStatus(DataOutputStream out, LockStatus s) throws IOException {
        out.writeUTF(s.name());
        out.writeInt(s.size());
        out.writeInt(s.granted());
        out.writeInt(s.queued());
        out.writeInt(s.used());
        out.writeInt(s.delayed());
        out.writeLong(s.version());
    }

    static LockStatus readStatus(DataInputStream in) throws IOException {
        return new LockStatus(in.readUTF(), in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt(),
                in.readLong());
    }
}
