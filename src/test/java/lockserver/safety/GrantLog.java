package lockserver.safety;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Reads the server's own grant log: the {@code lockserver.journal.records} lines of the
 * server log (appended to by every run), and the journal files of DATA_DIR as they were
 * when a run stopped, which supply the records whose log lines a kill -9 cut off.
 */
final class GrantLog {
    /** Pattern "%d %-5level [%t] %c{1} - %msg": the records logger's short name is "records". */
    private static final String RECORDS_MARK = " records - ";
    private static final Pattern RECORDS_LINE = Pattern.compile("^\\S+ \\S+ \\S+\\s+\\[[^\\]]*\\] records - (.*)$");
    private static final Pattern RESTORE_LINE = Pattern.compile(" Journal - journal .*: (\\d+) ticket\\(s\\) to restore");
    private static final String STOPPED = " LockServer - stopped";
    private static final int MAX_RECORD = 1 << 20;

    private GrantLog() {
    }

    /** What the log file says, split by run. */
    static final class LogContents {
        /** Per run: the grant log messages that run logged, in order. */
        final List<List<String>> records = new ArrayList<>();
        /** Per run: the number of tickets its journal had to restore at start-up (-1 if not logged). */
        final List<Integer> restored = new ArrayList<>();
        /** Per run: whether it logged its clean stop ("LockServer - stopped") */
        final List<Boolean> stoppedCleanly = new ArrayList<>();
        long lines;
    }

    /**
     * Reads the whole log; {@code runStarts} are the byte offsets of the log at each launch
     * (the first is 0 or the size of an older log), so each line is given to its run.
     */
    static LogContents readLog(Path log, List<Long> runStarts) throws IOException {
        byte[] all = Files.readAllBytes(log);
        LogContents out = new LogContents();
        for (int i = 0; i < runStarts.size(); i++) {
            out.records.add(new ArrayList<>());
            out.restored.add(-1);
            out.stoppedCleanly.add(false);
        }
        int run = -1;
        int pos = 0;
        while (pos < all.length) {
            int end = pos;
            while (end < all.length && all[end] != '\n') {
                end++;
            }
            while (run + 1 < runStarts.size() && runStarts.get(run + 1) <= pos) {
                run++;
            }
            String line = new String(all, pos, end - pos, StandardCharsets.UTF_8);
            pos = end + 1;
            out.lines++;
            if (run < 0) {
                continue; // an older log's lines
            }
            if (line.contains(RECORDS_MARK)) {
                Matcher m = RECORDS_LINE.matcher(line);
                if (m.matches()) {
                    out.records.get(run).add(m.group(1));
                    continue;
                }
            }
            if (line.contains(STOPPED)) {
                out.stoppedCleanly.set(run, true);
            }
            Matcher r = RESTORE_LINE.matcher(line);
            if (r.find() && out.restored.get(run) < 0) {
                out.restored.set(run, Integer.parseInt(r.group(1)));
            }
        }
        return out;
    }

    /** Copies the journal files of {@code dataDir} (a stopped server's) to {@code into}. */
    static void copyJournal(Path dataDir, Path into) throws IOException {
        Files.createDirectories(into);
        try (var files = Files.list(dataDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.equals("snapshot") || name.startsWith("journal.")) {
                    Files.copy(f, into.resolve(name));
                }
            }
        }
    }

    /**
     * The records of the current journal file of a (copied) DATA_DIR, as log messages: the
     * generation comes from the snapshot's header (0 without a snapshot), as the server reads it.
     */
    static List<String> readJournal(Path dataDir) throws IOException {
        long generation = 0;
        Path snapshot = dataDir.resolve("snapshot");
        if (Files.exists(snapshot)) {
            long[] gen = {-1};
            readFrames(Files.readAllBytes(snapshot), (type, a, b, c, x) -> {
                if (type == 'H' && gen[0] < 0) {
                    gen[0] = x;
                }
            });
            if (gen[0] < 0) {
                throw new IOException(snapshot + " has no header record");
            }
            generation = gen[0];
        }
        Path file = dataDir.resolve("journal." + generation);
        List<String> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        readFrames(Files.readAllBytes(file), (type, a, b, c, x) -> out.add(describe(type, a, b, c, x)));
        return out;
    }

    private interface Sink {
        void accept(char type, String a, String b, String c, long x) throws IOException;
    }

    /** The server's frame format: [int length][int crc32c][type][utf a][utf b][utf c][long x]; stops at a torn frame. */
    private static void readFrames(byte[] bytes, Sink sink) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
        while (true) {
            int length;
            int crc;
            byte[] body;
            try {
                length = in.readInt();
                if (length < 1 || length > MAX_RECORD) {
                    return;
                }
                crc = in.readInt();
                body = new byte[length];
                in.readFully(body);
            } catch (EOFException torn) {
                return;
            }
            CRC32C check = new CRC32C();
            check.update(body);
            if ((int) check.getValue() != crc) {
                return;
            }
            DataInputStream p = new DataInputStream((InputStream) new ByteArrayInputStream(body));
            char type = (char) p.readByte();
            sink.accept(type, p.readUTF(), p.readUTF(), p.readUTF(), p.readLong());
        }
    }

    /** The log line of a journal record, as the server's writer logs it. */
    private static String describe(char type, String a, String b, String c, long x) {
        return switch (type) {
            case 'Q' -> "queued lock=" + b + " ticket=" + a;
            case 'G' -> "granted lock=" + b + " ticket=" + a + " token=" + c + " at=" + x;
            case 'C' -> "claimed ticket=" + a;
            case 'X' -> "removed ticket=" + a;
            case 'L' -> "created lock=" + a + " size=" + x;
            default -> "record " + type;
        };
    }

    /**
     * Appends to {@code all} the records of {@code journal} (a stopped run's current journal
     * file) that the log lacks, checking that the two agree: the journal file must start at
     * some record of the log (or after its end, when a snapshot began the file after the
     * last logged record) and from there match the log record for record. Returns the
     * number of records appended; disagreements go to {@code problems}.
     */
    static int reconcile(List<GrantRecord> all, Map<String, Integer> indexOfText, List<String> journal, int run,
                         List<String> problems) {
        if (journal.isEmpty()) {
            return 0;
        }
        Integer start = indexOfText.get(journal.get(0));
        int from;
        if (start == null) {
            for (String j : journal) {
                if (indexOfText.containsKey(j)) {
                    problems.add("grant log vs journal (run " + run + "): the journal file's first record '"
                            + journal.get(0) + "' is not in the log, but its later record '" + j + "' is");
                    return 0;
                }
            }
            from = 0;
        } else {
            int logged = all.size() - start;
            if (logged > journal.size()) {
                problems.add("grant log vs journal (run " + run + "): the log has " + (logged - journal.size())
                        + " record(s) after the end of the journal file, starting with " + all.get(start + journal.size()));
                return 0;
            }
            for (int k = 0; k < logged; k++) {
                if (!all.get(start + k).text().equals(journal.get(k))) {
                    problems.add("grant log vs journal (run " + run + "): record " + (start + k) + " of the log is '"
                            + all.get(start + k).text() + "' but the journal file has '" + journal.get(k) + "'");
                    return 0;
                }
            }
            from = logged;
        }
        int added = 0;
        for (int k = from; k < journal.size(); k++) {
            add(all, indexOfText, GrantRecord.parse(journal.get(k), run, true), problems);
            added++;
        }
        return added;
    }

    /** Appends a record, noting its text's index (every record of the log is unique). */
    static void add(List<GrantRecord> all, Map<String, Integer> indexOfText, GrantRecord r, List<String> problems) {
        Integer before = indexOfText.putIfAbsent(r.text(), all.size());
        if (before != null && r.type() != 'L') {
            problems.add("grant log: record '" + r.text() + "' appears twice (#" + before + " and #" + all.size() + ")");
        }
        all.add(r);
    }

    static Map<String, Integer> newIndex() {
        return new HashMap<>();
    }
}
