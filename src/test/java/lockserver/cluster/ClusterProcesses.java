package lockserver.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import lockserver.client.LockServerException;
import lockserver.safety.ServerProcess;

/**
 * A cluster of real server JVMs on 127.0.0.1 for tests: writes one config per node (its own
 * HTTP port, Raft port, DATA_DIR and log in {@code dir}), starts, stops (SIGTERM), kills
 * (SIGKILL), freezes (SIGSTOP) and resumes (SIGCONT) nodes, and waits, always with a
 * deadline, for a leader that every running node names and for a node to catch up.
 * {@link #close} kills whatever still runs, frozen or not. Driven by one test thread.
 */
final class ClusterProcesses implements AutoCloseable {
    /** How long the start of a node may take on a busy two-core machine. */
    static final int START_SECONDS = 60;
    /** admin.cluster and admin.status are answered from the node's own state, but a loaded node is slow */
    static final int ADMIN_TIMEOUT_SECONDS = 8;
    /**
     * Three server JVMs and the test's share two cores: the quick compiler only and the
     * serial collector start a node sooner and leave more CPU to the others.
     */
    static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m");

    /** One node: its ports, files and process. */
    final class Node {
        final int index;
        final String id;
        final int httpPort;
        final int raftPort;
        final Path config;
        final Path log;
        final Path data;
        final ServerProcess process;
        final Wire admin;
        boolean frozen;

        Node(int index, String id, int httpPort, int raftPort) {
            this.index = index;
            this.id = id;
            this.httpPort = httpPort;
            this.raftPort = raftPort;
            this.config = dir.resolve(id + ".conf");
            this.log = dir.resolve(id + ".log");
            this.data = dir.resolve(id);
            this.process = new ServerProcess(config, log, dir.resolve(id + "-output.txt"), httpPort, JVM_OPTIONS);
            this.admin = new Wire(url(), Duration.ofSeconds(ADMIN_TIMEOUT_SECONDS));
        }

        String url() {
            return "http://127.0.0.1:" + httpPort + "/RPC2";
        }

        /** Running and not frozen: it should answer. */
        boolean up() {
            return process.isRunning() && !frozen;
        }

        @Override
        public String toString() {
            return id;
        }
    }

    private final Path dir;
    final List<Node> nodes = new ArrayList<>();

    /**
     * Writes the configs: {@code general} lines are added to [general], {@code locks} is
     * appended as is ([lock NAME] sections), {@code cluster} lines are added to [cluster].
     */
    ClusterProcesses(Path dir, int count, String general, String locks, String cluster) throws IOException {
        this.dir = dir;
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < count; i++) {
            nodes.add(new Node(i, "n" + (i + 1), newPort(ports), newPort(ports)));
        }
        StringBuilder peers = new StringBuilder();
        for (Node n : nodes) {
            peers.append(peers.length() == 0 ? "" : ",").append(n.id).append("@127.0.0.1:").append(n.raftPort);
        }
        for (Node n : nodes) {
            String text = "[general]\n"
                    + "SERVER=127.0.0.1\n"
                    + "PORT=" + n.httpPort + "\n"
                    + "LOG_FILE=" + n.log + "\n"
                    + "DATA_DIR=" + n.data + "\n"
                    + general + (general.isEmpty() || general.endsWith("\n") ? "" : "\n")
                    + "\n" + locks + (locks.endsWith("\n") ? "" : "\n")
                    + "\n[cluster]\n"
                    + "NODE_ID=" + n.id + "\n"
                    + "PEERS=" + peers + "\n"
                    + cluster + (cluster.isEmpty() || cluster.endsWith("\n") ? "" : "\n");
            Files.writeString(n.config, text, StandardCharsets.UTF_8);
        }
    }

    /**
     * Three nodes for {@link ClusterLoad}'s clients: its [general] lines and locks, and the
     * sentinels' lock; {@code cluster}: more [cluster] lines. Not started.
     */
    static ClusterProcesses forLoad(Path dir, String cluster) throws IOException {
        return new ClusterProcesses(dir, 3, ClusterLoad.general(), ClusterLoad.locks() + Sentinels.CONFIG, cluster);
    }

    private static int newPort(Set<Integer> taken) throws IOException {
        while (true) {
            int p = ServerProcess.freePort();
            if (taken.add(p)) {
                return p;
            }
        }
    }

    Node node(int i) {
        return nodes.get(i);
    }

    List<String> urls() {
        return nodes.stream().map(Node::url).toList();
    }

    /** Launches every node at once and returns when all listen. */
    void startAll() throws Exception {
        for (Node n : nodes) {
            n.process.launch();
        }
        for (Node n : nodes) {
            n.process.awaitListening(START_SECONDS);
        }
    }

    /** {@link #startAll}, then waits for a leader every node names and that has applied the settings of {@code lock}. */
    void startServing(String lock) throws Exception {
        startAll();
        awaitLeader(Duration.ofSeconds(60));
        awaitServing(lock, Duration.ofSeconds(30));
    }

    void start(int i) throws Exception {
        nodes.get(i).process.launch();
        nodes.get(i).process.awaitListening(START_SECONDS);
    }

    /** SIGTERM; the exit code. */
    int terminate(int i) throws InterruptedException {
        return nodes.get(i).process.terminate();
    }

    /** SIGTERM to every running node at once; their exit codes (-1: was not running). */
    int[] terminateAll() throws IOException, InterruptedException {
        int[] codes = new int[nodes.size()];
        boolean[] running = new boolean[nodes.size()];
        for (Node n : nodes) {
            running[n.index] = n.process.isRunning();
            if (running[n.index]) {
                if (n.frozen) {
                    thaw(n.index);
                }
                n.process.sendTerm();
            }
        }
        for (Node n : nodes) {
            codes[n.index] = running[n.index] ? n.process.awaitExit() : -1;
        }
        return codes;
    }

    void kill(int i) throws InterruptedException {
        Node n = nodes.get(i);
        n.process.kill9();
        n.frozen = false;
    }

    void freeze(int i) throws IOException, InterruptedException {
        nodes.get(i).process.freeze();
        nodes.get(i).frozen = true;
    }

    void thaw(int i) throws IOException, InterruptedException {
        nodes.get(i).process.thaw();
        nodes.get(i).frozen = false;
    }

    /** admin.cluster of node i; null if it does not answer within {@link #ADMIN_TIMEOUT_SECONDS}. */
    Map<?, ?> describe(int i) {
        try {
            return (Map<?, ?>) nodes.get(i).admin.call("admin.cluster");
        } catch (LockServerException e) {
            return null;
        }
    }

    /** An admin.cluster answer, readable (its arrays spelt out). */
    static String show(Map<?, ?> view) {
        if (view == null) {
            return "no answer";
        }
        StringBuilder s = new StringBuilder("{");
        view.forEach((k, v) -> s.append(s.length() > 1 ? ", " : "").append(k).append('=')
                .append(v instanceof Object[] a ? java.util.Arrays.deepToString(a) : v));
        return s.append('}').toString();
    }

    static long applied(Map<?, ?> view) {
        return Long.parseLong((String) view.get("applied"));
    }

    /**
     * Waits until every node that is up names the same leader, and that leader says it
     * leads; returns the leader's index. Fails after {@code within}.
     */
    int awaitLeader(Duration within) throws InterruptedException {
        long giveUp = System.nanoTime() + within.toNanos();
        String last = "";
        while (true) {
            StringBuilder seen = new StringBuilder();
            String leader = null;
            boolean agreed = true;
            for (Node n : nodes) {
                if (!n.up()) {
                    continue;
                }
                Map<?, ?> v = describe(n.index);
                seen.append(n.id).append('=').append(v == null ? "no answer" : v.get("role") + "/leader "
                        + v.get("leader") + "/term " + v.get("term") + "/applied " + v.get("applied")).append("; ");
                String l = v == null ? "" : (String) v.get("leader");
                if (l.isEmpty() || (leader != null && !leader.equals(l))) {
                    agreed = false;
                }
                leader = l;
            }
            last = seen.toString();
            if (agreed && leader != null) {
                for (Node n : nodes) {
                    if (n.id.equals(leader) && n.up()) {
                        Map<?, ?> v = describe(n.index);
                        if (v != null && "leader".equals(v.get("role"))) {
                            return n.index;
                        }
                    }
                }
            }
            if (System.nanoTime() - giveUp > 0) {
                throw new AssertionError("no leader that every running node names within " + within.toSeconds()
                        + " s: " + last);
            }
            TimeUnit.MILLISECONDS.sleep(100); // polling other processes' state
        }
    }

    /**
     * Waits until every node that is up answers lock.status of {@code lock} (a configured
     * lock): the leader has taken over and the cluster serves. Returns every fault seen
     * meanwhile, as "node: code".
     */
    List<String> awaitServing(String lock, Duration within) throws InterruptedException {
        long giveUp = System.nanoTime() + within.toNanos();
        List<String> faults = new ArrayList<>();
        while (true) {
            boolean all = true;
            for (Node n : nodes) {
                if (!n.up()) {
                    continue;
                }
                try {
                    n.admin.call("lock.status", lock);
                } catch (LockServerException e) {
                    all = false;
                    faults.add(n.id + ": " + e.faultCode());
                }
            }
            if (all) {
                return faults;
            }
            if (System.nanoTime() - giveUp > 0) {
                throw new AssertionError("the cluster does not serve lock.status(" + lock + ") within "
                        + within.toSeconds() + " s; faults seen: " + faults);
            }
            TimeUnit.MILLISECONDS.sleep(20); // polling the nodes
        }
    }

    /**
     * Waits until node i names the leader and has applied what the leader had applied when
     * this was called: it has rejoined. Returns the leader's index.
     */
    int awaitCaughtUp(int i, Duration within) throws InterruptedException {
        long giveUp = System.nanoTime() + within.toNanos();
        int leader = awaitLeader(within);
        Map<?, ?> lv = describe(leader);
        long target = lv == null ? Long.MAX_VALUE : applied(lv);
        String last = "";
        while (true) {
            Map<?, ?> v = describe(i);
            if (v != null && nodes.get(leader).id.equals(v.get("leader")) && applied(v) >= target) {
                return leader;
            }
            last = show(v);
            if (System.nanoTime() - giveUp > 0) {
                throw new AssertionError(nodes.get(i).id + " did not catch up with leader " + nodes.get(leader).id
                        + " (applied " + target + ") within " + within.toSeconds() + " s: " + last);
            }
            TimeUnit.MILLISECONDS.sleep(100); // polling other processes' state
        }
    }

    /**
     * The lock state of node i as admin.status shows it, without the times that differ from
     * node to node: per lock its holders (ticket and token) and queue, in order. Null if the
     * node does not answer.
     */
    String lockState(int i) {
        Object[] locks;
        try {
            locks = (Object[]) nodes.get(i).admin.call("admin.status");
        } catch (LockServerException e) {
            return null;
        }
        StringBuilder s = new StringBuilder();
        for (Object o : locks) {
            Map<?, ?> l = (Map<?, ?>) o;
            s.append(l.get("name")).append(" size ").append(l.get("size")).append(" holders [");
            for (Object h : (Object[]) l.get("holders")) {
                s.append(((Map<?, ?>) h).get("ticket")).append(':').append(((Map<?, ?>) h).get("token")).append(' ');
            }
            s.append("] queue [");
            for (Object q : (Object[]) l.get("queue")) {
                s.append(((Map<?, ?>) q).get("ticket")).append(' ');
            }
            s.append("]\n");
        }
        return s.toString();
    }

    /**
     * Waits until every running node shows the same lock state (when nothing changes it:
     * the leader's ticks go on, so the applied indexes need not be equal); null once they
     * agree, else what differed last.
     */
    String awaitSameState(Duration within) throws InterruptedException {
        long giveUp = System.nanoTime() + within.toNanos();
        while (true) {
            StringBuilder differ = new StringBuilder();
            String first = null;
            for (Node n : nodes) {
                if (!n.up()) {
                    continue;
                }
                String state = lockState(n.index);
                if (state == null) {
                    differ.append(n.id).append(" does not answer admin.status; ");
                } else if (first == null) {
                    first = state;
                } else if (!state.equals(first)) {
                    differ.append(n.id).append(":\n").append(state).append("differs from the first node's:\n")
                            .append(first);
                }
            }
            if (differ.length() == 0) {
                return null;
            }
            if (System.nanoTime() - giveUp > 0) {
                return differ.toString();
            }
            TimeUnit.MILLISECONDS.sleep(200); // polling other processes' state
        }
    }

    /** The end of every node's log, for a failure message. */
    String logTails(int chars) {
        StringBuilder s = new StringBuilder();
        for (Node n : nodes) {
            try {
                s.append("\n---- ").append(n.id).append(" log tail ----\n").append(n.process.logTail(chars));
            } catch (IOException e) {
                s.append("\n---- ").append(n.id).append(": ").append(e);
            }
        }
        return s.toString();
    }

    /** Kills every node still running, frozen ones too (SIGKILL ends a stopped process). */
    @Override
    public void close() {
        for (Node n : nodes) {
            n.process.close();
        }
        String keep = System.getProperty("cluster.keep");
        if (keep != null) {
            Path to = Path.of(keep).resolve(dir.getFileName().toString());
            try (var walk = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    Path target = to.resolve(dir.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                System.out.println("kept the cluster's files in " + to);
            } catch (IOException e) {
                System.out.println("cannot keep the cluster's files in " + to + ": " + e);
            }
        }
    }
}
