package lockserver.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.concurrent.TimeUnit;
import lockserver.wire.Fault;
import org.junit.Before;
import org.junit.Test;

/** lock.query's retry key: a retry after a lost answer leaves no second ticket. Fake clock, no sleeps. */
public class RetryKeyTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);
    private FakeClock clock;
    private LockRegistry registry;

    @Before
    public void setUp() {
        clock = new FakeClock();
        registry = new LockRegistry(clock);
        registry.create("L", new LockSettings(1, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 50));
        registry.create("M", new LockSettings(1, 10 * SECOND, 100 * SECOND, 1000 * SECOND, 50));
    }

    @Test
    public void aQueryWithTheKeyOfALiveTicketReturnsThatTicket() {
        String first = registry.query("L", "job", "k1");
        String again = registry.query("L", "job", "k1");
        assertEquals(first, again);
        assertEquals(1, registry.status("L").granted() + registry.status("L").queued());
    }

    @Test
    public void aRetryIsASignOfLife() {
        String first = registry.query("L", "job", "k1");
        assertTrue(registry.claim(first));
        clock.advanceSeconds(90);
        registry.query("L", "job", "k1");
        clock.advanceSeconds(90); // 180 s after the query, 90 s after the retry: idle time is 100 s
        registry.tick();
        assertEquals(TicketState.GRANTED, registry.peek(first).state());
    }

    @Test
    public void keysAreScopedToTheirLockAndOtherKeysMakeNewTickets() {
        String onL = registry.query("L", "", "k1");
        assertNotEquals(onL, registry.query("M", "", "k1"));
        assertNotEquals(onL, registry.query("L", "", "k2"));
        assertNotEquals(onL, registry.query("L", "", null));
        assertEquals(3, registry.status("L").granted() + registry.status("L").queued());
    }

    @Test
    public void theKeyOfAGoneTicketMakesANewOne() {
        String first = registry.query("L", "", "k1");
        assertTrue(registry.release(first));
        String second = registry.query("L", "", "k1");
        assertNotEquals(first, second);
        assertEquals(TicketState.GRANTED, registry.peek(second).state());
    }

    @Test
    public void aKeyLongerThan128CharactersIsABadArgument() {
        registry.query("L", "", "k".repeat(128));
        try {
            registry.query("L", "", "k".repeat(129));
            fail();
        } catch (LockException e) {
            assertEquals(Fault.BAD_ARGUMENT, e.fault());
        }
    }
}
