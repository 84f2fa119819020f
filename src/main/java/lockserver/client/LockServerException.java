package lockserver.client;

import lockserver.wire.Fault;

/**
 * A call the server refused (a fault: {@link #faultCode()} is one of the codes in
 * docs/API.md) or could not answer ({@link #UNREACHABLE}).
 */
public class LockServerException extends RuntimeException {
    /** The fault code of a server that could not be reached or answered garbage. */
    public static final int UNREACHABLE = -1;
    public static final int UNKNOWN_LOCK = Fault.UNKNOWN_LOCK.code;
    public static final int BAD_TICKET = Fault.BAD_TICKET.code;
    public static final int BAD_ARGUMENT = Fault.BAD_ARGUMENT.code;
    public static final int UNKNOWN_METHOD = Fault.UNKNOWN_METHOD.code;
    public static final int QUEUE_FULL = Fault.QUEUE_FULL.code;
    public static final int NOT_ALLOWED = Fault.NOT_ALLOWED.code;
    public static final int SHUTTING_DOWN = Fault.SHUTTING_DOWN.code;
    public static final int BAD_REQUEST = Fault.BAD_REQUEST.code;
    public static final int BAD_CONFIG = Fault.BAD_CONFIG.code;
    public static final int UNAUTHENTICATED = Fault.UNAUTHENTICATED.code;
    public static final int NO_LEADER = Fault.NO_LEADER.code;
    public static final int INTERNAL = Fault.INTERNAL.code;

    private final int faultCode;

    public LockServerException(int faultCode, String message, Throwable cause) {
        super(message, cause);
        this.faultCode = faultCode;
    }

    public int faultCode() {
        return faultCode;
    }
}
