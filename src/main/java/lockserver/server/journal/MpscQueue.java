package lockserver.server.journal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An unbounded lock-free queue of many producers and one consumer, intrusive: a node is
 * linked through its own {@link Node#next} field, so an offer allocates nothing (Vyukov's
 * queue). {@link #offer} may be called by any thread, never blocks and never fails; every
 * other method belongs to the one consumer thread.
 *
 * <p>An offer swaps its node in as the tail and then links the old tail to it; between the
 * two steps the consumer sees the queue end early, which {@link #maybeMore()} tells. The
 * node {@link #poll()} returned last stays in the queue as its head until the next poll:
 * the consumer must not reuse it before ({@link #isHead}).
 */
final class MpscQueue<N extends MpscQueue.Node<N>> {
    /** What the queue links through. */
    abstract static class Node<N extends Node<N>> {
        N next; // set through NEXT: release by producers, acquire by the consumer

        /** The node after this one, once its producer has linked it. */
        @SuppressWarnings("unchecked")
        final N linkedNext() {
            return (N) NEXT.getAcquire(this);
        }
    }

    private static final VarHandle TAIL;
    private static final VarHandle NEXT;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            TAIL = lookup.findVarHandle(MpscQueue.class, "tail", Node.class);
            NEXT = lookup.findVarHandle(Node.class, "next", Node.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile Node<N> tail;
    private Node<N> head; // consumer's: the last node it took, the stub at first

    MpscQueue(N stub) {
        tail = stub;
        head = stub;
    }

    /** Appends {@code node}; any thread. */
    void offer(N node) {
        @SuppressWarnings("unchecked")
        N prev = (N) TAIL.getAndSet(this, node);
        NEXT.setRelease(prev, node);
    }

    /** The oldest node, or null when none is fully linked yet. Consumer only. */
    N poll() {
        N next = head.linkedNext();
        if (next == null) {
            return null;
        }
        head.next = null; // a node a producer still refers to must not keep the ones after it alive
        head = next;
        return next;
    }

    /** Whether a fully linked node waits to be polled. Consumer only. */
    boolean hasNext() {
        return head.linkedNext() != null;
    }

    /** True when a producer has swapped its node in but not linked it yet. Consumer only. */
    boolean maybeMore() {
        return tail != head;
    }

    /** Whether {@code node} is the queue's head, which the consumer must not reuse yet. */
    boolean isHead(N node) {
        return node == head;
    }
}
