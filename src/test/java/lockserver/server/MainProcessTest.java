package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lockserver.client.Lock;
import lockserver.client.LockClient;
import lockserver.client.LockServerException;
import lockserver.wire.Fault;
import org.junit.After;
import org.junit.Assume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The server as operators run it: a separate JVM started from the command line, stopped by SIGTERM. */
public class MainProcessTest {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+) at /RPC2");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private Process process;
    private Path output; // the process's stdout and stderr

    @After
    public void kill() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private Process launch(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        output = tmp.getRoot().toPath().resolve("output.txt");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    private String drain(Process p) throws Exception {
        assertTrue("process ended", p.waitFor(30, TimeUnit.SECONDS));
        return Files.readString(output);
    }

    @Test
    public void startsLogsOneLineAndStopsCleanlyOnSigterm() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("server.log");
        Path conf = TestServers.write(tmp.getRoot().toPath(), "lockserver.conf", TestServers.onLoopback(
                TestServers.issueConfig()).replace("LOG_FILE=/var/log/lockserver.log", "LOG_FILE=" + log)
                .replace("DEFAULT_LOCK_SIZE=6", "DEFAULT_LOCK_SIZE=1"));
        process = launch("--config", conf.toString());
        int port = awaitLog(log, LISTENING);

        LockClient client = new LockClient("http://127.0.0.1:" + port + "/RPC2");
        Lock holder = new Lock(client, "DefaultLock");
        assertTrue(holder.acquire("holder", Duration.ofSeconds(5)));
        String waiter = client.query("DefaultLock", "waiter");
        String waitCall = "<?xml version=\"1.0\"?><methodCall><methodName>lock.wait</methodName><params><param><value>"
                + waiter + "</value></param><param><value><int>25</int></value></param></params></methodCall>";
        CompletableFuture<HttpResponse<String>> blocked = HttpClient.newHttpClient().sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/RPC2")).header("Content-Type", "text/xml")
                        .POST(HttpRequest.BodyPublishers.ofString(waitCall)).build(),
                HttpResponse.BodyHandlers.ofString());
        // the wait must have reached the server before the signal: watch its request counter
        HttpClient metrics = HttpClient.newHttpClient();
        HttpRequest scrape = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!metrics.send(scrape, HttpResponse.BodyHandlers.ofString()).body()
                .contains("lockserver_requests_total{method=\"lock.wait\"} 1")) {
            assertTrue("the wait reached the server", System.nanoTime() < giveUp);
            Thread.onSpinWait();
        }

        process.destroy(); // SIGTERM
        assertTrue(process.waitFor(20, TimeUnit.SECONDS));
        HttpResponse<String> answer = blocked.get(20, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode());
        assertTrue("the in-flight wait is answered false, not cut off: " + answer.body(),
                answer.body().contains("<boolean>0</boolean>"));
        String printed = Files.readString(output);
        String logged = Files.readString(log);
        assertTrue(logged, logged.contains("stopping on signal"));
        assertTrue(logged, logged.contains("INFO  [shutdown] LockServer - stopped"));
        for (String text : List.of(printed, logged)) {
            assertFalse(text, text.contains("Exception"));
            assertFalse(text, text.contains("\tat "));
        }
    }

    @Test
    public void sighupReloadsTheConfigAndABadFileKeepsTheRunningOne() throws Exception {
        Path log = tmp.getRoot().toPath().resolve("server.log");
        String base = TestServers.onLoopback(TestServers.issueConfig())
                .replace("LOG_FILE=/var/log/lockserver.log", "LOG_FILE=" + log);
        Path conf = TestServers.write(tmp.getRoot().toPath(), "lockserver.conf", base);
        process = launch("--config", conf.toString());
        int port = awaitLog(log, LISTENING);
        LockClient client = new LockClient("http://127.0.0.1:" + port + "/RPC2");

        Files.writeString(conf, base + "\n[lock san02]\nSIZE=2\n");
        hangUp();
        awaitLog(log, Pattern.compile("reloaded .*: lock san02 added: size (2)"));
        assertEquals(2, client.status("san02").size());

        Files.writeString(conf, base + "\n[lock san02]\nSIZE=-1\n");
        hangUp();
        awaitLog(log, Pattern.compile("reload refused, the running config stays: .*SIZE=-1: must be a whole number "
                + "from (1)"));
        assertEquals(2, client.status("san02").size());
        assertTrue(client.ping());
    }

    private void hangUp() throws Exception {
        Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor());
    }

    @Test
    public void badConfigStopsStartUpWithOneLine() throws Exception {
        Path conf = TestServers.write(tmp.getRoot().toPath(), "bad.conf",
                TestServers.issueConfig().replace("DEFAULT_LOCK_SIZE=6", "DEFAULT_LOCK_SIZE=zero"));
        process = launch("--config", conf.toString());
        String out = drain(process);
        assertEquals(Main.EX_CONFIG, process.exitValue());
        assertEquals("lockserver: " + conf + ": [general] DEFAULT_LOCK_SIZE=zero: must be a whole number from 1 to "
                + "1000000\n", out);
    }

    @Test
    public void unknownArgumentIsAUsageError() throws Exception {
        process = launch("--port", "1");
        String out = drain(process);
        assertEquals(Main.EX_USAGE, process.exitValue());
        assertTrue(out, out.startsWith("lockserver: unknown argument '--port'\nusage: lockserver"));
    }

    @Test
    public void checkValidatesAndReportsWarnings() throws Exception {
        Path conf = TestServers.write(tmp.getRoot().toPath(), "ok.conf",
                TestServers.issueConfig().replace("PORT=9090", "PORT=9090\nPROT=1"));
        process = launch("--config", conf.toString(), "--check");
        String out = drain(process);
        assertEquals(0, process.exitValue());
        assertTrue(out, out.contains("warning: " + conf + ": [general] PROT=1: unknown key, ignored"));
        assertTrue(out, out.contains(conf + ": OK, 1 lock(s)"));
    }

    /**
     * A full disk (the journal file is /dev/full, which refuses every write with ENOSPC):
     * calls that change state get fault 99 at once, the rest are served, and SIGTERM still
     * stops the server (before, it did not stop within 8 s).
     */
    @Test
    public void withTheJournalsDiskFullCallsFailPlainlyAndSigtermStillStopsIt() throws Exception {
        Path full = Path.of("/dev/full");
        Assume.assumeTrue("needs /dev/full", Files.isWritable(full));
        Path data = tmp.newFolder("data").toPath();
        Files.createSymbolicLink(data.resolve("journal.0"), full);
        Path log = tmp.getRoot().toPath().resolve("server.log");
        Path conf = TestServers.write(tmp.getRoot().toPath(), "lockserver.conf", TestServers.onLoopback(
                TestServers.issueConfig()).replace("LOG_FILE=/var/log/lockserver.log", "LOG_FILE=" + log)
                .replace("[general]\n", "[general]\nDATA_DIR=" + data + "\nJOURNAL_FSYNC=always\n"));
        process = launch("--config", conf.toString());
        int port = awaitLog(log, LISTENING);

        LockClient client = new LockClient("http://127.0.0.1:" + port + "/RPC2");
        try {
            client.query("DefaultLock", "cannot be journaled");
            fail("a query the journal could not keep was answered with a ticket");
        } catch (LockServerException e) {
            assertEquals(Fault.INTERNAL.code, e.faultCode());
            assertTrue(e.getMessage(), e.getMessage().contains("journal cannot be written"));
        }
        assertTrue("calls that need no journal are still served", client.ping());

        process.destroy(); // SIGTERM
        assertTrue("stopped on SIGTERM although the journal cannot be written", process.waitFor(10, TimeUnit.SECONDS));
        String logged = Files.readString(log);
        assertTrue(logged, logged.contains("cannot write the journal"));
    }

    /** Waits for a line matching {@code pattern} in the log and returns its first group as a number. */
    private static int awaitLog(Path log, Pattern pattern) throws Exception {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < giveUp) {
            if (Files.exists(log)) {
                Matcher m = pattern.matcher(Files.readString(log));
                if (m.find()) {
                    return Integer.parseInt(m.group(1));
                }
            }
            Thread.sleep(50); // polling a file another process writes; not a synchronisation of our own threads
        }
        throw new AssertionError("no line matching " + pattern + " in the server log within 30 s:\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }
}
