package lockserver.core;

import java.util.Locale;

/** Where a ticket stands; {@link #wireName()} is the string the wire API sends. */
public enum TicketState {
    QUEUED, GRANTED, GONE;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
