package lockserver.server.journal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The files of DATA_DIR: {@code lock} (one server per directory, held with a file lock),
 * {@code snapshot} (the state at the start of the current journal file, whose generation
 * its header names) and {@code journal.N} (the changes since). Recovery reads both into a
 * {@link JournalState} and drops a torn last record; {@link #rotate} saves a new snapshot
 * and starts an empty journal file. The writer thread's after opening.
 */
final class JournalFiles implements AutoCloseable {
    private static final Logger log = LogManager.getLogger(JournalFiles.class);

    private final Path dir;
    private final FileChannel lockFile;
    private FileChannel out;
    private long generation;
    private long recordsInFile;

    private JournalFiles(Path dir, FileChannel lockFile) {
        this.dir = dir;
        this.lockFile = lockFile;
    }

    /** Takes DATA_DIR's lock and reads snapshot and journal into {@code state}; errors name the directory. */
    static JournalFiles open(Path dir, JournalState state) throws IOException {
        try {
            Files.createDirectories(dir);
            FileChannel lockFile = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock held;
            try {
                held = lockFile.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                held = null;
            }
            if (held == null) {
                lockFile.close();
                throw new IOException("in use by another lockserver");
            }
            JournalFiles files = new JournalFiles(dir, lockFile);
            try {
                files.recover(state);
            } catch (IOException | RuntimeException e) {
                lockFile.close();
                throw e;
            }
            return files;
        } catch (IOException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e instanceof AccessDeniedException) {
                why = "permission denied: " + why;
            }
            throw new IOException("DATA_DIR " + dir + ": " + why, e);
        }
    }

    private void recover(JournalState state) throws IOException {
        Path snapshot = dir.resolve("snapshot");
        if (Files.exists(snapshot)) {
            long[] header = {-1};
            long good;
            try (InputStream in = Files.newInputStream(snapshot)) {
                good = JournalFormat.read(in, c -> {
                    if (c.kind == Change.Kind.HEADER) {
                        header[0] = c.number;
                    }
                    state.apply(c);
                });
            }
            if (header[0] < 0 || good != Files.size(snapshot)) {
                throw new IOException(snapshot + " is damaged; move it away to start from the journal alone");
            }
            generation = header[0];
        }
        Path file = journalFile(generation);
        long good = 0;
        if (Files.exists(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                good = JournalFormat.read(in, c -> {
                    state.apply(c);
                    recordsInFile++;
                });
            }
            long size = Files.size(file);
            if (good < size) {
                log.warn("{}: dropped a torn or damaged record at byte {} of {} (the write the server was making "
                        + "when it stopped)", file, good, size);
            }
        }
        out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        out.truncate(good);
        out.position(good);
    }

    private Path journalFile(long gen) {
        return dir.resolve("journal." + gen);
    }

    Path dir() {
        return dir;
    }

    long recordsInFile() {
        return recordsInFile;
    }

    /** Where the next append starts; pass it to {@link #append} again to write over a failed append. */
    long end() throws IOException {
        return out.position();
    }

    /** Writes {@code records} framed records at {@code at} (the end, or where a failed append started). */
    void append(JournalFormat framed, long at, int records, boolean force) throws IOException {
        if (at != out.position()) {
            out.truncate(at);
            out.position(at);
        }
        framed.writeTo(out);
        if (force) {
            out.force(false);
        }
        recordsInFile += records;
    }

    void force() throws IOException {
        out.force(false);
    }

    /** Saves {@code state} as the new snapshot and continues in a new, empty journal file. */
    void rotate(JournalState state, JournalFormat format) throws IOException {
        long next = generation + 1;
        Path tmp = dir.resolve("snapshot.tmp");
        try (FileChannel f = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            state.writeSnapshot(f, format, next, System.currentTimeMillis());
            f.force(true);
        }
        FileChannel nextFile = FileChannel.open(journalFile(next), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            Files.move(tmp, dir.resolve("snapshot"), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, dir.resolve("snapshot"), StandardCopyOption.REPLACE_EXISTING);
        }
        syncDirectory();
        FileChannel old = out;
        out = nextFile;
        old.close();
        Files.deleteIfExists(journalFile(generation));
        generation = next;
        recordsInFile = 0;
        log.debug("journal snapshot {} with {} live ticket(s)", next, state.ticketCount());
    }

    /** Starts counting anew after a snapshot that could not be written, so it is tried again later. */
    void postponeRotation() {
        recordsInFile = 0;
    }

    private void syncDirectory() {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // not every file system lets a directory be synced; the rename is still atomic
        }
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            lockFile.close();
        }
    }
}
