package lockserver.client;

import java.util.Map;

/**
 * What the server said of one lock ({@code lock.status}, {@code lock.watch}). An older
 * server's answer, without the last three, reads as used = granted, delayed 0, version "".
 *
 * @param granted tickets holding slots
 * @param used    slots those tickets hold (a ticket may take several)
 * @param delayed slots LOCK_DELAY keeps closed after a holder the server ended
 * @param version changes with every change of the others; {@code ""} from an older server
 */
public record LockInfo(String name, int size, int granted, int queued, int used, int delayed, String version) {

    static LockInfo of(Map<?, ?> m) {
        int granted = (Integer) m.get("granted");
        return new LockInfo((String) m.get("name"), (Integer) m.get("size"), granted, (Integer) m.get("queued"),
                TicketInfo.member(m, "used", granted), TicketInfo.member(m, "delayed", 0),
                TicketInfo.member(m, "version", ""));
    }
}
