package lockserver.server.cluster;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import lockserver.core.ExpiryLog;
import lockserver.core.LockException;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import lockserver.server.config.ClusterConfig;
import lockserver.server.config.Logging;
import lockserver.server.config.ServerConfig;
import lockserver.server.rpc.LockService;
import lockserver.server.web.ClusterStatus;
import lockserver.wire.Fault;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;

/**
 * One node of a lockserver cluster: a Ratis server holding this node's
 * {@link LockStateMachine}, and a Ratis client through which this node sends every change
 * to whichever node leads (Ratis finds it and follows it when it moves). A call that finds
 * no leader within LEADER_TIMEOUT fails with fault 11 instead of hanging. As leader, the
 * node sends its lock settings when it takes over and the lifecycle's ticks. Thread-safe.
 */
public final class ClusterNode implements AutoCloseable, LockStateMachine.Events, LockService.ClusterView {
    private static final Logger log = LogManager.getLogger(ClusterNode.class);
    /** Every lockserver cluster is one Raft group of this id; the peers list says who is in it. */
    static final RaftGroupId GROUP = RaftGroupId.valueOf(UUID.nameUUIDFromBytes(
            "lockserver".getBytes(StandardCharsets.UTF_8)));

    /**
     * Entries this node may have on their way to the leader at once; changes that come
     * meanwhile wait and go together in one entry. 4 made the most cycles/s at 64 clients
     * (BENCHMARKS.md, "The cluster"); 1 left the nodes idle between round trips.
     */
    private static final int BATCHES_IN_FLIGHT = 4;
    private static final int BATCH_MAX = 256;
    private static final int LOGGED_CHANGES = 20;

    private final Supplier<ServerConfig> config;
    private final ClusterConfig cluster;
    private final RaftPeerId self;
    private final LockStateMachine machine;
    private final RaftServer server;
    private final LeaderClient client;
    private final Batcher<Command, Answer> batcher = new Batcher<>(this::send, BATCHES_IN_FLIGHT, BATCH_MAX);
    /** Leadership work (taking over) runs here, never on a Ratis thread. */
    private final ExecutorService duties = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cluster-duties");
        t.setDaemon(true);
        return t;
    });
    /** The renewals of waits blocked on this node (ClusterLocks). */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cluster-timer");
        t.setDaemon(true);
        return t;
    });
    /** Who this node's leader duties come from, for Ratis' retry cache (submitHere). */
    private final ClientId dutyClient = ClientId.randomId();
    private final AtomicLong dutyCalls = new AtomicLong();
    private final AtomicBoolean ticking = new AtomicBoolean();
    private final AtomicBoolean takingOver = new AtomicBoolean();
    private volatile long takenOverInTerm = -1;
    private volatile List<String> settingsDiffer = List.of();
    private volatile boolean closing;

    private ClusterNode(Supplier<ServerConfig> config) throws IOException {
        this.config = config;
        ServerConfig c = config.get();
        this.cluster = c.cluster();
        this.self = RaftPeerId.valueOf(cluster.nodeId());
        List<RaftPeer> peers = new ArrayList<>();
        cluster.peers().forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        RaftGroup group = RaftGroup.valueOf(GROUP, peers);

        RaftProperties props = RaftSettings.properties(c, cluster);
        Parameters parameters = RaftSettings.parameters(c, cluster);
        this.machine = new LockStateMachine(this);
        this.server = RaftServer.newBuilder().setServerId(self).setGroup(group).setStateMachine(machine)
                .setProperties(props).setParameters(parameters).setOption(RaftStorage.StartupOption.RECOVER).build();
        long tries = Math.max(1, cluster.leaderTimeoutNanos() / TimeUnit.MILLISECONDS.toNanos(100));
        this.client = new LeaderClient(() -> RaftClient.newBuilder().setProperties(props).setParameters(parameters)
                .setRaftGroup(group).setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep((int) Math.min(tries, 10_000),
                        TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build(), cluster.leaderTimeoutNanos());
    }

    /**
     * Starts this node's Raft server; the cluster serves once a majority of nodes runs. A
     * single server's journal in DATA_DIR is brought into the cluster once it has a leader.
     */
    public static ClusterNode start(Supplier<ServerConfig> config) throws IOException {
        ServerConfig c = config.get();
        Command.Import toImport = SingleServerImport.present(c.dataDir())
                ? SingleServerImport.read(c.dataDir(), c.defaultSettings()) : null;
        ClusterNode node = new ClusterNode(config);
        node.server.start();
        log.info("cluster node {} started; peers {}", node.cluster.nodeId(), node.cluster.peers());
        if (toImport != null) {
            log.info("DATA_DIR {} holds a single server's journal with {} ticket(s): importing them into the "
                    + "cluster once it has a leader", c.dataDir(), toImport.tickets().size());
            node.duties.execute(() -> node.importSingleServer(c.dataDir(), toImport));
        }
        return node;
    }

    /**
     * One try to bring the single server's journal in; until the cluster has a leader and its
     * lock settings, tried again 100 ms later. Each try is a task of its own on the duties
     * thread, so this node's takeover, when it leads, runs between them.
     */
    private void importSingleServer(Path dataDir, Command.Import command) {
        try {
            int imported = open(submit(command).join()).readInt();
            SingleServerImport.moveAside(dataDir);
            log.info("imported {} ticket(s) of the single server's journal; its files are now in {}", imported,
                    dataDir.resolve(SingleServerImport.MOVED_TO));
        } catch (CompletionException | LockException e) {
            Throwable why = e instanceof CompletionException ? e.getCause() : e;
            if (!(why instanceof LockException l) || l.fault() != Fault.NO_LEADER) {
                log.error("the single server's journal in {} could not be imported; it stays there", dataDir, why);
                return;
            }
            log.debug("import of the single server's journal waits for a leader and its lock settings");
            try {
                timer.schedule(() -> duties.execute(() -> importSingleServer(dataDir, command)), 100,
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                // the node is stopping: the journal stays, for its next start
            }
        } catch (IOException | RuntimeException e) {
            log.error("the single server's journal in {} could not be imported; it stays there", dataDir, e);
        }
    }

    /** This node's copy of the lock state (for views, and waits served here). */
    public LockRegistry registry() {
        return machine.registry();
    }

    AppliedIndex applied() {
        return machine.applied();
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** What applying a command answered, and the index of the log entry that carried it. */
    record Answer(byte[] reply, long index) {
    }

    /**
     * Sends a change to the leader, with the other changes this node sends meanwhile in one
     * log entry; completes with the answer once a majority committed it, or fault 11.
     */
    CompletableFuture<Answer> submit(Command command) {
        return batcher.submit(command);
    }

    private CompletableFuture<List<Answer>> send(List<Command> commands) {
        return client.send(Message.valueOf(ByteString.copyFrom(Command.encodeAll(commands)))).thenApply(reply -> {
            List<Answer> answers = new ArrayList<>(commands.size());
            for (byte[] r : Reply.split(reply.getMessage().getContent().toByteArray())) {
                answers.add(new Answer(r, reply.getLogIndex()));
            }
            return answers;
        });
    }

    /**
     * A leader's own duty (its takeover, settings and ticks), given to this node's Raft
     * server and to no other: when the lead moves meanwhile it fails (NO_LEADER), where the
     * Ratis client would deliver it to the next leader, or wait out a dead one's timeout.
     */
    private CompletableFuture<Answer> submitHere(Command command) {
        RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(dutyClient).setServerId(self)
                .setGroupId(GROUP).setCallId(dutyCalls.incrementAndGet())
                .setMessage(Message.valueOf(ByteString.copyFrom(Command.encodeAll(List.of(command)))))
                .setType(RaftClientRequest.writeRequestType()).build();
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = server.submitClientRequestAsync(request);
        } catch (IOException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.orTimeout(cluster.leaderTimeoutNanos(), TimeUnit.NANOSECONDS).handle((reply, error) -> {
            if (error != null || !reply.isSuccess()) {
                throw new LockException(Fault.NO_LEADER, LeaderClient.NO_LEADER);
            }
            return new Answer(Reply.split(reply.getMessage().getContent().toByteArray()).get(0), reply.getLogIndex());
        });
    }

    /** A linearizable read, answered by the leader. */
    CompletableFuture<Answer> read(byte[] query) {
        return client.sendReadOnly(Message.valueOf(ByteString.copyFrom(query)))
                .thenApply(reply -> new Answer(reply.getMessage().getContent().toByteArray(), reply.getLogIndex()));
    }

    /** The answer's value stream; throws the fault the state machine answered. */
    static DataInputStream open(Answer answer) {
        try {
            return Reply.open(answer.reply());
        } catch (IOException e) {
            throw new CompletionException(e);
        }
    }

    /** The lifecycle, on the leader: a tick entry when tickets could be due. */
    public void tickIfLeader() {
        DivisionInfo info = info();
        if (info == null || !info.isLeader()) {
            return;
        }
        long term = info.getCurrentTerm();
        if (takenOverInTerm != term) {
            if (takingOver.compareAndSet(false, true)) { // the takeover failed (or has not run): again
                duties.execute(this::takeOver);
            }
            return;
        }
        if (registry().ticketCount() == 0 || !ticking.compareAndSet(false, true)) {
            return;
        }
        try {
            submitHere(new Command.Tick(term, 0)).whenComplete((reply, error) -> ticking.set(false));
        } catch (RuntimeException stopping) {
            ticking.set(false);
        }
    }

    /**
     * After a reload: the leader sends its new lock settings; a follower's apply when it
     * leads. Returns what to report.
     */
    public List<String> reconfigure(Map<String, LockSettings> locks) {
        DivisionInfo info = info();
        if (info == null || !info.isLeader()) {
            return List.of("this node follows " + leaderName() + ": its lock settings apply when it leads");
        }
        try {
            submitHere(new Command.Configure(cluster.nodeId(), locks, false, 0)).join();
            return List.of("lock settings sent to the cluster");
        } catch (CompletionException e) {
            throw e.getCause() instanceof LockException l ? l : e;
        }
    }

    @Override
    public void leaderChanged(RaftPeerId leader) {
        log.info("cluster leader is now {}", leader == null ? "(none)" : leader);
        if (self.equals(leader)) {
            if (takingOver.compareAndSet(false, true)) {
                duties.execute(this::takeOver);
            }
        }
    }

    /** Sends this node's lock settings and gives every ticket a fresh idle and grace time. */
    private void takeOver() {
        try {
            DivisionInfo info = info();
            if (info == null || !info.isLeader() || takenOverInTerm == info.getCurrentTerm()) {
                return;
            }
            long term = info.getCurrentTerm();
            long giveUp = System.nanoTime() + cluster.leaderTimeoutNanos();
            while (!info.isLeaderReady()) { // Ratis takes entries once its leader committed one of its term
                if (!info.isLeader() || info.getCurrentTerm() != term || System.nanoTime() - giveUp > 0) {
                    return;
                }
                Thread.sleep(10);
            }
            submitHere(new Command.Configure(cluster.nodeId(), config.get().locks(), true, 0)).join();
            takenOverInTerm = term;
            log.info("node {} leads the cluster in term {}", cluster.nodeId(), term);
        } catch (RuntimeException e) {
            log.warn("taking over as leader failed ({}); the lifecycle tries again", e.getMessage());
        } catch (InterruptedException stopping) {
            Thread.currentThread().interrupt();
        } finally {
            takingOver.set(false);
        }
    }

    @Override
    public void configured(Command.Configure command, List<String> changes, boolean leader) {
        changes.stream().limit(LOGGED_CHANGES).forEach(c -> log.info("cluster lock settings of {}: {}",
                command.node(), c));
        if (changes.size() > LOGGED_CHANGES) { // a fresh cluster of 10,000 locks: not 10,000 lines
            log.info("cluster lock settings of {}: {} more changes", command.node(), changes.size() - LOGGED_CHANGES);
        }
        List<String> differ = new ArrayList<>();
        Map<String, LockSettings> mine = config.get().locks();
        mine.forEach((name, s) -> {
            if (!s.equals(command.locks().get(name))) {
                differ.add(name);
            }
        });
        command.locks().keySet().stream().filter(n -> !mine.containsKey(n)).forEach(differ::add);
        settingsDiffer = List.copyOf(differ);
        if (!differ.isEmpty() && !command.node().equals(cluster.nodeId())) {
            log.warn("this node's lock settings differ from those of the leader {} for {}; the leader's rule",
                    command.node(), differ);
        }
    }

    @Override
    public void expired(ExpiryLog expired, boolean leader) {
        if (!leader) {
            return; // the leader logs them
        }
        for (int i = 0; i < expired.size(); i++) {
            log.info("expired ticket {} of lock {} ({}): {}", expired.ticket(i), expired.lock(i),
                    Logging.loggable(expired.info(i)), expired.cause(i));
        }
    }

    private DivisionInfo info() {
        try {
            return server.getDivision(GROUP).getInfo();
        } catch (IOException e) {
            return null;
        }
    }

    private String leaderName() {
        DivisionInfo info = info();
        RaftPeerId leader = info == null ? null : info.getLeaderId();
        return leader == null ? "" : leader.toString();
    }

    /** This node's role, leader and term now. */
    public ClusterStatus status() {
        DivisionInfo info = info();
        String role = info == null ? "stopped" : switch (info.getCurrentRole()) {
            case LEADER -> "leader";
            case FOLLOWER -> "follower";
            case CANDIDATE -> "candidate";
            default -> info.getCurrentRole().name().toLowerCase(java.util.Locale.ROOT);
        };
        return new ClusterStatus(cluster.nodeId(), role, leaderName(), info == null ? 0 : info.getCurrentTerm());
    }

    /** admin.cluster: this node's view of its cluster. */
    public Map<String, Object> describe() {
        ClusterStatus status = status();
        DivisionInfo info = info();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", status.node());
        m.put("role", status.role());
        m.put("leader", status.leader());
        m.put("term", (int) Math.min(Integer.MAX_VALUE, status.term()));
        m.put("applied", Long.toString(info == null ? -1 : info.getLastAppliedIndex()));
        m.put("snapshot", Long.toString(machine.snapshotIndex()));
        m.put("installed", machine.installed());
        Object[] peers = members().stream().map(peer -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("node", peer.getId().toString());
            p.put("address", peer.getAddress());
            return p;
        }).toArray();
        m.put("peers", peers);
        m.put("settings_differ", settingsDiffer.toArray());
        return m;
    }

    /** The members as the Raft log has them now (PEERS, unless changed by admin.peers since). */
    private List<RaftPeer> members() {
        try {
            return new ArrayList<>(server.getDivision(GROUP).getRaftConf().getCurrentPeers());
        } catch (IOException e) {
            List<RaftPeer> fromConfig = new ArrayList<>();
            cluster.peers().forEach((id, a) -> fromConfig.add(RaftPeer.newBuilder().setId(id).setAddress(a).build()));
            return fromConfig;
        }
    }

    @Override
    public Map<String, Object> setPeers(String list) {
        Map<String, String> wanted;
        try {
            wanted = ClusterConfig.parsePeers(list);
        } catch (IllegalArgumentException e) {
            throw new LockException(Fault.BAD_ARGUMENT, "admin.peers: " + e.getMessage());
        }
        if (wanted.size() < 1) {
            throw new LockException(Fault.BAD_ARGUMENT, "admin.peers: name at least one node");
        }
        List<RaftPeer> peers = new ArrayList<>();
        wanted.forEach((id, address) -> peers.add(RaftPeer.newBuilder().setId(id).setAddress(address).build()));
        try {
            RaftClientReply reply = client.ratis().admin().setConfiguration(peers);
            if (!reply.isSuccess()) {
                throw new LockException(Fault.NO_LEADER, "admin.peers: the cluster did not take the new members: "
                        + (reply.getException() == null ? "no reason given" : reply.getException().getMessage()));
            }
        } catch (IOException e) {
            throw new LockException(Fault.NO_LEADER, "admin.peers: the cluster did not take the new members ("
                    + e.getMessage() + "); a new node must run, with the new PEERS, before it is added");
        }
        log.info("cluster members are now {}; put this PEERS list in every node's config", list);
        return describe();
    }

    /**
     * Whether this node's Raft server stopped although {@link #close} was not called: Ratis
     * stops a member whose state machine failed, or whose group was removed by an admin
     * call. Such a node neither takes part in the cluster nor sees its changes any more.
     */
    public boolean stoppedOnItsOwn() {
        if (closing) {
            return false;
        }
        DivisionInfo info = info();
        return info == null || !info.isAlive();
    }

    /** Hands the lead to another node first if this one leads, so the cluster does not wait for an election. */
    @Override
    public void close() throws IOException {
        closing = true;
        duties.shutdownNow();
        timer.shutdownNow();
        DivisionInfo info = info();
        RaftPeerId successor = members().stream().map(RaftPeer::getId).filter(id -> !id.equals(self))
                .findFirst().orElse(null);
        if (info != null && info.isLeader() && successor != null) {
            try {
                client.ratis().admin().transferLeadership(successor, 3_000);
            } catch (IOException | RuntimeException e) {
                log.info("could not hand the lead on before stopping ({}); the others elect a new leader", e.toString());
            }
        }
        try {
            client.close();
        } finally {
            server.close();
        }
    }
}
