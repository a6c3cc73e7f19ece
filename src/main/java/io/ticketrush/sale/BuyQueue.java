package io.ticketrush.sale;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The line in front of the article's stock lock. A buyer joins the line and, if the lock is free,
 * takes it and hands everyone in line so far (up to {@link #MAX_BATCH}) to the seller as one
 * batch; if it is not, the buyer's thread leaves at once and the holder, or whoever takes the lock
 * next, serves it. The lock is held for one Redis round trip per batch rather than per buyer.
 *
 * <p>No thread waits for its own answer: the thread that sold a batch lets go of the lock, then
 * delivers the batch's answers itself (to each buyer's {@link Answer}), while another thread may
 * already sell the next batch; answers that need another Redis call (a sold-out buyer who may hold
 * an order) it gets first, after the lock ({@link Seller#finish}), one call for the batch. A buyer still in line after the lock wait is told "busy" by the
 * {@link BuyTimer}, and nothing is sold for it.
 */
final class BuyQueue {
    private static final Logger LOG = Logger.getLogger(BuyQueue.class.getName());

    /**
     * The most buyers one batch holds: bounds the time one Redis call keeps Redis busy (about 70 µs
     * a buyer: 9 ms at 128). The lock is held for a call's round trip, at least one fsync of
     * Redis's append-only file, so this also bounds what one node sells a round trip: at 32 the
     * weight-4 node of four was the one whose line grew in a rush (docs/failures.md, "The line's
     * batch and the sold-out lookups").
     */
    static final int MAX_BATCH = 128;

    /**
     * Sells to one batch under the lock; must {@link Waiter#answer} each waiter, leave it to
     * {@link #finish} ({@link Waiter#answerAfterLock}), or throw.
     */
    interface Seller {
        void sell(List<Waiter> batch);

        /**
         * After the lock is let go (the next batch may be selling), before the batch's answers are
         * delivered: answers the waiters {@link #sell} left to it, or throws (they fail with it).
         */
        default void finish(List<Waiter> later) {
            throw new IllegalStateException("this seller answers every buyer under the lock");
        }
    }

    /** A buyer in line; whoever sells its batch gives it its answer, then delivers it. */
    static final class Waiter {
        private static final int QUEUED = 0;
        private static final int TAKEN = 1;
        private static final int GIVEN_UP = 2;

        final GlobalStock.Request request;
        private final Answer answer;
        private final AtomicInteger state = new AtomicInteger(QUEUED);
        private ScheduledFuture<?> timeout;
        // set under the lock by the seller: the answer is given after the lock (Seller.finish)
        private boolean later;
        // written and read by the thread that sells the batch, under the lock and then after it
        private Purchase purchase;
        private RuntimeException failure;

        Waiter(GlobalStock.Request request, Answer answer) {
            this.request = request;
            this.answer = answer;
        }

        void answer(Purchase given) {
            if (!answered()) {
                purchase = given;
            }
        }

        void failIfOpen(RuntimeException e) {
            if (!answered()) {
                failure = e;
            }
        }

        boolean answered() {
            return purchase != null || failure != null;
        }

        /** Under the lock: this buyer is answered after the lock is let go, by {@link Seller#finish}. */
        void answerAfterLock() {
            later = true;
        }

        /** Hands the answer over; an answer that throws is logged, and the others still get theirs. */
        private void deliver() {
            try {
                if (failure != null) {
                    answer.failed(failure);
                } else {
                    answer.bought(purchase);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "delivering a buy's answer failed", e);
            }
        }
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final ConcurrentLinkedQueue<Waiter> waiting = new ConcurrentLinkedQueue<>();
    private final long lockWaitNanos;
    private final BuyTimer timer;
    private final Seller seller;

    BuyQueue(long lockWaitMillis, BuyTimer timer, Seller seller) {
        this.lockWaitNanos = TimeUnit.MILLISECONDS.toNanos(lockWaitMillis);
        this.timer = timer;
        this.seller = seller;
    }

    /**
     * Puts {@code request} in line; {@code answer} is told {@link Answer#waiting} at once, then
     * gets the purchase, or a {@link BusyException} if no batch took the buyer within the lock wait.
     * This thread serves batches while the lock is free and buyers are in line.
     */
    void buy(GlobalStock.Request request, Answer answer) {
        Waiter me = new Waiter(request, answer);
        answer.waiting();
        me.timeout = timer.after(lockWaitNanos, () -> giveUp(me));
        waiting.add(me);
        serve();
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
        serve();
    }

    /** Buyers in line whose batch has not started (for tests and the curious). */
    int queued() {
        return waiting.size();
    }

    private BusyException busy() {
        return new BusyException("node busy: waited " + TimeUnit.NANOSECONDS.toMillis(lockWaitNanos)
                + " ms for the stock lock");
    }

    /**
     * Sells batch after batch while buyers are in line and the lock is free. Whoever lets go of
     * the lock comes back here, so a buyer who found it taken is never left in line: the holder
     * sees it once it let go.
     */
    private void serve() {
        while (!waiting.isEmpty() && lock.tryLock()) {
            List<Waiter> batch;
            try {
                batch = sellBatch();
            } finally {
                lock.unlock();
            }
            finishLater(batch);
            for (Waiter w : batch) {
                w.deliver();
            }
        }
    }

    /** The lock wait is over and no batch took {@code w}: it leaves the line, told busy. */
    private void giveUp(Waiter w) {
        if (w.state.compareAndSet(Waiter.QUEUED, Waiter.GIVEN_UP)) {
            waiting.remove(w);
            w.failure = busy();
            w.deliver();
        }
    }

    /** Under the lock: hands the next buyers in line, in the order they came, to the seller. */
    private List<Waiter> sellBatch() {
        List<Waiter> batch = new ArrayList<>(MAX_BATCH);
        for (Waiter w = waiting.poll(); w != null; w = batch.size() < MAX_BATCH ? waiting.poll() : null) {
            if (w.state.compareAndSet(Waiter.QUEUED, Waiter.TAKEN)) {
                w.timeout.cancel(false);
                batch.add(w);
            }
        }
        if (!batch.isEmpty()) {
            answerAll(batch, seller::sell);
        }
        return batch;
    }

    /** After the lock: the seller answers the waiters it left for then (a failure fails those only). */
    private void finishLater(List<Waiter> batch) {
        List<Waiter> later = new ArrayList<>();
        for (Waiter w : batch) {
            if (w.later && !w.answered()) {
                w.later = false; // now the seller's to answer
                later.add(w);
            }
        }
        if (!later.isEmpty()) {
            answerAll(later, seller::finish);
        }
    }

    /**
     * Hands {@code waiters} to {@code step}: a failure fails those it had not answered; one it left
     * unanswered, and not for after the lock, is a bug in the seller: an exception (and its stack)
     * only then.
     */
    private static void answerAll(List<Waiter> waiters, Consumer<List<Waiter>> step) {
        try {
            step.accept(waiters);
        } catch (RuntimeException e) {
            for (Waiter w : waiters) {
                w.failIfOpen(e);
            }
        } finally {
            for (Waiter w : waiters) {
                if (!w.answered() && !w.later) {
                    w.failIfOpen(new IllegalStateException("the buy was not answered"));
                }
            }
        }
    }
}
