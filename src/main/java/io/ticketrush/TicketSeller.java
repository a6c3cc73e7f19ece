package io.ticketrush;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sells tickets the article's way: under one lock per node, take a ticket from the local
 * stock, then from the global stock. Once the local stock is gone, "sold out" is answered
 * from memory without the lock or the network.
 */
public final class TicketSeller {

    /** What a buyer got. {@code localSales} is this node's count after the attempt. */
    public record Purchase(boolean gotTicket, int localSales) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final LocalStock local;
    private final GlobalStock global;
    private final long lockWaitNanos;

    public TicketSeller(LocalStock local, GlobalStock global, long lockWaitMillis) {
        this.local = local;
        this.global = global;
        this.lockWaitNanos = TimeUnit.MILLISECONDS.toNanos(lockWaitMillis);
    }

    /**
     * @throws StockUnavailableException the global stock could not be used; nothing was sold
     * @throws BusyException the lock could not be had in time; nothing was sold
     */
    public Purchase buy() {
        if (!local.hasStock()) {
            return new Purchase(false, local.sold());
        }
        acquire();
        try {
            if (!local.tryTake()) {
                return new Purchase(false, local.sold());
            }
            GlobalStock.Take take;
            try {
                take = global.take();
            } catch (RuntimeException e) {
                local.giveBack();
                throw e;
            }
            if (take == GlobalStock.Take.TAKEN) {
                return new Purchase(true, local.sold());
            }
            local.giveBack();
            local.closeAtSold();
            return new Purchase(false, local.sold());
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

    public LocalStock local() {
        return local;
    }

    public GlobalStock global() {
        return global;
    }
}
