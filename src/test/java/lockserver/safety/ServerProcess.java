package lockserver.safety;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The server as a separate JVM ({@code java -cp <test classpath> lockserver.server.Main
 * --config FILE}) on a fixed port, so it can be killed with SIGKILL, stopped with SIGTERM,
 * frozen with SIGSTOP and resumed with SIGCONT, and started again at the same URL with the
 * same DATA_DIR and log file. One test thread drives it at a time.
 */
public final class ServerProcess implements AutoCloseable {
    private final Path config;
    private final Path log;
    private final Path output;
    private final int port;
    private final List<String> jvmOptions;
    private Process process;
    /** byte offset of the log at each launch: the log is appended to by every run */
    final List<Long> runStarts = new ArrayList<>();

    public ServerProcess(Path config, Path log, Path output, int port) {
        this(config, log, output, port, List.of());
    }

    /** @param jvmOptions options for the server's JVM, e.g. {@code -XX:+UseSerialGC} */
    public ServerProcess(Path config, Path log, Path output, int port, List<String> jvmOptions) {
        this.config = config;
        this.log = log;
        this.output = output;
        this.port = port;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** Launches a run and returns once its start-up line is in the log. */
    public void start() throws Exception {
        launch();
        awaitListening(40);
    }

    /** Launches a run without waiting for it: start several, then {@link #awaitListening} each. */
    public void launch() throws IOException {
        long offset = Files.exists(log) ? Files.size(log) : 0;
        runStarts.add(offset);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "lockserver.server.Main",
                "--config", config.toString()));
        process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
    }

    /** Returns once the run {@link #launch}ed last has logged its start-up line; fails after {@code seconds}. */
    public void awaitListening(int seconds) throws Exception {
        long offset = runStarts.get(runStarts.size() - 1);
        String listening = "listening on 127.0.0.1:" + port + " at /RPC2";
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() - giveUp < 0) {
            if (Files.exists(log) && readFrom(offset).contains(listening)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("the server exited with " + process.exitValue() + " at start-up: "
                        + Files.readString(output) + "\nlog:\n" + tail(readFrom(offset)));
            }
            Thread.sleep(20); // polling a file another process writes
        }
        throw new AssertionError("no start-up line in " + log + " after " + seconds + " s:\n"
                + tail(readFrom(offset)));
    }

    /** kill -9, and waits until the process is gone. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the server survived kill -9 for 30 s");
        }
    }

    /** SIGTERM: the server answers blocked waits and stops; returns its exit code. */
    public int terminate() throws InterruptedException {
        sendTerm();
        return awaitExit();
    }

    /** SIGTERM without waiting: stop several at once, then {@link #awaitExit} each. */
    public void sendTerm() {
        process.destroy();
    }

    /** Waits up to 30 s for the process to end after {@link #sendTerm}; its exit code. */
    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("the server did not stop within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    /** Whether the last run is still a live process (frozen counts as live). */
    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** SIGSTOP: the process stops dead, its sockets stay open and nobody answers. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT after {@link #freeze}. */
    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
                .redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed: "
                    + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The log lines of every run, for a failure message: the last {@code chars} characters. */
    public String logTail(int chars) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        String all = readFrom(Math.max(0, Files.size(log) - chars));
        return all;
    }

    private String readFrom(long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long length = f.length();
            if (length <= offset) {
                return "";
            }
            byte[] b = new byte[(int) Math.min(length - offset, 1 << 20)];
            f.seek(offset);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private static String tail(String s) {
        return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
    }

    /** kill -9 if still running (after a failure); a frozen process dies too. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            try {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A free loopback port below the kernel's ephemeral range: while the server is down,
     * thousands of refused connects pick ephemeral local ports, and one of them could take
     * (or self-connect to) a port from that range, so the restart could not bind it.
     */
    public static int freePort() throws IOException {
        int low = 32768;
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            low = Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            // not Linux: assume the IANA range starts at 49152 or the Linux default
        }
        Random r = new Random();
        for (int i = 0; i < 200 && low > 11_000; i++) {
            int port = 10_000 + r.nextInt(low - 10_000);
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
