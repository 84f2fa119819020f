package lockserver.server.cluster;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import lockserver.core.LockImage;
import lockserver.core.LockSettings;
import lockserver.core.SlotRequest;

/**
 * The file format of a cluster node's snapshot: the log clock and every lock exactly
 * ({@link LockImage}), so that loading it and applying the later entries ends where a node
 * that applied them all is. Version 2; version 1 (which lacks a ticket's request, held slots
 * and revocation, a lock's version and its cooling slots) is still read.
 */
final class Snapshot {
    private static final int MAGIC_1 = 0x4c4b5331; // "LKS1": before slots, priorities, delays and revocations
    private static final int MAGIC = 0x4c4b5332; // "LKS2"

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
            out.writeLong(l.version());
            writeTickets(out, l.granted());
            writeTickets(out, l.queue());
            out.writeInt(l.cooling().size());
            for (LockImage.CoolingImage c : l.cooling()) {
                out.writeUTF(c.id());
                out.writeLong(c.queuedAt());
                out.writeInt(c.slots());
                out.writeLong(c.until());
            }
        }
    }

    static State read(DataInputStream in) throws IOException {
        int magic = in.readInt();
        if (magic != MAGIC && magic != MAGIC_1) {
            throw new IOException("not a lockserver snapshot (version 1 or 2)");
        }
        boolean v2 = magic == MAGIC;
        long clock = in.readLong();
        int n = in.readInt();
        List<LockImage> locks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            LockSettings settings = Command.readSettings(in);
            boolean configured = in.readBoolean();
            boolean retired = in.readBoolean();
            long lastToken = in.readLong();
            long version = v2 ? in.readLong() : 0;
            List<LockImage.TicketImage> granted = readTickets(in, v2);
            List<LockImage.TicketImage> queue = readTickets(in, v2);
            List<LockImage.CoolingImage> cooling = new ArrayList<>();
            for (int c = v2 ? in.readInt() : 0; c > 0; c--) {
                cooling.add(new LockImage.CoolingImage(in.readUTF(), in.readLong(), in.readInt(), in.readLong()));
            }
            locks.add(new LockImage(name, settings, configured, retired, lastToken, version, granted, queue, cooling));
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
            Command.writeRequest(out, t.request());
            out.writeInt(t.held());
            Command.writeNullable(out, t.revoke());
            out.writeLong(t.revokeAt());
        }
    }

    private static List<LockImage.TicketImage> readTickets(DataInputStream in, boolean v2) throws IOException {
        int n = in.readInt();
        List<LockImage.TicketImage> tickets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String id = in.readUTF();
            String info = in.readUTF();
            String key = Command.readNullable(in);
            long queuedAt = in.readLong();
            long lastSeen = in.readLong();
            long grantedAt = in.readLong();
            long graceFrom = in.readLong();
            long token = in.readLong();
            boolean claimed = in.readBoolean();
            SlotRequest request = v2 ? Command.readRequest(in) : SlotRequest.ONE;
            int held = v2 ? in.readInt() : 1; // a holder of version 1 takes one slot
            String revoke = v2 ? Command.readNullable(in) : null;
            long revokeAt = v2 ? in.readLong() : 0;
            tickets.add(new LockImage.TicketImage(id, info, key, request, queuedAt, lastSeen, grantedAt, graceFrom,
                    token, claimed, held, revoke, revokeAt));
        }
        return tickets;
    }
}
