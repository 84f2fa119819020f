package lockserver.server.cluster;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lockserver.core.LockSettings;
import lockserver.core.RestoredDelay;
import lockserver.core.RestoredTicket;
import lockserver.core.SlotRequest;

/**
 * One change of the cluster's lock state; a Raft log entry carries the commands one node
 * sent together ({@link #encodeAll}, {@link Batcher}), applied in their order. A node
 * sends a command unstamped ({@code at} 0, no ticket id); the leader stamps it with its
 * time and, for a query, a random ticket id before it enters the log, so applying it on
 * every node reads no clock and no random source (STYLE.md, rule 18).
 *
 * <p>The encoding of a command that uses nothing newer than an older release is that
 * release's, so nodes of both can share a log during a rolling upgrade; the newer parts
 * (a query's slots and priority, a lock's aging and delay, a revocation) have kinds and
 * markers of their own.
 */
sealed interface Command {
    /** The leader's time when it took the command in, in nanoseconds since the epoch; 0 until stamped. */
    long at();

    /** This command as the leader logs it. */
    Command stamped(long at, String newTicketId);

    /** lock.query (and lock.acquire's first half); {@code claim}: claim a grant made at once. */
    record Query(String lock, String info, String key, SlotRequest request, boolean claim, String id, long at)
            implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Query(lock, info, key, request, claim, newTicketId, at);
        }
    }

    /** admin.revoke: the holder is asked to let go, and ended {@code afterNanos} after {@code at}. */
    record Revoke(String ticket, String reason, long afterNanos, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Revoke(ticket, reason, afterNanos, at);
        }
    }

    /** lock.check: a sign of life that claims a fresh grant; answers the ticket's view. */
    record Check(String ticket, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Check(ticket, at);
        }
    }

    /** lock.renew, and the sign of life of a lock.wait. */
    record Renew(String ticket, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Renew(ticket, at);
        }
    }

    /** lock.release and admin.release. */
    record Release(String ticket, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Release(ticket, at);
        }
    }

    /** lock.create. */
    record Create(String lock, LockSettings settings, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Create(lock, settings, at);
        }
    }

    /**
     * The configured locks of node {@code node}, which rule while it leads: sent when it
     * takes over ({@code takeover}: every ticket also gets a fresh idle and grace time) and
     * when it reloads its config.
     */
    record Configure(String node, Map<String, LockSettings> locks, boolean takeover, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Configure(node, locks, takeover, at);
        }
    }

    /**
     * The holders and queues a single server's DATA_DIR kept (their retry keys and
     * revocations too), and the slots its LOCK_DELAY still kept closed, brought into the
     * cluster by the node that finds them (README, "Cluster"); tickets already here are
     * skipped. {@code created}: locks made by lock.create there, with their sizes. The times
     * left of delays and revocations were measured at {@code asOf} (wall-clock nanoseconds;
     * 0: unknown): they count down from there, not from when the cluster applies the import.
     */
    record Import(List<RestoredTicket> tickets, List<RestoredDelay> delays, Map<String, Long> lastTokens,
                  Map<String, Integer> created, LockSettings defaults, long asOf, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Import(tickets, delays, lastTokens, created, defaults, asOf, at);
        }

        /** How long after {@code asOf} the leader stamped it. */
        private long late() {
            return asOf == 0 ? 0 : Math.max(0, at - asOf);
        }

        /** The tickets, each revocation's time left counted to the stamp. */
        List<RestoredTicket> ticketsNow() {
            long late = late();
            return late == 0 ? tickets : tickets.stream().map(t -> t.revoke() == null ? t
                    : new RestoredTicket(t.id(), t.lock(), t.info(), t.granted(), t.token(), t.heldNanos(), t.claimed(),
                            t.request(), t.key(), t.revoke(), Math.max(0, t.revokeInNanos() - late))).toList();
        }

        /** The delays not over at the stamp, with what is left of each then. */
        List<RestoredDelay> delaysNow() {
            long late = late();
            return delays.stream().filter(d -> d.remainingNanos() > late).map(d -> late == 0 ? d
                    : new RestoredDelay(d.lock(), d.ticket(), d.slots(), d.remainingNanos() - late)).toList();
        }
    }

    /**
     * The lifecycle of the leader of {@code term}: ends what is due at {@code at}. It counts
     * only as an entry of that term: Ratis' client delivers a tick that a leader sent as it
     * lost the lead to the next leader, where it would end tickets whose clients could not
     * reach any leader before that leader's takeover gave them fresh times.
     */
    record Tick(long term, long at) implements Command {
        public Command stamped(long at, String newTicketId) {
            return new Tick(term, at);
        }
    }

    /** One log entry: the commands a node sent together (Batcher), applied in this order. */
    static byte[] encodeAll(List<Command> commands) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * commands.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(commands.size());
            for (Command c : commands) {
                write(out, c);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // never: the stream is in memory
        }
        return bytes.toByteArray();
    }

    static List<Command> decodeAll(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("negative command count " + n);
        }
        List<Command> commands = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            commands.add(decode(in));
        }
        return commands;
    }

    private static void write(DataOutputStream out, Command c) throws IOException {
        if (c instanceof Query q) {
            boolean plain = q.request().equals(SlotRequest.ONE);
            out.writeByte(plain ? 1 : 9);
            out.writeUTF(q.lock());
            out.writeUTF(q.info());
            writeNullable(out, q.key());
            out.writeBoolean(q.claim());
            writeNullable(out, q.id());
            if (!plain) {
                writeRequest(out, q.request());
            }
        } else if (c instanceof Revoke r) {
            out.writeByte(10);
            out.writeUTF(r.ticket());
            out.writeUTF(r.reason());
            out.writeLong(r.afterNanos());
        } else if (c instanceof Check k) {
            out.writeByte(2);
            out.writeUTF(k.ticket());
        } else if (c instanceof Renew r) {
            out.writeByte(3);
            out.writeUTF(r.ticket());
        } else if (c instanceof Release r) {
            out.writeByte(4);
            out.writeUTF(r.ticket());
        } else if (c instanceof Create k) {
            out.writeByte(5);
            out.writeUTF(k.lock());
            writeSettings(out, k.settings());
        } else if (c instanceof Configure k) {
            out.writeByte(6);
            out.writeUTF(k.node());
            out.writeBoolean(k.takeover());
            out.writeInt(k.locks().size());
            for (Map.Entry<String, LockSettings> e : k.locks().entrySet()) {
                out.writeUTF(e.getKey());
                writeSettings(out, e.getValue());
            }
        } else if (c instanceof Import m) {
            // the oldest kind that carries it all: nodes of an older version read these
            boolean keyed = !m.delays().isEmpty()
                    || m.tickets().stream().anyMatch(t -> t.key() != null || t.revoke() != null);
            boolean plain = !keyed && m.tickets().stream().allMatch(t -> t.request().equals(SlotRequest.ONE));
            out.writeByte(keyed ? 12 : plain ? 8 : 11);
            writeSettings(out, m.defaults());
            out.writeInt(m.created().size());
            for (Map.Entry<String, Integer> e : m.created().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue());
            }
            out.writeInt(m.lastTokens().size());
            for (Map.Entry<String, Long> e : m.lastTokens().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeLong(e.getValue());
            }
            out.writeInt(m.tickets().size());
            for (RestoredTicket t : m.tickets()) {
                out.writeUTF(t.id());
                out.writeUTF(t.lock());
                out.writeUTF(t.info());
                out.writeBoolean(t.granted());
                out.writeLong(t.token());
                out.writeLong(t.heldNanos());
                out.writeBoolean(t.claimed());
                if (!plain) {
                    writeRequest(out, t.request());
                }
                if (keyed) {
                    writeNullable(out, t.key());
                    writeNullable(out, t.revoke());
                    out.writeLong(t.revokeInNanos());
                }
            }
            if (keyed) {
                out.writeInt(m.delays().size());
                for (RestoredDelay d : m.delays()) {
                    out.writeUTF(d.lock());
                    out.writeUTF(d.ticket());
                    out.writeInt(d.slots());
                    out.writeLong(d.remainingNanos());
                }
                out.writeLong(m.asOf());
            }
        } else if (c instanceof Tick t) {
            out.writeByte(7);
            out.writeLong(t.term());
        }
        out.writeLong(c.at());
    }

    private static Command decode(DataInputStream in) throws IOException {
        int kind = in.readByte();
        Command c = switch (kind) {
            case 1, 9 -> {
                String lock = in.readUTF();
                String info = in.readUTF();
                String key = readNullable(in);
                boolean claim = in.readBoolean();
                String id = readNullable(in);
                yield new Query(lock, info, key, kind == 9 ? readRequest(in) : SlotRequest.ONE, claim, id, 0);
            }
            case 10 -> new Revoke(in.readUTF(), in.readUTF(), in.readLong(), 0);
            case 2 -> new Check(in.readUTF(), 0);
            case 3 -> new Renew(in.readUTF(), 0);
            case 4 -> new Release(in.readUTF(), 0);
            case 5 -> new Create(in.readUTF(), readSettings(in), 0);
            case 6 -> {
                String node = in.readUTF();
                boolean takeover = in.readBoolean();
                int n = in.readInt();
                Map<String, LockSettings> locks = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    locks.put(in.readUTF(), readSettings(in));
                }
                yield new Configure(node, locks, takeover, 0);
            }
            case 7 -> new Tick(in.readLong(), 0);
            case 8, 11, 12 -> {
                LockSettings defaults = readSettings(in);
                Map<String, Integer> created = new LinkedHashMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    created.put(in.readUTF(), in.readInt());
                }
                Map<String, Long> lastTokens = new LinkedHashMap<>();
                for (int i = in.readInt(); i > 0; i--) {
                    lastTokens.put(in.readUTF(), in.readLong());
                }
                List<RestoredTicket> tickets = new ArrayList<>();
                for (int i = in.readInt(); i > 0; i--) {
                    String id = in.readUTF();
                    String lock = in.readUTF();
                    String info = in.readUTF();
                    boolean granted = in.readBoolean();
                    long token = in.readLong();
                    long held = in.readLong();
                    boolean claimed = in.readBoolean();
                    SlotRequest request = kind == 8 ? SlotRequest.ONE : readRequest(in);
                    String key = kind == 12 ? readNullable(in) : null;
                    String revoke = kind == 12 ? readNullable(in) : null;
                    long revokeIn = kind == 12 ? in.readLong() : 0;
                    tickets.add(new RestoredTicket(id, lock, info, granted, token, held, claimed, request, key,
                            revoke, revokeIn));
                }
                List<RestoredDelay> delays = new ArrayList<>();
                for (int i = kind == 12 ? in.readInt() : 0; i > 0; i--) {
                    delays.add(new RestoredDelay(in.readUTF(), in.readUTF(), in.readInt(), in.readLong()));
                }
                long asOf = kind == 12 ? in.readLong() : 0;
                yield new Import(tickets, delays, lastTokens, created, defaults, asOf, 0);
            }
            default -> throw new IOException("unknown command kind " + kind);
        };
        long at = in.readLong();
        return c.stamped(at, c instanceof Query q ? q.id() : null);
    }

    static void writeNullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            out.writeUTF(s);
        }
    }

    static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    /**
     * A lock's settings; a negative MAX_QUEUE marks the newer form, where PRIORITY_AGING and
     * LOCK_DELAY follow (written only when they are not their defaults).
     */
    static void writeSettings(DataOutputStream out, LockSettings s) throws IOException {
        boolean plain = s.agingNanos() == LockSettings.DEFAULT_AGING_NANOS && s.lockDelayNanos() == 0;
        out.writeInt(s.size());
        out.writeLong(s.graceNanos());
        out.writeLong(s.idleNanos());
        out.writeLong(s.maxHoldNanos());
        out.writeInt(plain ? s.maxQueue() : -s.maxQueue());
        if (!plain) {
            out.writeLong(s.agingNanos());
            out.writeLong(s.lockDelayNanos());
        }
    }

    static LockSettings readSettings(DataInputStream in) throws IOException {
        int size = in.readInt();
        long grace = in.readLong();
        long idle = in.readLong();
        long maxHold = in.readLong();
        int maxQueue = in.readInt();
        if (maxQueue > 0) {
            return new LockSettings(size, grace, idle, maxHold, maxQueue);
        }
        return new LockSettings(size, grace, idle, maxHold, -maxQueue, in.readLong(), in.readLong());
    }

    static void writeRequest(DataOutputStream out, SlotRequest r) throws IOException {
        out.writeInt(r.permits());
        out.writeBoolean(r.exclusive());
        out.writeByte(r.priority());
    }

    static SlotRequest readRequest(DataInputStream in) throws IOException {
        return new SlotRequest(in.readInt(), in.readBoolean(), in.readByte());
    }
}
