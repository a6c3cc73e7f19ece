package io.ticketrush;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sells tickets the article's way: under one lock per node, take a ticket from the local
 * stock, then reserve it (and create its order) in the global stock. Buyers who arrive while
 * the lock is held queue up, and the next holder does both steps for all of them at once (one
 * Redis call for the batch, each buyer still judged as if alone).
 *
 * <p>Once the global stock is known to be gone and the local stock is empty, "sold out" is
 * answered from memory, without the lock or the network, so losers are served at full speed.
 * While the global stock still has tickets (another node's share, a returned ticket), an empty
 * local stock is refilled from it instead, so nothing is answered "sold out" that is not.
 */
public final class TicketSeller {

    /** What a buyer got. {@code localSales} is this node's count after the attempt. */
    public record Purchase(Result result, String orderId, long deadline, int localSales) {
        public enum Result { TICKET, EXISTING, SOLD_OUT }

        public boolean gotTicket() {
            return result == Result.TICKET;
        }
    }

    /** The most buyers one Redis call answers: bounds the time one script keeps Redis busy. */
    static final int MAX_BATCH = 32;

    /** A buyer waiting for its answer; whoever holds the lock gives it, and wakes the buyer. */
    private static final class Waiter {
        final Buyer buyer;
        final int node;
        final Thread thread = Thread.currentThread();
        private Purchase purchase;
        private RuntimeException failure;
        /** Written last: a buyer that reads it true sees its answer. */
        private volatile boolean answered;

        Waiter(Buyer buyer, int node) {
            this.buyer = buyer;
            this.node = node;
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
    private final LocalStock local;
    private final GlobalStock global;
    private final Config config;
    private final long lockWaitNanos;
    /**
     * The local sales as the last batch left them (no ticket in flight): what a sold-out answer
     * reports, read without the lock.
     */
    private volatile int settledSales;
    /** Set when the global stock was seen empty; cleared by {@link #sync()} when tickets come back. */
    private volatile boolean globalSoldOut;

    public TicketSeller(LocalStock local, GlobalStock global, Config config) {
        this.local = local;
        this.global = global;
        this.config = config;
        this.lockWaitNanos = TimeUnit.MILLISECONDS.toNanos(config.lockWaitMillis());
    }

    /**
     * @param node the port of this node, recorded in the order
     * @throws StockUnavailableException the global stock could not be used; nothing was sold
     * @throws BusyException the lock could not be had in time; nothing was sold
     */
    public Purchase buy(Buyer buyer, int node) {
        if (local.hasStock() || !globalSoldOut) {
            Purchase purchase = buyUnderLock(buyer, node);
            if (purchase.result() != Purchase.Result.SOLD_OUT) {
                return purchase;
            }
        }
        return soldOut(buyer);
    }

    /**
     * A ticket, an existing order or SOLD_OUT (whose {@code soldOut} check for an existing order
     * the caller makes, off the lock). The buyer queues, then either takes the lock or sleeps until its
     * answer is ready or the lock is free. Whoever holds the lock serves every buyer queued so
     * far (up to {@link #MAX_BATCH} at a time) with one Redis call and wakes each of them, so the
     * lock is held for one round trip per batch rather than per buyer, and answered buyers never
     * queue for the lock at all.
     */
    private Purchase buyUnderLock(Buyer buyer, int node) {
        Waiter me = new Waiter(buyer, node);
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
                        throw new BusyException(interrupted ? "interrupted while waiting for the stock lock"
                                : "node busy: waited " + TimeUnit.NANOSECONDS.toMillis(lockWaitNanos)
                                        + " ms for the stock lock");
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

    /** Under the lock: answers the next buyers in the queue, in the order they came. */
    private void serveBatch() {
        List<Waiter> batch = new ArrayList<>(MAX_BATCH);
        for (Waiter w = waiting.poll(); w != null; w = batch.size() < MAX_BATCH ? waiting.poll() : null) {
            batch.add(w);
        }
        try {
            sell(batch);
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

    /**
     * Under the lock: a local ticket for each buyer while there are any, then one global step for
     * all of them. The buyers are answered once the local stock is settled (tickets not sold given
     * back), so no answer shows a count that still holds another buyer's ticket in flight.
     */
    private void sell(List<Waiter> batch) {
        List<Waiter> buying = new ArrayList<>(batch.size());
        List<Waiter> soldOut = new ArrayList<>();
        List<Reservation> reservations;
        try {
            for (Waiter w : batch) {
                // buyers queued on the lock when the stock ran out must not each ask Redis again
                if (!local.hasStock() && (globalSoldOut || !refill())) {
                    soldOut.add(w);
                } else {
                    local.tryTake();
                    buying.add(w);
                }
            }
            reservations = buying.isEmpty() ? List.of() : global.reserveAll(requests(buying), config.orderTtlMillis(),
                    config.perUserLimit());
        } catch (RuntimeException e) {
            for (int i = 0; i < buying.size(); i++) {
                local.giveBack();
            }
            throw e;
        }
        Purchase[] answers = new Purchase[buying.size()];
        int sold = local.sold() - buying.size();
        boolean globalGone = false;
        for (int i = 0; i < buying.size(); i++) {
            Reservation reservation = reservations.get(i);
            switch (reservation.outcome()) {
                case NEW -> answers[i] = new Purchase(Purchase.Result.TICKET, reservation.orderId(),
                        reservation.deadline(), ++sold);
                case EXISTING -> {
                    local.giveBack();
                    answers[i] = new Purchase(Purchase.Result.EXISTING, reservation.orderId(), reservation.deadline(),
                            sold);
                }
                default -> {
                    local.giveBack();
                    soldOut.add(buying.get(i));
                    globalGone = true;
                }
            }
        }
        if (globalGone) {
            local.closeAtSold();
            globalSoldOut = true;
        }
        settledSales = local.sold();
        for (int i = 0; i < buying.size(); i++) {
            if (answers[i] != null) {
                buying.get(i).answer(answers[i]);
            }
        }
        Purchase none = new Purchase(Purchase.Result.SOLD_OUT, null, 0, settledSales);
        for (Waiter w : soldOut) {
            w.answer(none);
        }
    }

    private static List<GlobalStock.Request> requests(List<Waiter> buying) {
        List<GlobalStock.Request> requests = new ArrayList<>(buying.size());
        for (Waiter w : buying) {
            requests.add(new GlobalStock.Request(w.buyer, w.node));
        }
        return requests;
    }

    /** A sold-out answer; a buyer who already holds an order gets that order instead. */
    private Purchase soldOut(Buyer buyer) {
        Optional<Reservation> existing = buyer.anonymous() ? Optional.empty() : global.existing(buyer);
        int sales = settledSales;
        return existing
                .map(r -> new Purchase(Purchase.Result.EXISTING, r.orderId(), r.deadline(), sales))
                .orElseGet(() -> new Purchase(Purchase.Result.SOLD_OUT, null, 0, sales));
    }

    /** Under the lock, with the local stock empty: grants more from what the global stock has left. */
    private boolean refill() {
        long remaining = global.snapshot().remaining();
        if (remaining <= 0) {
            globalSoldOut = true;
            return false;
        }
        local.grant((int) Math.min(remaining, Math.max(1, config.localStock())));
        return true;
    }

    /**
     * The periodic stock sync: learns whether the global stock has tickets again (returned by
     * expired orders, or left by a dead node) so that an exhausted node sells them.
     */
    public void sync() {
        globalSoldOut = global.snapshot().remaining() <= 0;
    }

    /** A new sale: the local stock starts again at {@code quota}, nothing sold. */
    public void resetLocal(int quota) {
        acquire();
        try {
            local.reset(quota);
            settledSales = 0;
            globalSoldOut = false;
        } finally {
            lock.unlock();
        }
        wakeNext();
    }

    private void acquire() {
        try {
            if (!lock.tryLock(lockWaitNanos, TimeUnit.NANOSECONDS)) {
                throw new BusyException("node busy: waited " + TimeUnit.NANOSECONDS.toMillis(lockWaitNanos)
                        + " ms for the stock lock");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BusyException("interrupted while waiting for the stock lock");
        }
    }

    /** Buyers waiting for the lock whose batch has not started (for tests and the curious). */
    int queued() {
        return waiting.size();
    }

    public boolean globalSoldOut() {
        return globalSoldOut;
    }

    public LocalStock local() {
        return local;
    }

    public GlobalStock global() {
        return global;
    }
}
