package lockserver.safety;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One record of the server's grant log: a line of the {@code lockserver.journal.records}
 * logger, or the same record read back from the journal file when its log line was lost
 * to a kill -9 (the writer logs a batch only after writing it).
 *
 * @param type        'Q' queued, 'G' granted, 'C' claimed, 'X' removed, 'L' lock created
 * @param lock        the lock (Q, G, L); null for C and X, which name only the ticket
 * @param ticket      the ticket (Q, G, C, X); null for L
 * @param token       the fencing token of a G, the size of an L, else 0
 * @param text        the record as the server logs it; every record of a run is unique
 * @param run         which server process wrote it: 0 for the first, 1 after the first restart, ...
 * @param fromJournal true if read from the journal file because the log line was missing
 */
record GrantRecord(char type, String lock, String ticket, long token, String text, int run, boolean fromJournal) {
    private static final Pattern QUEUED = Pattern.compile("queued lock=(\\S+) ticket=(\\S+)");
    private static final Pattern GRANTED = Pattern.compile("granted lock=(\\S+) ticket=(\\S+) token=(\\d+) at=(-?\\d+)");
    private static final Pattern CLAIMED = Pattern.compile("claimed ticket=(\\S+)");
    private static final Pattern REMOVED = Pattern.compile("removed ticket=(\\S+)");
    private static final Pattern CREATED = Pattern.compile("created lock=(\\S+) size=(\\d+)");

    /** Parses the message of a records line; throws IllegalArgumentException for a message of unknown form. */
    static GrantRecord parse(String message, int run, boolean fromJournal) {
        Matcher m;
        if ((m = GRANTED.matcher(message)).matches()) {
            return new GrantRecord('G', m.group(1), m.group(2), Long.parseLong(m.group(3)), message, run, fromJournal);
        }
        if ((m = QUEUED.matcher(message)).matches()) {
            return new GrantRecord('Q', m.group(1), m.group(2), 0, message, run, fromJournal);
        }
        if ((m = CLAIMED.matcher(message)).matches()) {
            return new GrantRecord('C', null, m.group(1), 0, message, run, fromJournal);
        }
        if ((m = REMOVED.matcher(message)).matches()) {
            return new GrantRecord('X', null, m.group(1), 0, message, run, fromJournal);
        }
        if ((m = CREATED.matcher(message)).matches()) {
            return new GrantRecord('L', m.group(1), null, Long.parseLong(m.group(2)), message, run, fromJournal);
        }
        throw new IllegalArgumentException("grant log record of unknown form: '" + message + "'");
    }

    @Override
    public String toString() {
        return "[run " + run + (fromJournal ? ", from the journal file" : "") + "] " + text;
    }
}
