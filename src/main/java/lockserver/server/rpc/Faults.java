package lockserver.server.rpc;

import lockserver.core.LockException;
import lockserver.wire.Fault;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The one place that turns a failure into the fault a client gets, by the failure's type:
 * a {@link LockException} is its own fault; anything else is a bug, logged with its stack
 * trace and answered as fault 99 with a plain message (no client ever sees a trace).
 * Requests that cannot be read are refused where they are read, as {@link #malformed}.
 */
final class Faults {
    private static final Logger log = LogManager.getLogger(Faults.class);

    private Faults() {
    }

    static LockException of(Throwable error) {
        if (error instanceof LockException e) {
            return e;
        }
        log.error("internal error while serving a request", error);
        return new LockException(Fault.INTERNAL, "internal server error; the server log has the details");
    }

    /** Fault 8 for a request document that is not a valid XML-RPC call; {@code why} is the parser's word. */
    static LockException malformed(String why) {
        String text = why == null ? "unreadable request" : why;
        if (text.contains("DOCTYPE")) {
            text = "DOCTYPE declarations are not allowed";
        }
        return new LockException(Fault.BAD_REQUEST, "malformed XML-RPC request: "
                + text.replaceAll("\\b(?:[a-z]+\\.)+[A-Z]\\w*(?:Exception|Error): ?", "") // no Java class names
                .replaceAll("\\s+", " "));
    }

    /** Fault 8 for a body that could not be read whole, or was larger than the cap. */
    static LockException unreadable(String why) {
        return new LockException(Fault.BAD_REQUEST, "malformed XML-RPC request: " + why);
    }
}
