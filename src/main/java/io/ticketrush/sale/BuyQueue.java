package io.ticketrush.sale;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The line in front of the article's stock lock. A buyer queues, then either takes the lock or
 * sleeps until its answer is ready or the lock is free. Whoever holds the lock hands everyone
 * queued so far (up to {@link #MAX_BATCH} at a time) to the seller as one batch and wakes each
 * buyer with its answer: the lock is held for one Redis round trip per batch rather than per
 * buyer, and an answered buyer never queues for the lock at all.
 */
final class BuyQueue {

    /** The most buyers one batch holds: bounds the time one Redis call keeps Redis busy. */
    static final int MAX_BATCH = 32;

    /** Sells to one batch under the lock; must {@link Waiter#answer} each waiter or throw. */
    interface Seller {
        void sell(List<Waiter> batch);
    }

    /** A buyer waiting for its answer; whoever holds the lock gives it, and wakes the buyer. */
    static final class Waiter {
        final GlobalStock.Request request;
        final Thread thread = Thread.currentThread();
        private Purchase purchase;
        private RuntimeException failure;
        /** Written last: a buyer that reads it true sees its answer. */
        private volatile boolean answered;

        Waiter(GlobalStock.Request request) {
            this.request = request;
        }

        void answer(Purchase purchase) {
            this.purchase = purchase;
            answered();
        }

        void failIfOpen(RuntimeException e) {
            if (!answered) {
                failure = e;
                answered();
            }
        }

        private void answered() {
            answered = true;
            if (thread != Thread.currentThread()) {
                LockSupport.unpark(thread);
            }
        }

        Purchase purchase() {
            if (failure != null) {
                throw failure;
            }
            return purchase;
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Waiter> waiting = new ConcurrentLinkedQueue<>();
    private final long lockWaitNanos;
    private final Seller seller;

    BuyQueue(long lockWaitMillis, Seller seller) {
        this.lockWaitNanos = TimeUnit.MILLISECONDS.toNanos(lockWaitMillis);
        this.seller = seller;
    }

    /**
     * Queues {@code request} and returns its answer once a lock holder (maybe this thread) has
     * served it.
     *
     * @throws BusyException the buyer waited the whole lock wait without being taken into a batch
     */
    Purchase buy(GlobalStock.Request request) {
        Waiter me = new Waiter(request);
        waiting.add(me);
        long deadline = System.nanoTime() + lockWaitNanos;
        boolean interrupted = false;
        try {
            while (!me.answered) {
                if (lock.tryLock()) {
                    serveUntilAnswered(me);
                    break;
                }
                long left = deadline - System.nanoTime();
                interrupted |= Thread.interrupted();
                if (left <= 0 || interrupted) {
                    if (waiting.remove(me)) {
                        wakeNext(); // it may have been woken to take the lock: pass that on
                        throw interrupted ? new BusyException("interrupted while waiting for the stock lock")
                                : busy();
                    }
                    // a lock holder took this buyer into its batch and answers it before letting go
                    while (!me.answered) {
                        LockSupport.park(this);
                        interrupted |= Thread.interrupted();
                    }
                    break;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return me.purchase();
    }

    /** Runs {@code action} holding the lock, waiting for it at most the lock wait. */
    void exclusively(Runnable action) {
        try {
            if (!lock.tryLock(lockWaitNanos, TimeUnit.NANOSECONDS)) {
                throw busy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusyException("interrupted while waiting for the stock lock");
        }
        try {
            action.run();
        } finally {
            lock.unlock();
        }
        wakeNext();
    }

    /** Buyers waiting whose batch has not started (for tests and the curious). */
    int queued() {
        return waiting.size();
    }

    private BusyException busy() {
        return new BusyException("node busy: waited " + TimeUnit.NANOSECONDS.toMillis(lockWaitNanos)
                + " ms for the stock lock");
    }

    /** With the lock: serves batches until {@code me} is answered, lets go, and wakes the next in line. */
    private void serveUntilAnswered(Waiter me) {
        try {
            while (!me.answered) {
                serveBatch();
            }
        } finally {
            lock.unlock();
        }
        wakeNext();
    }

    /** After the lock is let go: the first buyer still queued takes it next (or is answered by whoever does). */
    private void wakeNext() {
        Waiter next = waiting.peek();
        if (next != null) {
            LockSupport.unpark(next.thread);
        }
    }

    /** Under the lock: hands the next buyers in the queue, in the order they came, to the seller. */
    private void serveBatch() {
        List<Waiter> batch = new ArrayList<>(MAX_BATCH);
        for (Waiter w = waiting.poll(); w != null; w = batch.size() < MAX_BATCH ? waiting.poll() : null) {
            batch.add(w);
        }
        try {
            seller.sell(batch);
        } catch (RuntimeException e) {
            for (Waiter w : batch) {
                w.failIfOpen(e);
            }
        } finally {
            for (Waiter w : batch) {
                w.failIfOpen(new IllegalStateException("the buy was not answered"));
            }
        }
    }
}
