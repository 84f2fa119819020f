package lockserver.core;

/** A ticket the lifecycle removed, and why; returned by {@link LockRegistry#tick()} for logging. */
public record Expiry(String lock, String ticket, String info, Cause cause) {

    public enum Cause {
        /** A grant nobody claimed within the grace time. */
        GRACE,
        /** No sign of life from the holder within the expiration time. */
        IDLE,
        /** The grant reached the maximum lock time. */
        MAX_LOCK_TIME,
        /** An admin asked the holder to let go (admin.revoke) and the time given ran out. */
        REVOKED,
        /** A queued ticket asked for more slots than the lock has after a reload made it smaller. */
        RESIZED
    }
}
