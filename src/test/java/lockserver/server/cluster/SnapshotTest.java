package lockserver.server.cluster;

import static org.junit.Assert.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lockserver.core.Clock;
import lockserver.core.LockRegistry;
import lockserver.core.LockSettings;
import lockserver.core.SlotRequest;
import org.junit.Test;

/** A node's snapshot file reads back as the state it was written from, every new part included. */
public class SnapshotTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    private static final class ManualClock implements Clock {
        long now = 1_000 * SECOND;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    @Test
    public void everyPartOfTheLocksReadsBackAsWritten() throws IOException {
        ManualClock clock = new ManualClock();
        LockRegistry r = LockRegistry.replica(clock);
        r.configure(Map.of("A", new LockSettings(3, 5 * SECOND, 60 * SECOND, 600 * SECOND, 100, 0, 10 * SECOND),
                "B", new LockSettings(1, 5 * SECOND, 60 * SECOND, 600 * SECOND, 100)));
        String unclaimed = r.query("A", "ends in its grace", null, new SlotRequest(2, false, 0), "1".repeat(32));
        String held = r.query("A", "held", "key", SlotRequest.ONE, "2".repeat(32));
        r.claim(held);
        r.revoke(held, "maintenance", 30 * SECOND);
        r.query("A", "waits", null, new SlotRequest(1, true, 7), "3".repeat(32));
        r.query("B", "b", null, SlotRequest.ONE, "4".repeat(32));
        clock.now += 6 * SECOND;
        r.tick(); // the unclaimed grant ends: its two slots cool for 10 s
        assertEquals(1, r.image().stream().filter(l -> l.name().equals("A")).findFirst().orElseThrow().cooling().size());
        assertEquals("gone", r.peek(unclaimed).state().wireName());

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Snapshot.write(new DataOutputStream(bytes), new Snapshot.State(clock.now, r.image()));
        Snapshot.State read = Snapshot.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(clock.now, read.clock());
        assertEquals(r.image(), read.locks());
    }
}
