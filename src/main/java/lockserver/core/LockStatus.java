package lockserver.core;

/**
 * An immutable snapshot of one named lock's occupancy.
 *
 * @param granted tickets granted
 * @param used    slots those tickets take (a ticket may take several)
 * @param delayed slots closed by LOCK_DELAY after their holder was ended
 * @param version grows with every change of the other numbers (lock.watch)
 */
public record LockStatus(String name, int size, int granted, int queued, int used, int delayed, long version) {
}
