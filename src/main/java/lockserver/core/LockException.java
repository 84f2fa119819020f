package lockserver.core;

import lockserver.wire.Fault;

/** A refused request: carries the {@link Fault} the wire API reports and a plain one-line message. */
public final class LockException extends RuntimeException {
    private final Fault fault;

    public LockException(Fault fault, String message) {
        super(message, null, false, false); // no stack trace: this is an answer, not a bug
        this.fault = fault;
    }

    public Fault fault() {
        return fault;
    }
}
