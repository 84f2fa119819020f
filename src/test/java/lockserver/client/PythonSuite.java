package lockserver.client;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs one module of src/test/python with a real python3 (lockcli from src/main/python, or the
 * one installed in a venv) and asserts that it ran tests, skipped none, and that each one
 * reported ok. The output goes to target/NAME.log and to stdout (kept in target/surefire-reports).
 */
final class PythonSuite {
    /** Client settings of the developer's environment that must not reach a suite. */
    private static final List<String> LEAKS = List.of("LOCKSERVER_URL", "LOCKSERVER_LOCK", "LOCKSERVER_USER",
            "LOCKSERVER_PASSWORD", "LOCKSERVER_CAFILE");

    private PythonSuite() {
    }

    static void assertAllPass(String module, Map<String, String> env, Duration limit) throws Exception {
        run("python3", Path.of("target", module.replace(".py", "") + ".log"), module, env, limit);
    }

    /**
     * As {@link #assertAllPass(String, Map, Duration)} with the lockcli a venv has installed: its
     * python runs the module, src/main/python stays off PYTHONPATH, and the module runs the venv's
     * lockrun and lockctl (LOCKCLI_BIN, see src/test/python/client_under_test.py). Log:
     * target/installed-NAME.log.
     */
    static void assertAllPassInstalled(Path venv, String module, Map<String, String> env, Duration limit)
            throws Exception {
        Path bin = venv.toAbsolutePath().resolve("bin");
        Map<String, String> installed = new HashMap<>(env);
        installed.put("LOCKCLI_BIN", bin.toString());
        installed.put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
        run(bin.resolve("python").toString(), Path.of("target", "installed-" + module.replace(".py", "") + ".log"),
                module, installed, limit);
    }

    private static void run(String python, Path log, String module, Map<String, String> env, Duration limit)
            throws Exception {
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(python, "-m", "unittest", "discover", "-s", "src/test/python",
                "-p", module, "-v").redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> e = pb.environment();
        LEAKS.forEach(e::remove);
        e.putAll(env);
        if (env.containsKey("LOCKCLI_BIN")) {
            e.remove("PYTHONPATH");
        } else {
            e.put("PYTHONPATH", Path.of("src", "main", "python").toAbsolutePath() + File.pathSeparator
                    + e.getOrDefault("PYTHONPATH", ""));
        }
        e.put("PYTHONDONTWRITEBYTECODE", "1");
        Process p = pb.start();
        boolean finished = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        System.out.println(output);
        assertTrue(module + " did not finish in " + limit + ":\n" + output, finished);
        assertEquals(module + " failed:\n" + output, 0, p.exitValue());
        Matcher ran = Pattern.compile("\\nRan (\\d+) tests? in ").matcher(output);
        assertTrue(module + " ran no test:\n" + output, ran.find());
        int count = Integer.parseInt(ran.group(1));
        assertTrue(module + " ran no test:\n" + output, count > 0);
        assertFalse(module + " skipped tests:\n" + output, output.toLowerCase().contains("skipped"));
        Matcher ok = Pattern.compile("(?m)^test_\\w+ \\(.*\\)\\s*(\\.\\.\\.|\\n.*\\.\\.\\.) ok$").matcher(output);
        int oks = 0;
        while (ok.find()) {
            oks++;
        }
        assertEquals("every test of " + module + " must report ok:\n" + output, count, oks);
        assertTrue(module + " did not end OK:\n" + output, output.matches("(?s).*\\nOK\\s*$"));
    }
}
