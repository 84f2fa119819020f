package lockserver.server.cluster;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import lockserver.core.LockImage;

/**
 * The file format of a cluster node's snapshot: the log clock and every lock exactly
 * ({@link LockImage}), so that loading it and applying the later entries ends where a node
 * that applied them all is. Version 1.
 */
final class Snapshot {
    private static final int MAGIC = 0x4c4b5331; // "LKS1"

    private Snapshot() {
    }

    /** What a snapshot holds: the log clock and the locks. */
    record State(long clock, List<LockImage> locks) {
    }

    static void write(DataOutputStream out, State state) throws IOException {
        out.writeInt(MAGIC);
        out.writeLong(state.clock());
        out.writeInt(state.locks().size());
        for (LockImage l : state.locks()) {
            out.writeUTF(l.name());
            Command.writeSettings(out, l.settings());
            out.writeBoolean(l.configured());
            out.writeBoolean(l.retired());
            out.writeLong(l.lastToken());
            writeTickets(out, l.granted());
            writeTickets(out, l.queue());
        }
    }

    static State read(DataInputStream in) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not a lockserver snapshot (version 1)");
        }
        long clock = in.readLong();
        int n = in.readInt();
        List<LockImage> locks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            locks.add(new LockImage(in.readUTF(), Command.readSettings(in), in.readBoolean(), in.readBoolean(),
                    in.readLong(), readTickets(in), readTickets(in)));
        }
        return new State(clock, locks);
    }

    private static void writeTickets(DataOutputStream out, List<LockImage.TicketImage> tickets) throws IOException {
        out.writeInt(tickets.size());
        for (LockImage.TicketImage t : tickets) {
            out.writeUTF(t.id());
            out.writeUTF(t.info());
            Command.writeNullable(out, t.key());
            out.writeLong(t.queuedAt());
            out.writeLong(t.lastSeen());
            out.writeLong(t.grantedAt());
            out.writeLong(t.graceFrom());
            out.writeLong(t.token());
            out.writeBoolean(t.claimed());
        }
    }

    private static List<LockImage.TicketImage> readTickets(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<LockImage.TicketImage> tickets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            tickets.add(new LockImage.TicketImage(in.readUTF(), in.readUTF(), Command.readNullable(in), in.readLong(),
                    in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readBoolean()));
        }
        return tickets;
    }
}
