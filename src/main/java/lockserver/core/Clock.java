package lockserver.core;

/**
 * A source of monotonic nanoseconds, the only way the core reads time, so tests can
 * drive every deadline with a fake clock instead of sleeping. Implementations must be
 * thread-safe and never go backwards.
 */
@FunctionalInterface
public interface Clock {
    long nanoTime();

    /** The JVM's monotonic clock. */
    Clock SYSTEM = System::nanoTime;
}
