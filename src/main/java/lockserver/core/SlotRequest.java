package lockserver.core;

import lockserver.wire.Fault;

/**
 * What a query asks for besides its place in the queue: how many slots, and how soon.
 *
 * @param permits   how many slots the ticket takes once granted (1 to the lock's size)
 * @param exclusive the ticket takes every slot of the lock, however many there are when it is granted
 *                  (a writer; with readers at one permit, a fair read/write lock); permits is then 1
 * @param priority  0 to {@link #MAX_PRIORITY}; higher is granted first, and within a priority the older
 *                  ticket first (see {@link WaitQueue} for how waiting raises it)
 */
public record SlotRequest(int permits, boolean exclusive, int priority) {
    public static final int MAX_PRIORITY = 9;
    /** One slot at priority 0: what a query without options asks for. */
    public static final SlotRequest ONE = new SlotRequest(1, false, 0);

    public SlotRequest {
        if (permits < 1) {
            throw new LockException(Fault.BAD_ARGUMENT, "options.permits must be at least 1, got " + permits);
        }
        if (exclusive && permits != 1) {
            throw new LockException(Fault.BAD_ARGUMENT,
                    "options.permits and options.exclusive cannot be given together (exclusive takes every slot)");
        }
        if (priority < 0 || priority > MAX_PRIORITY) {
            throw new LockException(Fault.BAD_ARGUMENT,
                    "options.priority must be from 0 to " + MAX_PRIORITY + ", got " + priority);
        }
    }

    /** The slots this request takes from a lock of {@code size} slots. */
    public int slots(int size) {
        return exclusive ? size : permits;
    }
}
