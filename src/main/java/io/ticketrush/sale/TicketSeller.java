package io.ticketrush.sale;

import java.util.ArrayList;
import java.util.List;

import io.ticketrush.Config;

/**
 * Sells tickets the article's way: under one lock per node, take a ticket from the local stock,
 * then reserve it (and create its order) in the global stock; if the global step fails, give the
 * local ticket back. Buyers who arrive while the lock is held wait in the {@link BuyQueue}, and
 * the next holder does both steps for all of them at once (one Redis call for the batch, each
 * buyer still judged as if alone).
 *
 * <p>Once the global stock is known to be gone and the local stock is empty, "sold out" is
 * answered from memory, without the lock or the network, so losers are served at full speed.
 * While the global stock still has tickets (another node's share, a returned ticket), an empty
 * local stock is refilled from it instead, so nothing is answered "sold out" that is not.
 */
public final class TicketSeller {
    private final BuyQueue queue;
    private final LocalStock local;
    private final GlobalStock global;
    private final Config config;
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
        this.queue = new BuyQueue(config.lockWaitMillis(), this::sell);
    }

    /**
     * @param node the port of this node, recorded in the order
     * @throws StockUnavailableException the global stock could not be used; nothing was sold
     * @throws BusyException the lock could not be had in time; nothing was sold
     */
    public Purchase buy(Buyer buyer, int node) {
        if (local.hasStock() || !globalSoldOut) {
            Purchase purchase = queue.buy(new GlobalStock.Request(buyer, node));
            if (purchase.outcome() != Outcome.SOLD_OUT) {
                return purchase;
            }
        }
        return soldOut(buyer);
    }

    /**
     * Under the lock: a local ticket for each buyer while there are any, then one global step for
     * all of them. The buyers are answered once the local stock is settled (tickets not sold given
     * back), so no answer shows a count that still holds another buyer's ticket in flight.
     */
    private void sell(List<BuyQueue.Waiter> batch) {
        List<BuyQueue.Waiter> buying = new ArrayList<>(batch.size());
        List<BuyQueue.Waiter> soldOut = new ArrayList<>();
        List<Reservation> reservations;
        try {
            for (BuyQueue.Waiter w : batch) {
                // buyers queued on the lock when the stock ran out must not each ask Redis again
                if (!local.hasStock() && (globalSoldOut || !refill())) {
                    soldOut.add(w);
                } else {
                    local.tryTake();
                    buying.add(w);
                }
            }
            reservations = buying.isEmpty() ? List.of()
                    : global.reserveAll(requests(buying), config.orderTtlMillis(), config.perUserLimit());
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
                case TICKET -> answers[i] = Purchase.of(reservation, ++sold);
                case EXISTING, EXPIRED -> {
                    local.giveBack();
                    answers[i] = Purchase.of(reservation, sold);
                }
                case SOLD_OUT -> {
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
        Purchase none = Purchase.soldOut(settledSales);
        for (BuyQueue.Waiter w : soldOut) {
            w.answer(none);
        }
    }

    private static List<GlobalStock.Request> requests(List<BuyQueue.Waiter> buying) {
        List<GlobalStock.Request> requests = new ArrayList<>(buying.size());
        for (BuyQueue.Waiter w : buying) {
            requests.add(w.request);
        }
        return requests;
    }

    /** A sold-out answer; a buyer who already holds an order gets that order instead. */
    private Purchase soldOut(Buyer buyer) {
        int sales = settledSales;
        if (buyer.anonymous()) {
            return Purchase.soldOut(sales);
        }
        return global.existing(buyer).map(r -> Purchase.of(r, sales)).orElseGet(() -> Purchase.soldOut(sales));
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
        queue.exclusively(() -> {
            local.reset(quota);
            settledSales = 0;
            globalSoldOut = false;
        });
    }

    /** Buyers waiting for the lock whose batch has not started (for tests and the curious). */
    int queued() {
        return queue.queued();
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
