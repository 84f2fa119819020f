package lockserver.server.config;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lockserver.core.LockSettings;
import lockserver.server.TestServers;
import org.apache.logging.log4j.Level;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ServerConfigTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private ServerConfig load(String text) throws Exception {
        return ServerConfig.load(TestServers.write(tmp.getRoot().toPath(), "lockserver.conf", text));
    }

    private String loadFails(String text) throws Exception {
        Path file = TestServers.write(tmp.getRoot().toPath(), "bad.conf", text);
        try {
            ServerConfig.load(file);
            fail("accepted: " + text);
            return null;
        } catch (ConfigException e) {
            assertTrue("names the file: " + e.getMessage(), e.getMessage().startsWith(file.toString() + ": "));
            assertFalse("one line: " + e.getMessage(), e.getMessage().contains("\n"));
            return e.getMessage();
        }
    }

    @Test
    public void issueConfigLoadsVerbatim() throws Exception {
        ServerConfig c = load(TestServers.issueConfig());
        assertEquals("0.0.0.0", c.host());
        assertEquals(9090, c.port());
        assertEquals("/var/log/lockserver.log", c.logFile());
        assertEquals(Level.DEBUG, c.logLevel());
        assertEquals(SECOND, c.lifecyclePeriodNanos());
        assertEquals("DefaultLock", c.defaultLock());
        assertEquals(new LockSettings(6, 10 * SECOND, 1200 * SECOND, 1200 * SECOND, 10_000),
                c.locks().get("DefaultLock"));
        assertEquals(1, c.locks().size());
        assertEquals(List.of(), c.warnings());
        assertFalse(c.allowRemoteCreate());
    }

    @Test
    public void shippedConfigIsTheBuiltInDefault() throws Exception {
        ServerConfig shipped = ServerConfig.load(Path.of("etc/lockserver.conf"));
        ServerConfig builtIn = ServerConfig.defaults();
        assertEquals("127.0.0.1", shipped.host());
        assertEquals(List.of(), shipped.warnings());
        assertEquals(shipped.host(), builtIn.host());
        assertEquals(shipped.port(), builtIn.port());
        assertEquals(shipped.logFile(), builtIn.logFile());
        assertEquals(shipped.logLevel(), builtIn.logLevel());
        assertEquals(shipped.lifecyclePeriodNanos(), builtIn.lifecyclePeriodNanos());
        assertEquals(shipped.maxWaitNanos(), builtIn.maxWaitNanos());
        assertEquals(shipped.allowRemoteCreate(), builtIn.allowRemoteCreate());
        assertEquals(shipped.locks(), builtIn.locks());
    }

    @Test
    public void fractionsOfSecondsAndLevelNamesAreAccepted() throws Exception {
        ServerConfig c = load(TestServers.issueConfig()
                .replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=0.2")
                .replace("LOGLEVEL=debug", "LOGLEVEL=superdebug"));
        assertEquals(SECOND / 5, c.lifecyclePeriodNanos());
        assertEquals(Level.TRACE, c.logLevel());
        assertEquals(Level.WARN, load(TestServers.issueConfig().replace("LOGLEVEL=debug", "LOGLEVEL=warning"))
                .logLevel());
    }

    @Test
    public void lockSectionsAddLocksDefaultingToDefaultLockValues() throws Exception {
        ServerConfig c = load(TestServers.issueConfig()
                + "\n[lock san02]\nSIZE=4\nMAX_LOCK_TIME=3600\n\n[lock tape.library-1]\nGRACE_TIME=0.5\n");
        assertEquals(List.of("DefaultLock", "san02", "tape.library-1"), List.copyOf(c.locks().keySet()));
        assertEquals(new LockSettings(4, 10 * SECOND, 1200 * SECOND, 3600 * SECOND, 10_000), c.locks().get("san02"));
        assertEquals(new LockSettings(6, SECOND / 2, 1200 * SECOND, 1200 * SECOND, 10_000),
                c.locks().get("tape.library-1"));
    }

    @Test
    public void unknownKeysAndSectionsAreWarnings() throws Exception {
        ServerConfig c = load(TestServers.issueConfig().replace("PORT=9090", "PORT=9090\nCOLOUR=blue")
                + "\n[extras]\nX=1\n");
        String all = String.join("\n", c.warnings());
        assertEquals(all, 2, c.warnings().size());
        assertTrue(all, all.contains("[general] COLOUR=blue: unknown key"));
        assertTrue(all, all.contains("[extras]: unknown section"));
    }

    @Test
    public void badValuesStopStartUpNamingFileKeyAndValue() throws Exception {
        String base = TestServers.issueConfig();
        assertTrue(loadFails(base + "\n[lock san02]\nSIZ=3\n").contains("[lock san02] SIZ=3: unknown lock key"));
        assertTrue(loadFails(base.replace("DEFAULT_LOCK_SIZE=6", "DEFAULT_LOCK_SIZE=0"))
                .contains("[general] DEFAULT_LOCK_SIZE=0: must be a whole number from 1"));
        assertTrue(loadFails(base + "\n[lock a]\nSIZE=0\n").contains("[lock a] SIZE=0: must be a whole number"));
        assertTrue(loadFails(base.replace("DEFAULT_LOCK_GRACE_TIME=10", "DEFAULT_LOCK_GRACE_TIME=-5"))
                .contains("[general] DEFAULT_LOCK_GRACE_TIME=-5: must be a number of seconds"));
        assertTrue(loadFails(base.replace("LIFECYCLE_PERIOD=1", "LIFECYCLE_PERIOD=soon"))
                .contains("[general] LIFECYCLE_PERIOD=soon: must be a number of seconds"));
        assertTrue(loadFails(base.replace("PORT=9090", "PORT=99999")).contains("[general] PORT=99999"));
        assertTrue(loadFails(base.replace("LOGLEVEL=debug", "LOGLEVEL=loud")).contains("[general] LOGLEVEL=loud"));
        assertTrue(loadFails(base + "\n[lock bad name!]\n").contains("invalid lock name 'bad name!'"));
        assertTrue(loadFails(base + "\n[lock x]\nEXPIRATION_TIME=1e3\n").contains("EXPIRATION_TIME=1e3"));
    }

    @Test
    public void priorityAgingLockDelayMaxPriorityAndRemoteShutdownAreReadAndChecked() throws Exception {
        String base = TestServers.issueConfig();
        ServerConfig c = load(base.replace("[general]", "[general]\nALLOW_REMOTE_SHUTDOWN=true\nDEFAULT_LOCK_LOCK_DELAY=2")
                + "\n[lock a]\nPRIORITY_AGING=0\nLOCK_DELAY=0.5\n[lock b]\nPRIORITY_AGING=30\n"
                + "\n[user u]\nPASSWORD=" + lockserver.server.auth.PasswordHash.create("pw".toCharArray())
                + "\nMAX_PRIORITY=4\n[user v]\nPASSWORD=" + lockserver.server.auth.PasswordHash.create("pw".toCharArray())
                + "\n[user w]\nROLE=admin\nPASSWORD=" + lockserver.server.auth.PasswordHash.create("pw".toCharArray()) + "\n");
        assertTrue(c.allowRemoteShutdown());
        assertEquals(LockSettings.DEFAULT_AGING_NANOS, c.locks().get("DefaultLock").agingNanos());
        assertEquals(2 * SECOND, c.locks().get("DefaultLock").lockDelayNanos());
        assertEquals(0, c.locks().get("a").agingNanos());
        assertEquals(SECOND / 2, c.locks().get("a").lockDelayNanos());
        assertEquals(30 * SECOND, c.locks().get("b").agingNanos());
        assertEquals(2 * SECOND, c.locks().get("b").lockDelayNanos());
        assertEquals(4, c.users().get("u").maxPriority());
        assertEquals("a client's default", 0, c.users().get("v").maxPriority());
        assertEquals("an admin's default", 9, c.users().get("w").maxPriority());
        assertFalse(load(base).allowRemoteShutdown());
        assertTrue(loadFails(base + "\n[lock a]\nLOCK_DELAY=-1\n").contains("[lock a] LOCK_DELAY=-1: must be a number of "
                + "seconds from 0 (off)"));
        assertTrue(loadFails(base + "\n[lock a]\nPRIORITY_AGING=soon\n").contains("[lock a] PRIORITY_AGING=soon"));
        assertTrue(loadFails(base + "\n[user u]\nPASSWORD=" + lockserver.server.auth.PasswordHash.create("pw".toCharArray())
                + "\nMAX_PRIORITY=10\n").contains("[user u] MAX_PRIORITY=10: must be a whole number from 0 to 9"));
        assertTrue(loadFails(base.replace("[general]", "[general]\nALLOW_REMOTE_SHUTDOWN=maybe"))
                .contains("[general] ALLOW_REMOTE_SHUTDOWN=maybe: must be true or false"));
    }

    @Test
    public void unreadableFileIsOneLineNamingIt() {
        Path missing = tmp.getRoot().toPath().resolve("missing.conf");
        try {
            ServerConfig.load(missing);
            fail();
        } catch (ConfigException e) {
            assertTrue(e.getMessage(), e.getMessage().startsWith(missing + ": cannot read the config file"));
        }
    }

    @Test
    public void parseNamesItsSource() throws Exception {
        ServerConfig c = ServerConfig.parse("inline", new StringReader("[general]\nPORT=1234\n"));
        assertEquals("inline", c.source());
        assertEquals(1234, c.port());
        assertEquals(List.of("DefaultLock"), List.copyOf(c.locks().keySet()));
    }

    /** Everything a config decides, as one comparable text. */
    private static String settings(ServerConfig c) {
        return String.join("\n", c.host(), "" + c.port(), c.logFile(), "" + c.logLevel(), "" + c.lifecyclePeriodNanos(),
                "" + c.maxWaitNanos(), "" + c.maxThreads(), "" + c.allowRemoteCreate(), c.defaultLock(),
                "" + c.defaultSettings(), "" + c.locks(), "" + c.users(), "" + c.anonymousAdmin(),
                "" + c.maxRequestBytes(), "" + c.maxConnections(), "" + c.idleTimeoutNanos(),
                "" + c.requestTimeoutNanos(), "" + c.tlsKeystore(), "" + c.dataDir(), "" + c.journalFsync());
    }

    @Test
    public void theBuiltInDefaultsAreTheShippedExampleFile() throws Exception {
        assertEquals(settings(ServerConfig.load(Paths.get("etc/lockserver.conf"))),
                settings(ServerConfig.defaults()));
    }

    /**
     * Each [general] key the example file shows commented out ("#KEY=value") states the
     * built-in default: uncommenting them all changes nothing. DATA_DIR and TLS_* are left
     * out, as setting them turns a feature on.
     */
    @Test
    public void theExampleFilesCommentedKeysAreTheBuiltInDefaults() throws Exception {
        StringBuilder text = new StringBuilder();
        boolean general = false;
        int uncommented = 0;
        for (String line : Files.readAllLines(Paths.get("etc/lockserver.conf"))) {
            if (line.startsWith("[") || line.startsWith("#[")) {
                general = line.equals("[general]");
            }
            if (general && line.matches("#[A-Z_]+=.*") && !line.matches("#(DATA_DIR|TLS_[A-Z_]+)=.*")) {
                line = line.substring(1);
                uncommented++;
            }
            text.append(line).append('\n');
        }
        assertTrue("the example documents its defaults", uncommented >= 8);
        assertEquals(settings(ServerConfig.defaults()),
                settings(ServerConfig.parse("uncommented", new StringReader(text.toString()))));
    }
}
