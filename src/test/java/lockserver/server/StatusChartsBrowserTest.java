package lockserver.server;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assume.assumeTrue;

import java.io.StringReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lockserver.core.FakeClock;
import lockserver.core.LockRegistry;
import lockserver.core.LockStatus;
import lockserver.server.config.ServerConfig;
import lockserver.server.web.History;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The status page's charts in a real headless Chromium, against a real server whose clock
 * the test moves: the chart elements carry the samples, queue lengths and waits the server
 * holds, the page's policy blocks nothing it uses, and with 200 locks it stays a list a
 * person can read (target/status-page.png). Skipped without chromium, except on CI.
 */
public class StatusChartsBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Pattern ATTRIBUTE = Pattern.compile("([a-z0-9-]+)=\"([^\"]*)\"");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();
    private final FakeClock clock = new FakeClock();
    private final HttpClient http = HttpClient.newHttpClient();
    private LockServer server;
    private LockRegistry reg;

    @Before
    public void needsChromium() {
        boolean present = Files.isExecutable(CHROMIUM);
        if (!present && System.getenv("CI") != null) {
            throw new AssertionError("CI must have " + CHROMIUM + " (installed by .ci/run)");
        }
        assumeTrue("no " + CHROMIUM + " here", present);
    }

    @After
    public void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private void start(String locks) throws Exception {
        String ini = TestServers.onLoopback(TestServers.issueConfig())
                .replaceFirst("(?m)^LIFECYCLE_PERIOD=.*$", "LIFECYCLE_PERIOD=0.01") + locks;
        server = LockServer.start(ServerConfig.parse("test", new StringReader(ini)), clock);
        reg = server.registry();
    }

    @Test(timeout = 120_000)
    public void chartsCarryTheNumbersTheServerHolds() throws Exception {
        start("[lock builds]\nSIZE=1\n[lock San-02.x:y_z]\nSIZE=3\n");
        awaitSamples("builds", 1); // the lifecycle's first sample: nothing held yet
        hold("DefaultLock", "backup 1");
        hold("DefaultLock", "backup 2");
        // four grants of builds with known waits (0, 1, 2 and 3 s), within one sample period
        String holder = hold("builds", "build 1");
        for (int s = 1; s <= 3; s++) {
            String next = reg.query("builds", "build " + (s + 1));
            clock.advanceSeconds(s);
            assertTrue(reg.release(holder));
            assertTrue(reg.claim(next));
            holder = next;
        }
        reg.query("builds", "build 5"); // waits
        nextSample("builds", 2);
        reg.query("builds", "build 6");
        nextSample("builds", 3);

        String dom = chromium(tmp.getRoot().toPath().resolve("dom.html"), "--dump-dom");
        LockStatus builds = reg.status("builds");
        Map<String, String> held = element(dom, "svg", "held", "builds");
        assertEquals("0,1,1", held.get("data-values"));
        assertEquals(Integer.toString(builds.used()), held.get("data-last"));
        assertEquals("1", held.get("data-limit"));
        Map<String, String> queue = element(dom, "svg", "queue", "builds");
        assertEquals("0,1,2", queue.get("data-values"));
        assertEquals(Integer.toString(builds.queued()), queue.get("data-last"));
        assertEquals("0,2,2", element(dom, "svg", "held", "DefaultLock").get("data-values"));
        assertEquals("6", element(dom, "svg", "held", "DefaultLock").get("data-limit"));
        assertEquals("0,0,0", element(dom, "svg", "held", "San-02.x:y_z").get("data-values"));
        assertEquals("1", element(dom, "svg", "spark", "builds").get("data-last"));

        assertEquals("0,1000,2000,3000", element(dom, "svg", "waits", "builds").get("data-values"));
        Map<String, String> waits = element(dom, "figcaption", "waits", "builds");
        assertEquals("4", waits.get("data-count"));
        assertEquals("1000", waits.get("data-p50-ms"));
        assertEquals("3000", waits.get("data-max-ms"));
        assertTrue(dom, dom.contains("wait of the last 4 grant(s): p50 1.0 s, max 3.0 s"));

        assertEquals("busiest first: share of slots used", List.of("builds", "DefaultLock", "San-02.x:y_z"),
                lockOrder(dom));
        assertTrue(dom, dom.contains("1 of 1 slots in use</span> by 1 holder(s), 2 queued"));
        assertTrue(dom, dom.contains("build 6"));
    }

    @Test(timeout = 180_000)
    public void twoHundredLocksStayReadable() throws Exception {
        StringBuilder locks = new StringBuilder();
        for (int i = 1; i <= 200; i++) {
            locks.append(String.format("[lock job-%03d]%nSIZE=%d%n", i, 1 + i % 8));
        }
        start(locks.toString());
        awaitSamples("job-001", 1);
        Random load = new Random(17);
        Map<String, List<String>> tickets = new TreeMap<>();
        for (int s = 2; s <= 90; s++) {
            // a changing load on a few dozen locks: arrivals, and holders that finish
            for (int i = 1; i <= 200; i += 5) {
                String lock = String.format("job-%03d", i);
                List<String> mine = tickets.computeIfAbsent(lock, l -> new ArrayList<>());
                int arrivals = load.nextInt(i % 3 == 0 ? 4 : 2);
                for (int a = 0; a < arrivals; a++) {
                    mine.add(reg.query(lock, "worker " + s + "." + a + " on host" + (i % 13)));
                }
                for (String t : List.copyOf(mine)) {
                    if (reg.peek(t).state().wireName().equals("granted") && load.nextInt(3) == 0) {
                        assertTrue(reg.release(t));
                        mine.remove(t);
                    }
                }
                mine.forEach(reg::claim); // what arrived or was handed on
            }
            nextSample("job-001", s);
        }

        Path shot = Path.of("target", "status-page.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        String dom = chromium(tmp.getRoot().toPath().resolve("dom.html"), "--dump-dom");
        chromium(tmp.getRoot().toPath().resolve("shot.txt"), "--screenshot=" + shot, "--window-size=1280,2400",
                "--hide-scrollbars");
        assertTrue("screenshot written to " + shot, Files.size(shot) > 10_000);

        List<String> order = lockOrder(dom);
        assertEquals(201, order.size()); // and the config's DefaultLock
        List<LockStatus> busiest = new ArrayList<>(reg.list());
        busiest.sort((a, b) -> {
            int c = Long.compare((long) b.used() * a.size(), (long) a.used() * b.size());
            c = c != 0 ? c : Integer.compare(b.queued(), a.queued());
            return c != 0 ? c : a.name().compareTo(b.name());
        });
        assertEquals(busiest.stream().map(LockStatus::name).toList(), order);
        Matcher open = Pattern.compile("<details class=\"lock\"[^>]*>").matcher(dom);
        int opened = 0;
        int rows = 0;
        while (open.find()) {
            rows++;
            opened += open.group().contains(" open") ? 1 : 0;
        }
        assertEquals(201, rows);
        assertEquals("only the busiest few are open", 3, opened);
        String first = order.get(0);
        assertEquals(Integer.toString(reg.status(first).used()), element(dom, "svg", "held", first).get("data-last"));
        assertEquals(90, element(dom, "svg", "held", first).get("data-values").split(",").length);
        assertTrue("long queues show their first 8 waiters", dom.contains(" more (lockctl status lists them all)"));
    }

    /** A claimed grant: the grace time does not end it while the test moves the clock. */
    private String hold(String lock, String info) {
        String t = reg.query(lock, info);
        assertTrue(lock + " has a free slot", reg.claim(t));
        return t;
    }

    /** Moves the clock one sample period on and waits for the lifecycle thread to take sample {@code n}. */
    private void nextSample(String lock, int n) throws Exception {
        clock.advanceNanos(History.PERIOD_NANOS);
        awaitSamples(lock, n);
    }

    private void awaitSamples(String lock, int n) throws Exception {
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int seen = -1;
        while (System.nanoTime() < giveUp) {
            String values = element(page(), "svg", "held", lock).get("data-values");
            seen = values.isEmpty() ? 0 : values.split(",").length;
            if (seen >= n) {
                assertEquals("one sample per period", n, seen);
                return;
            }
            Thread.onSpinWait(); // the lifecycle thread samples on its next run, 10 ms apart
        }
        throw new AssertionError("sample " + n + " of " + lock + " not taken; " + seen + " so far");
    }

    private String page() throws Exception {
        return http.send(HttpRequest.newBuilder(server.url().resolve("/")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Runs headless Chromium on the status page; returns its stdout, and checks the page policy blocked nothing. */
    private String chromium(Path out, String... action) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0",
                "--user-data-dir=" + tmp.newFolder().toPath()));
        cmd.addAll(List.of(action));
        URI page = server.url().resolve("/");
        cmd.add(page.toString());
        Path err = out.resolveSibling(out.getFileName() + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue("chromium finished", p.waitFor(90, TimeUnit.SECONDS));
        String log = Files.readString(err);
        assertEquals(log, 0, p.exitValue());
        assertFalse("the page policy blocked something: " + log,
                log.contains("Content Security Policy") || log.contains("Refused to"));
        return Files.readString(out);
    }

    /** The attributes of the {@code tag} of class {@code cls} for {@code lock}. */
    private static Map<String, String> element(String dom, String tag, String cls, String lock) {
        Matcher m = Pattern.compile("<" + tag + "[^>]* class=\"" + cls + "\" data-lock=\"" + Pattern.quote(lock)
                + "\"[^>]*>").matcher(dom);
        assertTrue("no <" + tag + " class=" + cls + "> for " + lock, m.find());
        Map<String, String> attributes = new TreeMap<>();
        Matcher a = ATTRIBUTE.matcher(m.group());
        while (a.find()) {
            attributes.put(a.group(1), a.group(2));
        }
        return attributes;
    }

    private static List<String> lockOrder(String dom) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("<details class=\"lock\" id=\"lock-[^\"]*\" data-lock=\"([^\"]*)\"").matcher(dom);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
