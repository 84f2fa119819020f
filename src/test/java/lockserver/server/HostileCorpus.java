package lockserver.server;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The shape of a hostile-input corpus: each {@link Case} names its input, builds its request
 * when it runs (the fixture's tickets exist only then) and says the answer it expects;
 * {@link Case#send} checks what every case owes whatever the binding: an answer in time,
 * no stack trace, no echo of what it must not echo.
 */
final class HostileCorpus {
    private HostileCorpus() {
    }

    /** Markers of a stack trace or a Java class name in an answer. */
    static final List<String> STACK_TRACE = List.of("Exception", "\tat ", "java.");

    /** What one case sends. */
    interface Req {
        byte[] build();
    }

    /** The expected answer: an HTTP status other than 200, a fault code, or a successful call. */
    record Expect(Set<Integer> statuses, Set<Integer> faults, String okContains, boolean closeAllowed) {
        @Override
        public String toString() {
            return statuses != null ? "HTTP " + statuses : faults != null ? "fault " + faults
                    + (closeAllowed ? " or a clean close" : "") : "success containing " + okContains;
        }
    }

    static Expect status(Integer... s) {
        return new Expect(new TreeSet<>(Arrays.asList(s)), null, null, false);
    }

    static Expect fault(Integer... codes) {
        return new Expect(null, new TreeSet<>(Arrays.asList(codes)), null, false);
    }

    static Expect faultOrClose(Integer... codes) {
        return new Expect(null, new TreeSet<>(Arrays.asList(codes)), null, true);
    }

    static Expect ok(String contains) {
        return new Expect(null, null, contains, false);
    }

    static final class Case {
        final String name;
        final Req req;
        final Expect expect;
        boolean halfClose;
        double maxSeconds = 3;
        Runnable after = () -> { };
        /** Substrings the answer must not contain, besides the stack-trace markers. */
        final List<String> mustNotContain = new ArrayList<>();

        Case(String name, Req req, Expect expect) {
            this.name = name;
            this.req = req;
            this.expect = expect;
        }

        Case halfClose() {
            halfClose = true;
            return this;
        }

        Case within(double seconds) {
            maxSeconds = seconds;
            return this;
        }

        Case then(Runnable check) {
            after = check;
            return this;
        }

        Case without(String s) {
            mustNotContain.add(s);
            return this;
        }

        /**
         * Sends {@code request} (this case's, perhaps with credentials added) and reads the answer,
         * failing if none comes within maxSeconds + 2 s, if it took longer than maxSeconds, or if
         * the answer shows any of {@code leaks} or of this case's must-not-contains.
         */
        RawHttp.Response send(int port, byte[] request, List<String> leaks) throws IOException {
            RawHttp.Response r;
            try {
                r = RawHttp.exchange(port, request, halfClose, (int) (maxSeconds * 1000) + 2_000);
            } catch (SocketTimeoutException e) {
                fail(name + ": no answer within " + (maxSeconds + 2) + " s (the server hangs)");
                return null;
            }
            String where = where(r);
            for (String marker : leaks) {
                assertFalse(where + "\n  leaks '" + marker + "'", r.body().contains(marker));
            }
            for (String s : mustNotContain) {
                assertFalse(where + "\n  must not contain '" + abbreviate(s) + "'", r.body().contains(s));
            }
            assertTrue(where + "\n  took longer than " + maxSeconds + " s", r.seconds() <= maxSeconds);
            return r;
        }

        /** The case and its answer, for assertion messages. */
        String where(RawHttp.Response r) {
            return name + ": " + r.describe();
        }

        @Override
        public String toString() {
            return name + " -> " + expect;
        }
    }

    /** The cases as JUnit's Parameterized runner takes them. */
    static List<Object[]> parameters(List<Case> cases) {
        List<Object[]> out = new ArrayList<>();
        for (Case k : cases) {
            out.add(new Object[] {k});
        }
        return out;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
