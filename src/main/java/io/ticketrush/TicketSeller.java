package io.ticketrush;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sells tickets the article's way: under one lock per node, take a ticket from the local
 * stock, then reserve it (and create its order) in the global stock.
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

    private final ReentrantLock lock = new ReentrantLock();
    private final LocalStock local;
    private final GlobalStock global;
    private final Config config;
    private final long lockWaitNanos;
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
            if (purchase != null) {
                return purchase;
            }
        }
        return soldOut(buyer);
    }

    /** Null when sold out. */
    private Purchase buyUnderLock(Buyer buyer, int node) {
        acquire();
        try {
            // buyers queued on the lock when the stock ran out must not each ask Redis again
            if (!local.hasStock() && (globalSoldOut || !refill())) {
                return null;
            }
            local.tryTake();
            Reservation reservation;
            try {
                reservation = global.reserve(buyer, node, config.orderTtlMillis(), config.perUserLimit());
            } catch (RuntimeException e) {
                local.giveBack();
                throw e;
            }
            switch (reservation.outcome()) {
                case NEW:
                    return new Purchase(Purchase.Result.TICKET, reservation.orderId(), reservation.deadline(),
                            local.sold());
                case EXISTING:
                    local.giveBack();
                    return new Purchase(Purchase.Result.EXISTING, reservation.orderId(), reservation.deadline(),
                            local.sold());
                default:
                    local.giveBack();
                    local.closeAtSold();
                    globalSoldOut = true;
                    return null;
            }
        } finally {
            lock.unlock();
        }
    }

    /** A sold-out answer; a buyer who already holds an order gets that order instead. */
    private Purchase soldOut(Buyer buyer) {
        Optional<Reservation> existing = buyer.anonymous() ? Optional.empty() : global.existing(buyer);
        return existing
                .map(r -> new Purchase(Purchase.Result.EXISTING, r.orderId(), r.deadline(), local.sold()))
                .orElseGet(() -> new Purchase(Purchase.Result.SOLD_OUT, null, 0, local.sold()));
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
            globalSoldOut = false;
        } finally {
            lock.unlock();
        }
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
