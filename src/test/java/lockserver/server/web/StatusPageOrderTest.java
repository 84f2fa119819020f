package lockserver.server.web;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.core.FakeClock;
import lockserver.core.LockDetail;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import org.junit.Test;

/** The status page's order: the share of slots taken (held or closed by LOCK_DELAY) first. */
public class StatusPageOrderTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static LockSettings size(int n, long lockDelayNanos) {
        return new LockSettings(n, 5 * SECOND, 1000 * SECOND, 1000 * SECOND, 100, 0, lockDelayNanos);
    }

    @Test
    public void slotsClosedByLockDelayCountAsTaken() {
        FakeClock clock = new FakeClock();
        LockRegistry locks = new LockRegistry(clock);
        locks.configure(Map.of("half-held", size(2, 0), "all-delayed", size(1, 60 * SECOND), "idle", size(1, 0)));
        locks.check(locks.query("half-held", "claimed holder")); // 1 of 2 held
        locks.query("all-delayed", "never claims its grant");
        clock.advanceNanos(6 * SECOND); // past the grace, and the expiry queue's rounding
        locks.tick(); // withdrawn after its grace: its slot stays closed for 60 s
        locks.query("all-delayed", "waits behind the delay");

        List<LockDetail> ordered = new ArrayList<>(locks.details());
        ordered.sort(StatusPage.BUSIEST_FIRST);
        assertEquals(List.of("all-delayed", "half-held", "idle"), ordered.stream().map(LockDetail::name).toList());
        assertEquals(1, ordered.get(0).delayed());
    }
}
