package lockserver.server.cluster;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import lockserver.core.LockSettings;
import lockserver.server.journal.Fsync;
import lockserver.server.journal.Journal;

/**
 * A single server's DATA_DIR becoming the first node of a cluster: the holders and queues
 * its journal kept are read once, sent to the cluster as one {@link Command.Import}, and
 * the journal files are then moved to {@code DATA_DIR/imported-single-server}, so they
 * are never imported twice and stay at hand.
 */
final class SingleServerImport {
    static final String MOVED_TO = "imported-single-server";

    private SingleServerImport() {
    }

    /** Whether DATA_DIR holds a single server's journal. */
    static boolean present(Path dataDir) throws IOException {
        if (Files.exists(dataDir.resolve("snapshot"))) {
            return true;
        }
        try (DirectoryStream<Path> journals = Files.newDirectoryStream(dataDir, "journal.*")) {
            return journals.iterator().hasNext();
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
    }

    /** What the journal kept, as the command that brings it into the cluster. */
    static Command.Import read(Path dataDir, LockSettings defaults) throws IOException {
        Journal journal = Journal.open(dataDir, Fsync.NEVER);
        try {
            long asOf = System.currentTimeMillis() * 1_000_000L; // as the leader stamps commands
            return new Command.Import(journal.restoredTickets(), journal.restoredDelays(), journal.lastTokens(),
                    journal.remoteLocks(), defaults, asOf, 0);
        } finally {
            try {
                journal.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Moves the journal files aside, once the cluster has committed the import. */
    static void moveAside(Path dataDir) throws IOException {
        Path to = Files.createDirectories(dataDir.resolve(MOVED_TO));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir, "{snapshot,journal.*}")) {
            for (Path f : files) {
                Files.move(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
