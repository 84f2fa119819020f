package lockserver.wire;

/**
 * The stable error vocabulary of the wire API: each fault has a numeric code that
 * clients may switch on and that never changes meaning. Listed in docs/API.md.
 */
public enum Fault {
    UNKNOWN_LOCK(1),
    BAD_TICKET(2),
    BAD_ARGUMENT(3),
    UNKNOWN_METHOD(4),
    QUEUE_FULL(5),
    NOT_ALLOWED(6),
    SHUTTING_DOWN(7),
    BAD_REQUEST(8),
    BAD_CONFIG(9),
    UNAUTHENTICATED(10),
    /** a cluster node that cannot reach a majority of its peers */
    NO_LEADER(11),
    INTERNAL(99);

    public final int code;

    Fault(int code) {
        this.code = code;
    }
}
