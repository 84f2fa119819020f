package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.ToolProvider;
import lockserver.server.LockServer;
import lockserver.server.TestServers;
import lockserver.wire.Fault;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * target/lockserver-client.jar as {@code mvn package} leaves it (a failsafe test: it runs after
 * package): it holds the client, the wire classes and the XML-RPC client library relocated under
 * lockserver.client.internal, nothing else; and a program compiled and run with that jar as its
 * whole class path takes a slot on a real server, holds it where the server sees it, and releases it.
 */
public class ClientJarIT {
    private static final Path JAR = Path.of(System.getProperty("lockserver.clientJar",
            "target/lockserver-client.jar"));
    private static final String PROGRAM = "TakeASlot";

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void holdsTheClientTheWireAndTheRelocatedXmlRpcClientOnly() throws Exception {
        List<String> strays = new ArrayList<>();
        Set<String> classes = new TreeSet<>();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            for (JarEntry e : jar.stream().filter(e -> !e.isDirectory()).collect(Collectors.toList())) {
                String name = e.getName();
                if (name.startsWith("lockserver/client/") || name.startsWith("lockserver/wire/")) {
                    classes.add(name);
                } else if (!name.equals("META-INF/MANIFEST.MF")) {
                    strays.add(name);
                }
            }
            assertEquals("lockserver.client", jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
        }
        assertEquals("entries outside the client, the wire and the relocated XML-RPC client", List.of(), strays);
        Set<String> missing = new TreeSet<>(compiledClientAndWire());
        missing.removeAll(classes);
        assertEquals("client and wire classes the jar lacks", Set.of(), missing);
        assertTrue(classes.contains("lockserver/client/internal/xmlrpc/client/XmlRpcClient.class"));
        assertTrue(classes.contains("lockserver/client/internal/xmlrpc/client/XmlRpcClient.properties"));
        assertTrue(classes.stream().noneMatch(c -> c.startsWith("org/")));
    }

    @Test(timeout = 120_000)
    public void aProgramOnTheJarAloneTakesAndReleasesASlot() throws Exception {
        Path classes = compileProgramAgainstTheJarAlone();
        try (LockServer server = TestServers.start(TestServers.issueConfig())) {
            String url = server.url().toString();
            LockClient observer = new LockClient(url);
            Path stderr = tmp.getRoot().toPath().resolve("program.stderr");
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", classes + File.pathSeparator + JAR, PROGRAM, url, "DefaultLock")
                    .redirectError(stderr.toFile());
            Stream.of("CLASSPATH", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")
                    .forEach(pb.environment()::remove);
            Process program = pb.start();
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(program.getInputStream(), StandardCharsets.UTF_8));
                    OutputStream in = program.getOutputStream()) {
                String[] granted = String.valueOf(out.readLine()).split(" ");
                assertEquals(Files.readString(stderr), "granted", granted[0]);

                TicketInfo held = observer.check(granted[1]);
                assertTrue(held.state(), held.isGranted());
                assertEquals("TakeASlot", held.info());
                assertEquals(Long.toString(held.token()), granted[3]);
                assertEquals(1, observer.status("DefaultLock").granted());

                in.write('\n');
                in.flush();
                assertEquals("released true", out.readLine());
                assertEquals("fault " + Fault.UNKNOWN_LOCK.code, out.readLine());
                assertEquals(null, out.readLine());
                assertEquals(Files.readString(stderr), 0, program.waitFor());
                assertEquals(0, observer.status("DefaultLock").granted());
                assertTrue(observer.check(granted[1]).isGone());
            } finally {
                program.destroyForcibly();
            }
        }
    }

    /** Compiles the program with javac and a class path of the client jar and nothing else. */
    private Path compileProgramAgainstTheJarAlone() throws IOException {
        assertTrue(JAR + " is built by mvn package", Files.isRegularFile(JAR));
        Path src = tmp.newFolder("src").toPath().resolve(PROGRAM + ".java");
        try (InputStream in = ClientJarIT.class.getResourceAsStream("/client-jar/" + PROGRAM + ".java")) {
            assertNotNull(in);
            Files.copy(in, src);
        }
        Path classes = tmp.newFolder("classes").toPath();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, diagnostics, diagnostics,
                "-classpath", JAR.toString(), "-d", classes.toString(), "-Xlint:all", "-Werror", src.toString());
        assertEquals(diagnostics.toString(StandardCharsets.UTF_8), 0, rc);
        return classes;
    }

    /** The class files mvn compiled for lockserver.client and lockserver.wire, as jar entry names. */
    private static Set<String> compiledClientAndWire() throws IOException, URISyntaxException {
        Path root = Path.of(Lock.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> names = new TreeSet<>();
        for (String pkg : List.of("lockserver/client", "lockserver/wire")) {
            try (Stream<Path> files = Files.walk(root.resolve(pkg))) {
                files.filter(Files::isRegularFile)
                        .forEach(f -> names.add(root.relativize(f).toString().replace(File.separatorChar, '/')));
            }
        }
        assertTrue(names.contains("lockserver/client/Lock.class"));
        return names;
    }
}
