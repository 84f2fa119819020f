package lockserver.server.cluster;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import lockserver.core.ExpiryLog;
import lockserver.core.LockException;
import lockserver.core.LockRegistry;
import lockserver.core.RestoredTicket;
import lockserver.core.TicketState;
import lockserver.core.TicketView;
import lockserver.server.config.Logging;
import lockserver.server.rpc.Locks;
import lockserver.wire.Fault;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

/**
 * The lock state of one cluster node as a Ratis state machine: a {@link LockRegistry}
 * replica changed only by committed {@link Command}s, applied in log order on every node.
 * The leader stamps each command with its time and new ticket ids as it takes it in
 * ({@link #startTransaction}); applying reads neither clock nor random source, so every
 * node reaches the same state. Snapshots hold the state exactly ({@link Snapshot}).
 * Ratis applies entries on one thread; reads may come from any.
 */
final class LockStateMachine extends BaseStateMachine {
    private static final Logger log = LogManager.getLogger(LockStateMachine.class);
    static final byte READ_STATUS = 1;

    /** What the node around this state machine hears of it. */
    interface Events {
        /** The cluster has a new leader ({@code null}: none known). */
        void leaderChanged(RaftPeerId leader);

        /** A {@link Command.Configure} was applied: the lock settings of {@code node} now rule. */
        void configured(Command.Configure command, List<String> changes, boolean leader);

        /** A tick ended these tickets. */
        void expired(ExpiryLog expired, boolean leader);
    }

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final LogClock clock = new LogClock();
    private final AppliedIndex applied = new AppliedIndex();
    private final AtomicLong lastStamp = new AtomicLong();
    private final AtomicInteger installed = new AtomicInteger();
    /** Guards the lifecycle's pause and resume, which Ratis calls on different threads. */
    private final Object lifecycle = new Object();
    private boolean pausedAgain; // guarded by lifecycle
    private final SecureRandom random = new SecureRandom();
    private final Events events;
    private volatile LockRegistry registry = LockRegistry.replica(clock);

    LockStateMachine(Events events) {
        this.events = events;
    }

    LockRegistry registry() {
        return registry;
    }

    AppliedIndex applied() {
        return applied;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            storage.init(raftStorage);
            load();
        }, IOException.class);
    }

    /**
     * Before the leader's snapshot is installed here (on a gRPC thread). Ratis reloads only a
     * state machine in PAUSED (BaseStateMachine's pause does nothing), and stops the node
     * otherwise. A pause while a reload is under way keeps the state machine PAUSED after it,
     * for the reload that follows.
     */
    @Override
    public void pause() {
        synchronized (lifecycle) {
            if (getLifeCycleState() == LifeCycle.State.RUNNING) {
                getLifeCycle().transition(LifeCycle.State.PAUSING);
                getLifeCycle().transition(LifeCycle.State.PAUSED);
            } else if (getLifeCycleState() == LifeCycle.State.PAUSED) {
                pausedAgain = true;
            }
        }
    }

    @Override
    public SimpleStateMachineStorage getStateMachineStorage() {
        return storage;
    }

    /** After the leader installed its snapshot here: loads it. */
    @Override
    public void reinitialize() throws IOException {
        load();
        installed.incrementAndGet();
        synchronized (lifecycle) {
            if (pausedAgain) {
                pausedAgain = false; // another install came meanwhile: its reload follows
            } else if (getLifeCycleState() == LifeCycle.State.PAUSED) {
                getLifeCycle().transition(LifeCycle.State.STARTING);
                getLifeCycle().transition(LifeCycle.State.RUNNING);
            }
        }
    }

    /** Snapshots the leader installed here since this node started. */
    int installed() {
        return installed.get();
    }

    /** The index of the latest snapshot this node holds; -1: none. */
    long snapshotIndex() {
        SingleFileSnapshotInfo latest = storage.getLatestSnapshot();
        return latest == null ? -1 : latest.getIndex();
    }

    /**
     * Loads the latest snapshot in the directory, not the storage's cached latest: after an
     * install that is still this node's own older one, and Ratis stops a node whose state
     * machine reloads to an index before the installed snapshot's (the replica then stayed
     * behind for good while its HTTP port still answered).
     */
    private void load() throws IOException {
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        if (snapshot == null) {
            return;
        }
        File file = snapshot.getFile().getPath().toFile();
        if (snapshot.getFile().getFileDigest() != null) {
            MD5FileUtil.verifySavedMD5(file, snapshot.getFile().getFileDigest());
        }
        Snapshot.State state;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file.toPath())))) {
            state = Snapshot.read(in);
        }
        LockRegistry loaded = LockRegistry.replica(clock);
        clock.advanceTo(state.clock());
        loaded.load(state.locks());
        LockRegistry before = registry;
        registry = loaded;
        before.close(); // its blocked waits answer "not yet"; their clients wait again on the new state
        TermIndex last = snapshot.getTermIndex();
        setLastAppliedTermIndex(last);
        applied.advance(last.getIndex());
        log.info("loaded snapshot {} ({} locks, {} tickets)", last, state.locks().size(), loaded.ticketCount());
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(
                Files.newOutputStream(file.toPath())))) {
            Snapshot.write(out, new Snapshot.State(clock.nanoTime(), registry.image()));
        }
        FileInfo info = new FileInfo(file.toPath(), MD5FileUtil.computeAndSaveMd5ForFile(file));
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(info, last));
        return last.getIndex();
    }

    /** On the leader, as an entry's commands enter: the leader's time, and new tickets' ids. */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        List<Command> commands = Command.decodeAll(new DataInputStream(request.getMessage().getContent().newInput()));
        List<Command> stamped = new ArrayList<>(commands.size());
        for (Command command : commands) {
            String id = null;
            if (command instanceof Command.Query) {
                byte[] bytes = new byte[16];
                random.nextBytes(bytes);
                id = HexFormat.of().formatHex(bytes);
            }
            long now = lastStamp.updateAndGet(last -> Math.max(last + 1, System.currentTimeMillis() * 1_000_000L));
            stamped.add(command.stamped(now, id));
        }
        return TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request)
                .setLogData(ByteString.copyFrom(Command.encodeAll(stamped))).build();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        boolean leader = trx.getServerRole() == RaftPeerRole.LEADER;
        List<byte[]> replies = new ArrayList<>();
        try {
            for (Command command : Command.decodeAll(new DataInputStream(
                    entry.getStateMachineLogEntry().getLogData().newInput()))) {
                replies.add(applyOne(command, entry.getTerm(), leader));
            }
        } catch (IOException e) {
            log.error("entry {} could not be read", TermIndex.valueOf(entry), e); // its sender hears fault 99
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        applied.advance(entry.getIndex());
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(Reply.all(replies))));
    }

    private byte[] applyOne(Command command, long term, boolean leader) {
        try {
            clock.advanceTo(command.at());
            lastStamp.accumulateAndGet(command.at(), Math::max); // a new leader stamps after what it applied
            return apply(command, term, leader);
        } catch (LockException e) {
            return Reply.fault(e);
        } catch (RuntimeException e) {
            log.error("command {} could not be applied", Logging.loggable(command.toString()), e); // holds client text
            return Reply.fault(new LockException(Fault.INTERNAL, "internal error (see the server log)"));
        }
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
        applied.advance(index);
    }

    /** {@code term}: the term of the log entry that carries {@code command}. */
    private byte[] apply(Command command, long term, boolean leader) {
        LockRegistry r = registry;
        if (command instanceof Command.Query q) {
            requireSettings(r);
            String ticket = r.query(q.lock(), q.info(), q.key(), q.request(), q.id());
            long token = q.claim() && r.claim(ticket) ? r.peek(ticket).token() : 0;
            return Reply.ok(out -> Reply.writeQueried(out, new Locks.Queried(ticket, token != 0, token)));
        } else if (command instanceof Command.Check c) {
            TicketView v = r.check(c.ticket());
            return Reply.ok(out -> Reply.writeView(out, v));
        } else if (command instanceof Command.Revoke k) {
            boolean revoked = r.revoke(k.ticket(), k.reason(), k.afterNanos());
            return Reply.ok(out -> out.writeBoolean(revoked));
        } else if (command instanceof Command.Renew n) {
            boolean alive = r.renew(n.ticket());
            return Reply.ok(out -> out.writeBoolean(alive));
        } else if (command instanceof Command.Release l) {
            boolean released = r.release(l.ticket());
            return Reply.ok(out -> out.writeBoolean(released));
        } else if (command instanceof Command.Create c) {
            boolean created = r.create(c.lock(), c.settings());
            return Reply.ok(out -> out.writeBoolean(created));
        } else if (command instanceof Command.Configure c) {
            List<String> changes = r.configure(c.locks());
            if (c.takeover()) {
                r.renewAll(); // nobody could reach a leader meanwhile: nothing may end early for that
            }
            events.configured(c, changes, leader);
            return Reply.ok(out -> out.writeInt(changes.size()));
        } else if (command instanceof Command.Import m) {
            requireSettings(r); // else its tickets would land on locks of the default settings (no LOCK_DELAY)
            m.created().forEach((lock, size) -> r.create(lock, m.defaults().withSize(size)));
            List<RestoredTicket> fresh = m.ticketsNow().stream()
                    .filter(t -> r.peek(t.id()).state() == TicketState.GONE).toList(); // an import sent twice
            r.restore(fresh, m.delaysNow(), m.lastTokens(), m.defaults());
            return Reply.ok(out -> out.writeInt(fresh.size()));
        } else if (command instanceof Command.Tick t && t.term() != term) {
            return Reply.ok(out -> out.writeInt(0)); // a tick of another term's leader ends nothing (Command.Tick)
        } else {
            ExpiryLog expired = new ExpiryLog();
            r.tick(expired);
            if (expired.size() > 0) {
                events.expired(expired, leader);
            }
            return Reply.ok(out -> out.writeInt(expired.size()));
        }
    }

    /** Reads that change nothing, answered by the leader once it knows it still leads (linearizable). */
    @Override
    public CompletableFuture<Message> query(Message request) {
        byte[] reply;
        try {
            DataInputStream in = new DataInputStream(request.getContent().newInput());
            if (in.readByte() != READ_STATUS) {
                throw new IOException("unknown read");
            }
            requireSettings(registry);
            var status = registry.status(in.readUTF());
            reply = Reply.ok(out -> Reply.writeStatus(out, status));
        } catch (LockException e) {
            reply = Reply.fault(e);
        } catch (IOException e) {
            reply = Reply.fault(new LockException(Fault.BAD_REQUEST, "unknown read"));
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(reply)));
    }

    /**
     * A fresh cluster has no locks until its first leader's settings are applied: a call in
     * that moment is told to try again, not that its lock does not exist (an import waits
     * too: its tickets belong on locks with the configured settings).
     */
    private static void requireSettings(LockRegistry r) {
        if (r.lockCount() == 0) {
            throw new LockException(Fault.NO_LEADER, "no leader yet: the cluster is starting and its leader has "
                    + "not sent the lock settings");
        }
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeader) {
        events.leaderChanged(newLeader);
    }

    @Override
    public void close() throws IOException {
        registry.close();
        super.close();
    }
}
