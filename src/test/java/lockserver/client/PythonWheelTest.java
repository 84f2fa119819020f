package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.xml.parsers.DocumentBuilderFactory;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The Python client as pip installs it: builds the lockcli wheel from src/main/python/pyproject.toml
 * offline (a copy in target/py-build, into target/py-dist), installs it without an index in a fresh
 * venv (target/py-venv, made by the first python3 on PATH), and runs the client test modules with
 * that venv's python and its lockrun and lockctl console scripts, src/main/python off the path,
 * against real servers started here. Also checks what the wheel holds and its version.
 */
public class PythonWheelTest {
    private static final Path SOURCE = Path.of("src", "main", "python");
    private static final Path BUILD = Path.of("target", "py-build");
    private static final Path DIST = Path.of("target", "py-dist");
    private static final Path VENV = Path.of("target", "py-venv");
    private static final Duration LIMIT = Duration.ofMinutes(2);

    private static Path wheel;
    private static LockServer server;
    private static LockServer other;
    private static LockServer stoppable;

    @BeforeClass
    public static void buildInstallAndStartServers() throws Exception {
        for (Path dir : List.of(BUILD, DIST, VENV)) {
            deleteTree(dir);
        }
        copyPackage();
        run(List.of(wheelBuilder(), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                "--disable-pip-version-check", "-w", DIST.toString(), BUILD.toString()));
        try (Stream<Path> built = Files.list(DIST)) {
            List<Path> wheels = built.filter(p -> p.toString().endsWith(".whl")).toList();
            assertEquals("one wheel in " + DIST + ": " + wheels, 1, wheels.size());
            wheel = wheels.get(0);
        }
        run(List.of("python3", "-m", "venv", VENV.toString()));
        run(List.of(python(), "-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check",
                "-q", wheel.toString()));
        String ini = TestServers.withGeneral("ALLOW_REMOTE_CREATE=true")
                .replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.2");
        server = TestServers.start(ini);
        other = TestServers.start(ini);
        stoppable = TestServers.start(TestServers.withGeneral("ALLOW_REMOTE_SHUTDOWN=true"));
    }

    @AfterClass
    public static void stopServers() throws Exception {
        for (LockServer s : new LockServer[] {server, other, stoppable}) {
            if (s != null) {
                s.close(); // stoppable is shut down by test_revoke_watch: closing again must be harmless
            }
        }
    }

    @Test
    public void wheelHoldsEveryModuleTheTypedMarkerAndTheConsoleScriptsAndNoDependency() throws Exception {
        TreeSet<String> expected;
        try (Stream<Path> files = Files.list(SOURCE.resolve("lockcli"))) {
            expected = files.map(p -> "lockcli/" + p.getFileName())
                    .filter(n -> n.endsWith(".py") || n.endsWith("/py.typed"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertTrue(expected.toString(), expected.contains("lockcli/py.typed"));
        try (ZipFile zip = new ZipFile(wheel.toFile())) {
            TreeSet<String> packaged = zip.stream().map(ZipEntry::getName).filter(n -> n.startsWith("lockcli/"))
                    .collect(Collectors.toCollection(TreeSet::new));
            assertEquals("the lockcli package in " + wheel, expected, packaged);
            List<String> entryPoints = lines(zip, "entry_points.txt");
            assertTrue(entryPoints.toString(), entryPoints.contains("lockrun = lockcli.lockrun:main_run"));
            assertTrue(entryPoints.toString(), entryPoints.contains("lockctl = lockcli.lockctl:main"));
            List<String> metadata = lines(zip, "METADATA");
            assertTrue(metadata.toString(), metadata.contains("Requires-Python: >=3.8"));
            assertTrue(metadata.toString(), metadata.contains("License: MIT"));
            assertFalse("no run-time dependency: " + metadata,
                    metadata.stream().anyMatch(l -> l.startsWith("Requires-Dist:")));
        }
        for (String script : List.of("lockrun", "lockctl")) {
            assertTrue(script + " installed as a console script", Files.isExecutable(bin().resolve(script)));
        }
    }

    @Test
    public void versionIsPomVersionInTheWheelThePackageAndLockctl() throws Exception {
        String pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new File("pom.xml"))
                .getDocumentElement().getElementsByTagName("version").item(0).getTextContent().trim();
        try (ZipFile zip = new ZipFile(wheel.toFile())) {
            assertTrue(lines(zip, "METADATA").toString(), lines(zip, "METADATA").contains("Version: " + pom));
        }
        assertEquals(wheel.getFileName().toString(), "lockcli-" + pom + "-py3-none-any.whl",
                wheel.getFileName().toString());
        assertEquals("lockctl " + pom, run(List.of(bin().resolve("lockctl").toString(), "--version")).trim());
    }

    @Test
    public void installedPackageIsTheOneImportedAndItsTypeHintsResolve() throws Exception {
        String printed = run(List.of(python(), "-c", """
                import typing, lockcli, lockcli.lockrun, lockcli.lockctl, lockcli.failover, lockcli.options, \\
                    lockcli.watch, lockcli.transport
                public = [lockcli.Lock.__init__, lockcli.Lock.query, lockcli.Lock.wait, lockcli.Lock.release,
                          lockcli.Lock.renew, lockcli.Lock.check, lockcli.Lock.acquired, lockcli.Lock.lock_query,
                          lockcli.Lock.lock_wait, lockcli.Lock.lock_release, lockcli.Lock.lock_check,
                          lockcli.lockrun.main_run, lockcli.lockctl.main, lockcli.failover.Endpoints.call,
                          lockcli.failover.split_urls, lockcli.options.ticket_options, lockcli.watch.follow,
                          lockcli.transport.Transport.call, lockcli.tls_context, lockcli.redact_url]
                for function in public:
                    assert "return" in typing.get_type_hints(function), function
                print(lockcli.__file__)
                """)).trim();
        String venv = VENV.toRealPath().toString() + File.separator;
        assertTrue("lockcli imported from " + printed + ", not from " + venv,
                Path.of(printed).toRealPath().toString().startsWith(venv));
    }

    @Test
    public void libraryLockrunAndLockctlTestsPassAgainstTheInstall() throws Exception {
        Map<String, String> env = Map.of("LOCKSERVER_URL", server.url().toString());
        PythonSuite.assertAllPassInstalled(VENV, "test_lockcli.py", env, LIMIT);
        PythonSuite.assertAllPassInstalled(VENV, "test_semantics.py", env, LIMIT);
        PythonSuite.assertAllPassInstalled(VENV, "test_lockctl.py", env, LIMIT);
    }

    @Test
    public void securityTestsPassAgainstTheInstall() throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "py-tls");
        PythonSecurityTest.SecureServer secure = PythonSecurityTest.SecureServer.start(dir);
        try {
            PythonSuite.assertAllPassInstalled(VENV, "test_security.py", secure.env(), LIMIT);
        } finally {
            secure.server().close();
        }
    }

    @Test
    public void failoverTestsPassAgainstTheInstall() throws Exception {
        PythonSuite.assertAllPassInstalled(VENV, "test_failover.py", Map.of("LOCKSERVER_FAILOVER_A",
                server.url().toString(), "LOCKSERVER_FAILOVER_B", other.url().toString()), LIMIT);
    }

    @Test
    public void revokeWatchAndLockctlTestsPassAgainstTheInstall() throws Exception {
        PythonSuite.assertAllPassInstalled(VENV, "test_revoke_watch.py", Map.of("LOCKSERVER_REVOKE_URL",
                server.url().toString(), "LOCKSERVER_SHUTDOWN_URL", stoppable.url().toString()), LIMIT);
    }

    private static Path bin() {
        return VENV.toAbsolutePath().resolve("bin");
    }

    private static String python() {
        return bin().resolve("python").toString();
    }

    /**
     * The first python3 on PATH that has pip, setuptools and wheel (the build backend and its helper):
     * the wheel is pure Python, so any python3 builds the same one.
     */
    private static String wheelBuilder() throws Exception {
        List<String> tried = new ArrayList<>();
        for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "python3");
            if (Files.isExecutable(candidate) && !tried.contains(candidate.toString())) {
                tried.add(candidate.toString());
                Process p = new ProcessBuilder(candidate.toString(), "-c", "import setuptools, wheel, pip")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate.toString();
                }
            }
        }
        throw new AssertionError("no python3 on PATH has pip, setuptools and wheel (tried " + tried
                + "): on Debian, apt-get install python3-setuptools python3-wheel python3-pip (see .ci/run)");
    }

    /** pyproject.toml and the lockcli package (no byte code) into BUILD, so that the build leaves src alone. */
    private static void copyPackage() throws IOException {
        Files.createDirectories(BUILD.resolve("lockcli"));
        Files.copy(SOURCE.resolve("pyproject.toml"), BUILD.resolve("pyproject.toml"));
        try (Stream<Path> files = Files.list(SOURCE.resolve("lockcli"))) {
            for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".pyc")).toList()) {
                Files.copy(f, BUILD.resolve("lockcli").resolve(f.getFileName()));
            }
        }
    }

    /** The lines of the wheel's .dist-info file {@code name}. */
    private static List<String> lines(ZipFile zip, String name) throws IOException {
        ZipEntry entry = zip.stream().filter(e -> e.getName().matches("lockcli-[^/]+\\.dist-info/" + name))
                .findFirst().orElse(null);
        assertNotNull(name + " in " + zip.getName(), entry);
        return new String(zip.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }

    /** Runs {@code command} (PYTHONPATH unset); its output, asserting exit 0. */
    private static String run(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().remove("PYTHONPATH");
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(command + " did not finish in 2 minutes", p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(command + " failed:\n" + output, 0, p.exitValue());
        return output;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
