package lockserver.safety;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The server as a separate JVM ({@code java -cp <test classpath> lockserver.server.Main
 * --config FILE}) on a fixed port, so it can be killed with SIGKILL or stopped with SIGTERM
 * and started again at the same URL with the same DATA_DIR and log file.
 */
final class ServerProcess implements AutoCloseable {
    private final Path config;
    private final Path log;
    private final Path output;
    private final int port;
    private Process process;
    /** byte offset of the log at each launch: the log is appended to by every run */
    final List<Long> runStarts = new ArrayList<>();

    ServerProcess(Path config, Path log, Path output, int port) {
        this.config = config;
        this.log = log;
        this.output = output;
        this.port = port;
    }

    /** Launches a run and returns once its start-up line is in the log. */
    void start() throws Exception {
        long offset = Files.exists(log) ? Files.size(log) : 0;
        runStarts.add(offset);
        process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "lockserver.server.Main",
                "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
        String listening = "listening on 127.0.0.1:" + port + " at /RPC2";
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
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
        throw new AssertionError("no start-up line in " + log + " after 40 s:\n" + tail(readFrom(offset)));
    }

    /** kill -9, and waits until the process is gone. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the server survived kill -9 for 30 s");
        }
    }

    /** SIGTERM: the server answers blocked waits and stops; returns its exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            throw new AssertionError("the server did not stop within 30 s of SIGTERM");
        }
        return process.exitValue();
    }

    long pid() {
        return process.pid();
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

    /** kill -9 if still running (after a failure). */
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
}
