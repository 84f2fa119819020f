package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import lockserver.wire.Fault;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * The Python client's fault table (lockcli.faults.Fault, and the FAULT_* names lockcli exports)
 * is a copy of {@link Fault}: this test runs a real python3 to print it and compares the two,
 * names and codes, in both directions.
 */
public class PythonFaultTableTest {
    /** Prints one line per fault, "TABLE NAME CODE", for the enum, the FAULT_* constants and FAULT_NAMES. */
    private static final String PRINT_TABLES = """
            import lockcli, lockcli.faults
            for fault in lockcli.faults.Fault:
                print("Fault", fault.name, fault.value)
            for key, value in sorted(vars(lockcli).items()):
                if key.startswith("FAULT_") and key != "FAULT_NAMES":
                    print("FAULT_", key[len("FAULT_"):], value)
            for code, name in lockcli.FAULT_NAMES.items():
                print("FAULT_NAMES", name, code)
            """;

    private static String printed;

    @BeforeClass
    public static void runPython() throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("python3", "-c", PRINT_TABLES).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", Path.of("src", "main", "python").toAbsolutePath().toString());
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("python3 did not finish in 60 s", p.waitFor(60, TimeUnit.SECONDS));
        assertEquals("python3 failed:\n" + printed, 0, p.exitValue());
    }

    @Test
    public void pythonFaultEnumEqualsJavaFault() {
        assertSameFaults("lockcli.faults.Fault", pythonTable("Fault"));
    }

    @Test
    public void pythonFaultConstantsEqualJavaFault() {
        assertSameFaults("lockcli.FAULT_*", pythonTable("FAULT_"));
    }

    @Test
    public void pythonFaultNamesEqualJavaFault() {
        assertSameFaults("lockcli.FAULT_NAMES", pythonTable("FAULT_NAMES"));
    }

    private static void assertSameFaults(String what, Map<String, Integer> python) {
        Map<String, Integer> java = new TreeMap<>();
        for (Fault fault : Fault.values()) {
            java.put(fault.name(), fault.code);
        }
        TreeSet<String> missing = new TreeSet<>(java.keySet());
        missing.removeAll(python.keySet());
        TreeSet<String> unknown = new TreeSet<>(python.keySet());
        unknown.removeAll(java.keySet());
        assertTrue("faults of lockserver.wire.Fault missing in " + what + ": " + missing, missing.isEmpty());
        assertTrue("faults in " + what + " that lockserver.wire.Fault lacks: " + unknown, unknown.isEmpty());
        assertEquals("codes of " + what + " against lockserver.wire.Fault", java, python);
    }

    /** The rows of one table printed by {@link #PRINT_TABLES}: name to code. */
    private static Map<String, Integer> pythonTable(String table) {
        Map<String, Integer> rows = new TreeMap<>();
        for (String line : printed.split("\n")) {
            String[] cells = line.trim().split(" ");
            if (cells.length == 3 && cells[0].equals(table)) {
                Integer before = rows.put(cells[1], Integer.valueOf(cells[2]));
                assertEquals(table + " names " + cells[1] + " twice:\n" + printed, null, before);
            }
        }
        return rows;
    }
}
