package lockserver.client;

/**
 * A call the server refused (a fault: {@link #faultCode()} is one of the codes in
 * docs/API.md) or could not answer ({@link #UNREACHABLE}).
 */
public class LockServerException extends RuntimeException {
    /** The fault code of a server that could not be reached or answered garbage. */
    public static final int UNREACHABLE = -1;
    public static final int UNKNOWN_LOCK = 1;
    public static final int BAD_TICKET = 2;
    public static final int BAD_ARGUMENT = 3;
    public static final int UNKNOWN_METHOD = 4;
    public static final int QUEUE_FULL = 5;
    public static final int NOT_ALLOWED = 6;
    public static final int SHUTTING_DOWN = 7;
    public static final int BAD_REQUEST = 8;
    public static final int INTERNAL = 99;

    private final int faultCode;

    public LockServerException(int faultCode, String message, Throwable cause) {
        super(message, cause);
        this.faultCode = faultCode;
    }

    public int faultCode() {
        return faultCode;
    }
}
