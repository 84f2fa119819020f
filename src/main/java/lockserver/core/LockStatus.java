package lockserver.core;

/** An immutable snapshot of one named lock's occupancy. */
public record LockStatus(String name, int size, int granted, int queued) {
}
