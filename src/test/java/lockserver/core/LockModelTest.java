package lockserver.core;

import lockserver.wire.Fault;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.Test;

/**
 * A replica {@link LockRegistry} driven by random queries, checks, renewals, releases,
 * revokes, reloads and ticks on a fake clock, step by step beside {@link LockModel}, the
 * rules written plainly: after every step both agree on who holds (with tokens and slots),
 * who waits (in grant order) and what cools, and the registry keeps its invariants. Each
 * seed prints one line; replay one with {@code -DlockModel.seed=N}.
 */
public class LockModelTest {
    private static final long MS = 1_000_000L;
    /** Every time in a run is a multiple of this, so deadlines are often met exactly. */
    private static final long U = 10 * MS;
    private static final int SEEDS = 50;
    private static final int STEPS = 2_500;
    private static final List<String> LOCKS = List.of("A", "B");

    @Test
    public void aReplicaFollowsTheRulesStepByStep() {
        Long only = Long.getLong("lockModel.seed");
        long first = only == null ? 1 : only;
        long last = only == null ? SEEDS : only;
        for (long seed = first; seed <= last; seed++) {
            Run run = new Run(seed);
            for (int step = 1; step <= STEPS; step++) {
                run.step(step);
            }
            System.out.println("LockModelTest seed " + seed + ": " + STEPS + " steps, " + run.summary());
        }
    }

    private static final class StepClock implements Clock {
        long now = 100_000 * U;

        @Override
        public long nanoTime() {
            return now;
        }
    }

    /** What the invariants remember of a lock from one step to the next. */
    private static final class Seen {
        Set<String> holders = new HashSet<>();
        long maxToken;
        boolean over;
        long version = -1;
        String counts = "";
    }

    private static final class Run {
        private final long seed;
        private final Random random;
        private final StepClock clock = new StepClock();
        private final LockRegistry registry = LockRegistry.replica(clock);
        private final Map<String, LockModel> models = new LinkedHashMap<>();
        private final Map<String, Seen> seen = new HashMap<>();
        private final List<String> ids = new ArrayList<>();
        private final Map<String, String> lockOf = new HashMap<>();
        private final Map<String, String> names = new HashMap<>();
        private final ArrayDeque<String> recent = new ArrayDeque<>();
        private int step;
        private String op = "configure";
        // for the summary line
        private int grants;
        private int refused;
        private int reloads;
        private final Map<Expiry.Cause, Integer> ended = new EnumMap<>(Expiry.Cause.class);

        Run(long seed) {
            this.seed = seed;
            this.random = new Random(seed);
            for (String lock : LOCKS) {
                models.put(lock, new LockModel(lock, randomSettings()));
                seen.put(lock, new Seen());
            }
            registry.configure(wanted());
            verify(null);
        }

        String summary() {
            return grants + " grants, " + refused + " refused, " + reloads + " reloads, ended " + ended + ", "
                    + (clock.now - 100_000 * U) / MS + " ms on the clock";
        }

        void step(int n) {
            step = n;
            int r = random.nextInt(20);
            clock.now += r < 12 ? 0 : r < 19 ? U * (1 + random.nextInt(2)) : U * (5 + random.nextInt(40));
            String lock = LOCKS.get(random.nextInt(LOCKS.size()));
            String shrunk = null;
            int which = random.nextInt(100);
            if (which < 25) {
                query(lock);
            } else if (which < 40) {
                check(lock);
            } else if (which < 48) {
                renew(lock);
            } else if (which < 56) {
                release(lock);
            } else if (which < 61) {
                revoke(lock);
            } else if (which < 63) {
                shrunk = reconfigure(lock);
            } else {
                tick();
            }
            recent.addLast(op + " at " + clock.now / MS + "ms");
            if (recent.size() > 15) {
                recent.removeFirst();
            }
            verify(shrunk);
        }

        private void query(String lock) {
            LockModel model = models.get(lock);
            String id = randomId();
            String name = "t" + (ids.size() + 1);
            SlotRequest request = randomRequest(model.settings().size());
            op = "query " + name + " on " + lock + " for " + request;
            Fault want = model.query(id, name, request, clock.now);
            Fault got = null;
            try {
                assertEquals(where(), id, registry.query(lock, name, null, request, id));
            } catch (LockException e) {
                got = e.fault();
            }
            assertEquals(where() + ": refused with", want, got);
            if (got == null) {
                ids.add(id);
                lockOf.put(id, lock);
                names.put(id, name);
            } else {
                refused++;
            }
        }

        private void check(String lock) {
            String id = pickId(lock);
            op = "check " + name(id);
            TicketView want = model(id) == null ? TicketView.gone(id) : model(id).check(id, clock.now);
            assertEquals(where(), want, registry.check(id));
        }

        private void renew(String lock) {
            String id = pickId(lock);
            op = "renew " + name(id);
            boolean want = model(id) != null && model(id).renew(id, clock.now);
            assertEquals(where(), want, registry.renew(id));
        }

        private void release(String lock) {
            String id = pickId(lock);
            op = "release " + name(id);
            boolean want = model(id) != null && model(id).release(id, clock.now);
            assertEquals(where(), want, registry.release(id));
        }

        private void revoke(String lock) {
            String id = pickId(lock);
            long after = U * random.nextInt(20);
            String reason = "r" + step;
            op = "revoke " + name(id) + " in " + after / MS + "ms";
            boolean want = model(id) != null && model(id).revoke(id, reason, after, clock.now);
            assertEquals(where(), want, registry.revoke(id, reason, after));
        }

        private void tick() {
            op = "tick";
            List<Expiry> got = registry.tick();
            for (String lock : LOCKS) {
                List<Expiry> want = models.get(lock).tick(clock.now);
                List<Expiry> gotHere = got.stream().filter(e -> e.lock().equals(lock)).toList();
                assertEquals(where() + ": tickets ended on " + lock, brief(want), brief(gotHere));
                assertEquals(where(), want, gotHere);
                for (Expiry e : want) {
                    ended.merge(e.cause(), 1, Integer::sum);
                }
            }
        }

        /** Returns the lock if it has fewer slots now. */
        private String reconfigure(String lock) {
            LockModel model = models.get(lock);
            LockSettings before = model.settings();
            LockSettings after = changed(before);
            op = "reload " + lock + " with " + after;
            model.reconfigure(after, clock.now);
            registry.configure(wanted());
            reloads++;
            return after.size() < before.size() ? lock : null;
        }

        private Map<String, LockSettings> wanted() {
            Map<String, LockSettings> wanted = new LinkedHashMap<>();
            models.forEach((lock, model) -> wanted.put(lock, model.settings()));
            return wanted;
        }

        private void verify(String shrunk) {
            List<LockDetail> details = registry.details();
            assertEquals(where(), LOCKS.size(), details.size());
            for (LockDetail d : details) {
                LockStatus s = registry.status(d.name());
                assertEquals(where() + ": lock " + d.name(), models.get(d.name()).describe(clock.now),
                        describe(d, s, names, clock.now));
                invariants(d, s, d.name().equals(shrunk));
            }
            String id = pickId(LOCKS.get(random.nextInt(LOCKS.size())));
            TicketView want = model(id) == null ? TicketView.gone(id) : model(id).view(id, clock.now);
            assertEquals(where() + ": peek " + name(id), want, registry.peek(id));
        }

        private void invariants(LockDetail d, LockStatus s, boolean shrunk) {
            Seen before = seen.get(d.name());
            String at = where() + ": lock " + d.name();
            int size = s.size();
            assertEquals(at + ": used is what the holders take",
                    d.holders().stream().mapToInt(LockDetail.Holder::slots).sum(), s.used());
            assertEquals(at + ": delayed is what the delays keep closed", d.delayed(), s.delayed());
            assertEquals(at, d.holders().size(), s.granted());
            assertEquals(at, d.queue().size(), s.queued());

            boolean granted = false;
            long lastToken = 0;
            Set<String> holders = new HashSet<>();
            for (LockDetail.Holder h : d.holders()) {
                assertTrue(at + ": tokens grow in grant order, " + h.info() + " has " + h.token(),
                        h.token() > lastToken);
                lastToken = h.token();
                if (!before.holders.contains(h.ticket())) {
                    assertTrue(at + ": new grant " + h.info() + " has token " + h.token() + ", not above "
                            + before.maxToken, h.token() > before.maxToken);
                    before.maxToken = h.token();
                    granted = true;
                    grants++;
                }
                holders.add(h.ticket());
            }
            before.holders = holders;

            boolean over = s.used() + s.delayed() > size;
            if (over) {
                assertTrue(at + ": more than " + size + " slots taken, and not after a smaller size",
                        shrunk || before.over);
                assertFalse(at + ": granted while more than " + size + " slots are taken", granted);
            }
            before.over = over;

            if (!d.queue().isEmpty()) {
                LockDetail.Holder head = d.queue().get(0);
                assertTrue(at + ": " + head.info() + " waits for " + head.slots() + " slots at the head with "
                        + (size - s.used() - s.delayed()) + " free", head.slots() > size - s.used() - s.delayed());
            }
            for (int i = 1; i < d.queue().size(); i++) {
                LockDetail.Holder a = d.queue().get(i - 1);
                LockDetail.Holder b = d.queue().get(i);
                assertTrue(at + ": " + b.info() + " (priority " + b.priority() + ", waiting " + b.ageNanos() / MS
                        + "ms) is behind " + a.info() + " (priority " + a.priority() + ", waiting "
                        + a.ageNanos() / MS + "ms)",
                        a.priority() > b.priority() || a.priority() == b.priority() && a.ageNanos() >= b.ageNanos());
            }

            String counts = s.size() + " " + s.granted() + " " + s.queued() + " " + s.used() + " " + s.delayed();
            assertTrue(at + ": the version went back", s.version() >= before.version);
            if (!counts.equals(before.counts)) {
                assertTrue(at + ": the status changed but not its version", s.version() > before.version);
            }
            before.version = s.version();
            before.counts = counts;
        }

        private String where() {
            return "seed " + seed + " step " + step + " (" + op + " at " + clock.now / MS + "ms; replay with "
                    + "-DlockModel.seed=" + seed + ")\n  steps before: " + String.join(", ", recent) + "\n";
        }

        private LockModel model(String id) {
            String lock = lockOf.get(id);
            return lock == null ? null : models.get(lock);
        }

        private String name(String id) {
            return names.getOrDefault(id, "unknown " + id.substring(0, 6));
        }

        /** Mostly a holder or a waiter of the lock; sometimes any ticket made (most are gone), or none ever made. */
        private String pickId(String lock) {
            LockModel model = models.get(lock);
            int r = random.nextInt(100);
            if (r < 45 && !model.holders().isEmpty()) {
                return model.holders().get(random.nextInt(model.holders().size())).id;
            }
            List<LockModel.Tk> live = model.live();
            if (r < 85 && !live.isEmpty()) {
                return live.get(random.nextInt(live.size())).id;
            }
            return r < 98 && !ids.isEmpty() ? ids.get(random.nextInt(ids.size())) : randomId();
        }

        private String randomId() {
            return String.format("%016x%016x", random.nextLong(), random.nextLong());
        }

        private SlotRequest randomRequest(int size) {
            int priority = random.nextInt(3) == 0 ? random.nextInt(SlotRequest.MAX_PRIORITY + 1) : random.nextInt(3);
            if (random.nextInt(8) == 0) {
                return new SlotRequest(1, true, priority);
            }
            int permits = random.nextInt(10) == 0 ? size + 1 + random.nextInt(2) : 1 + random.nextInt(size);
            return new SlotRequest(permits, false, priority);
        }

        private LockSettings randomSettings() {
            return new LockSettings(1 + random.nextInt(5), U * (2 + random.nextInt(15)), U * (5 + random.nextInt(30)),
                    U * (10 + random.nextInt(60)), 2 + random.nextInt(7), randomAging(), randomDelay());
        }

        private long randomAging() {
            return random.nextInt(3) == 0 ? 0 : U * (1 + random.nextInt(20));
        }

        private long randomDelay() {
            return random.nextBoolean() ? 0 : U * (1 + random.nextInt(10));
        }

        /** Mostly one setting changed: the size (up, down or the same), the aging, the delay; sometimes all. */
        private LockSettings changed(LockSettings s) {
            return switch (random.nextInt(5)) {
                case 0, 1 -> s.withSize(Math.max(1, s.size() + random.nextInt(5) - 2));
                case 2 -> new LockSettings(s.size(), s.graceNanos(), s.idleNanos(), s.maxHoldNanos(), s.maxQueue(),
                        randomAging(), s.lockDelayNanos());
                case 3 -> new LockSettings(s.size(), s.graceNanos(), s.idleNanos(), s.maxHoldNanos(), s.maxQueue(),
                        s.agingNanos(), randomDelay());
                default -> randomSettings();
            };
        }
    }

    private static List<String> brief(List<Expiry> expiries) {
        return expiries.stream().map(e -> e.info() + " " + e.cause()).toList();
    }

    /** The registry's view of one lock, written as {@link LockModel#describe} writes the model's. */
    static String describe(LockDetail d, LockStatus s, Map<String, String> names, long now) {
        StringBuilder b = new StringBuilder();
        b.append("size ").append(s.size()).append(", ").append(s.granted()).append(" granted, ").append(s.queued())
                .append(" queued, used ").append(s.used()).append(", delayed ").append(s.delayed())
                .append("\n  holders:");
        for (LockDetail.Holder h : d.holders()) {
            holder(b, h.info(), h.token(), h.claimed(), h.slots(), h.leftNanos(), h.priority(), h.revoke(),
                    h.revokeInNanos());
        }
        b.append("\n  queue:");
        for (LockDetail.Holder h : d.queue()) {
            holder(b, h.info(), h.token(), h.claimed(), h.slots(), h.leftNanos(), h.priority(), h.revoke(),
                    h.revokeInNanos());
        }
        b.append("\n  delays:");
        for (LockDetail.Delay delay : d.delays()) {
            b.append(' ').append(names.get(delay.ticket())).append('x').append(delay.slots()).append(" for ")
                    .append(delay.leftNanos() / MS).append("ms");
        }
        return b.toString();
    }

    /** One ticket in a description: name, #token when granted, c when claimed, slots, priority, time left, revoke. */
    static void holder(StringBuilder b, String name, long token, boolean claimed, int slots, long leftNanos,
                       long priority, String revoke, long revokeInNanos) {
        b.append(' ').append(name);
        if (token != 0) {
            b.append('#').append(token);
        }
        if (claimed) {
            b.append('c');
        }
        b.append('x').append(slots).append(" p").append(priority).append(" left ").append(leftNanos / MS)
                .append("ms");
        if (!revoke.isEmpty()) {
            b.append(" revoke '").append(revoke).append("' in ").append(revokeInNanos / MS).append("ms");
        }
        b.append(';');
    }
}
