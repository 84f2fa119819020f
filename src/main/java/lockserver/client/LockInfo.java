package lockserver.client;

import java.util.Map;

/** What the server said of one lock ({@code lock.status}). */
public record LockInfo(String name, int size, int granted, int queued) {

    static LockInfo of(Map<?, ?> m) {
        return new LockInfo((String) m.get("name"), (Integer) m.get("size"), (Integer) m.get("granted"),
                (Integer) m.get("queued"));
    }
}
