package lockserver.core;

/** A lock's status in brief, for tests that check its counts and not its version. */
final class Statuses {
    private Statuses() {
    }

    static String brief(String name, int size, int granted, int queued) {
        return name + " size " + size + ": " + granted + " granted, " + queued + " queued";
    }

    static String brief(LockStatus s) {
        return brief(s.name(), s.size(), s.granted(), s.queued());
    }
}
