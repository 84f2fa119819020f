package lockserver.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.List;
import org.junit.Test;

/** The tick's reusable record of what it ended. */
public class ExpiryLogTest {
    @Test
    public void keepsEntriesInOrderPastItsFirstArrayAndIsEmptyAfterClear() {
        ExpiryLog log = new ExpiryLog();
        for (int round = 0; round < 2; round++) {   // the second round reuses the grown arrays
            for (int i = 0; i < 200; i++) {
                log.add("L" + i, "t" + i, "info" + i, Expiry.Cause.values()[i % 3]);
            }
            assertEquals(200, log.size());
            assertEquals("L150", log.lock(150));
            assertEquals("t150", log.ticket(150));
            assertEquals("info150", log.info(150));
            assertEquals(Expiry.Cause.GRACE, log.cause(150));
            List<Expiry> all = log.toList();
            assertEquals(new Expiry("L0", "t0", "info0", Expiry.Cause.GRACE), all.get(0));
            assertEquals(new Expiry("L199", "t199", "info199", Expiry.Cause.IDLE), all.get(199));
            log.clear();
            assertEquals(0, log.size());
            assertTrue(log.toList().isEmpty());
        }
    }

    @Test
    public void anEntryPastTheEndIsRefused() {
        ExpiryLog log = new ExpiryLog();
        log.add("L", "t", "i", Expiry.Cause.IDLE);
        log.clear();
        try {
            log.lock(0);
            fail("a cleared entry is not readable");
        } catch (IndexOutOfBoundsException expected) {
            assertEquals("entry 0 of 0", expected.getMessage());
        }
    }
}
