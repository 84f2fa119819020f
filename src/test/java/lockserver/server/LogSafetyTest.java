package lockserver.server;

import lockserver.server.config.Logging;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;

import org.junit.Test;

public class LogSafetyTest {
    @Test
    public void clientTextCannotForgeLogLines() {
        assertEquals("x\\u000a2026-01-01 ERROR [main] Main - FORGED",
                Logging.loggable("x\n2026-01-01 ERROR [main] Main - FORGED"));
        assertEquals("a\\u000db\\u0000c\\u001b[31m\\u2028", Logging.loggable("a\rb\u0000c\u001b[31m\u2028"));
    }

    @Test
    public void plainTextIsLoggedAsItIs() {
        String plain = "backup of san01 from node3 (ünïcode ok)";
        assertSame(plain, Logging.loggable(plain));
    }
}
