package io.ticketrush.sale;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Sells the tickets of one sale the article's way: under one lock per node, take a ticket from
 * the local stock, then reserve it (and create its order) in the global stock; if the global step
 * fails, give the local ticket back. Buyers who arrive while the lock is held wait in the
 * {@link BuyQueue}, and the next holder does both steps for all of them at once (one Redis call
 * for the batch, each buyer still judged as if alone).
 *
 * <p>Before the sale opens and once it closes (on the sales' clock), buyers are answered so from
 * memory; the global stock judges the moment again. Once the global stock is known to be gone and
 * the local stock is empty, "sold out" is answered from memory, without the lock or the network,
 * so losers are served at full speed (named ones and retried requests too: {@link Winners} knows
 * who may hold an order). While the global stock still has tickets (another node's share, a
 * ticket come back), an empty local stock is refilled from it instead, so nothing is answered
 * "sold out" that is not. The order stream tells the node at once when a ticket comes back
 * ({@link OrderListener}).
 */
public final class TicketSeller implements OrderListener {
    private static final long NOT_SOLD_OUT = -1;

    private final BuyQueue queue;
    private final Admission admission;
    private final LocalStock local;
    private final GlobalStock global;
    private final LongSupplier clock;
    private final Runnable soldOutSeen;
    private volatile Sale sale;
    /**
     * The local sales as the last batch left them (no ticket in flight): what a sold-out answer
     * reports, read without the lock.
     */
    private volatile int settledSales;
    private final Winners winners = new Winners();
    /** Tickets heard coming back so far (expired or voided orders). */
    private final AtomicLong returns = new AtomicLong();
    /**
     * {@link #returns} as it was when the global stock was last seen empty, or {@link #NOT_SOLD_OUT}.
     * The stock is gone while no ticket came back since: a ticket heard of while Redis was being
     * asked can never be overlooked.
     */
    private volatile long soldOutAt = NOT_SOLD_OUT;

    /**
     * @param local this node's share of the sale (its size is also what a refill grants)
     * @param clock the sales' clock, ms since the epoch
     * @param soldOutSeen called whenever the global stock is seen empty (the node then follows the
     *        sale's orders, see {@link Winners})
     */
    public TicketSeller(Sale sale, LocalStock local, GlobalStock global, long lockWaitMillis, LongSupplier clock,
            BuyTimer timer, Runnable soldOutSeen) {
        this(sale, local, global, lockWaitMillis, clock, timer, soldOutSeen, Admission.UNLIMITED);
    }

    /** @param admission how many buyers the node lets wait for Redis at once (shared by its sellers) */
    public TicketSeller(Sale sale, LocalStock local, GlobalStock global, long lockWaitMillis, LongSupplier clock,
            BuyTimer timer, Runnable soldOutSeen, Admission admission) {
        this.admission = admission;
        this.sale = sale;
        this.local = local;
        this.global = global;
        this.clock = clock;
        this.soldOutSeen = soldOutSeen;
        this.queue = new BuyQueue(lockWaitMillis, timer, new BuyQueue.Seller() {
            @Override
            public void sell(List<BuyQueue.Waiter> batch) {
                TicketSeller.this.sell(batch);
            }

            @Override
            public void finish(List<BuyQueue.Waiter> later) {
                lookUp(later);
            }
        });
    }

    /**
     * Sells one ticket to {@code buyer}, answering {@code answer}: at once when memory knows the
     * answer, else once the buyer's batch is sold (see {@link Answer}). Failures are
     * {@link StockUnavailableException} (the global stock could not be used),
     * {@link BusyException} (no batch took the buyer in time) and {@link ShedException} (the node
     * admits no more buyers to its lines: told at once, before any Redis call): nothing was sold
     * for any of them.
     *
     * @param node the port of this node, recorded in the order
     */
    public void buy(Buyer buyer, int node, Answer answer) {
        Sale current = sale;
        long now = clock.getAsLong();
        if (!current.opened(now)) {
            answer.bought(Purchase.none(Outcome.NOT_OPEN, settledSales));
        } else if (current.closed(now)) {
            answer.bought(Purchase.none(Outcome.CLOSED, settledSales));
        } else if (local.hasStock() || !globalSoldOut() || mayHold(buyer)) {
            // a sold-out answer that needs the store (the buyer may hold an order) is looked up in
            // line with the others in want of one: one call for a batch, not one per buyer
            Admission.Permit permit = admission.tryAcquire().orElse(null);
            if (permit == null) {
                answer.failed(new ShedException("node busy: it admits no more buyers waiting for the ticket store"
                        + " (" + admission + "); try again"));
                return;
            }
            try {
                queue.buy(new GlobalStock.Request(buyer, node), new Answer() {
                    @Override
                    public void waiting() {
                        answer.waiting();
                    }

                    @Override
                    public void bought(Purchase purchase) {
                        permit.release();
                        answer.bought(purchase);
                    }

                    @Override
                    public void failed(RuntimeException e) {
                        permit.release();
                        answer.failed(e);
                    }
                });
            } catch (RuntimeException e) {
                permit.release(); // a failure on the way into the line: the place back (once at most)
                throw e;
            }
        } else {
            answer.bought(Purchase.soldOut(settledSales));
        }
    }

    /** {@link #buy(Buyer, int, Answer)}, waiting for the answer in this thread (tests and tools). */
    public Purchase buy(Buyer buyer, int node) {
        Answer.Awaited answer = Answer.awaited();
        buy(buyer, node, answer);
        return answer.await();
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
        long returnsBefore = returns.get();
        try {
            for (BuyQueue.Waiter w : batch) {
                // buyers queued on the lock when the stock ran out must not each ask Redis again
                if (!local.hasStock() && (globalSoldOut() || !refill())) {
                    soldOut.add(w);
                } else {
                    local.tryTake();
                    buying.add(w);
                }
            }
            reservations = buying.isEmpty() ? List.of() : global.reserveAll(requests(buying), sale);
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
            if (reservation == Reservation.UNSETTLED) {
                local.giveBack();
                buying.get(i).failIfOpen(new UnsettledException());
            } else if (reservation.outcome() == Outcome.TICKET) {
                answers[i] = Purchase.of(reservation, ++sold);
                Buyer buyer = buying.get(i).request.buyer();
                winners.createdHere(reservation.orderId(), buyer.user(), buyer.requestId());
            } else {
                local.giveBack();
                if (reservation.outcome() == Outcome.SOLD_OUT) {
                    soldOut.add(buying.get(i));
                    globalGone = true;
                } else {
                    answers[i] = Purchase.of(reservation, sold);
                }
            }
        }
        if (globalGone) {
            local.closeAtSold();
            sawSoldOut(returnsBefore);
        }
        settledSales = local.sold();
        for (int i = 0; i < buying.size(); i++) {
            if (answers[i] != null) {
                buying.get(i).answer(answers[i]);
            }
        }
        answerSoldOut(soldOut);
    }

    /**
     * Under the lock: the batch's sold-out answers; a buyer who already holds an order, or whose
     * request bought one, gets that order instead: from memory, unless {@link #mayHold} (then
     * {@link #lookUp}, after the lock).
     */
    private void answerSoldOut(List<BuyQueue.Waiter> soldOut) {
        Purchase none = Purchase.soldOut(settledSales);
        for (BuyQueue.Waiter w : soldOut) {
            if (mayHold(w.request.buyer())) {
                w.answerAfterLock();
            } else {
                w.answer(none);
            }
        }
    }

    /**
     * After the lock (the next batch may sell meanwhile): sold-out buyers who may hold an order, told
     * of it if they do, all of a batch's in one call of the global stock (after a sale, until the
     * node has heard of every order, every buyer with a request id is one of them).
     */
    private void lookUp(List<BuyQueue.Waiter> soldOut) {
        List<Buyer> buyers = new ArrayList<>(soldOut.size());
        for (BuyQueue.Waiter w : soldOut) {
            buyers.add(w.request.buyer());
        }
        List<Optional<Reservation>> found = global.existingAll(buyers);
        int sales = settledSales;
        Purchase none = Purchase.soldOut(sales);
        for (int i = 0; i < soldOut.size(); i++) {
            Reservation existing = found.get(i).orElse(null);
            if (existing == Reservation.UNSETTLED) {
                soldOut.get(i).failIfOpen(new UnsettledException());
            } else {
                soldOut.get(i).answer(existing == null ? none : Purchase.of(existing, sales));
            }
        }
    }

    private static List<GlobalStock.Request> requests(List<BuyQueue.Waiter> buying) {
        List<GlobalStock.Request> requests = new ArrayList<>(buying.size());
        for (BuyQueue.Waiter w : buying) {
            requests.add(w.request);
        }
        return requests;
    }

    /**
     * Whether {@code buyer} may hold an order (or its request may have bought one) that its sold-out
     * answer must tell of instead: not an anonymous buyer without a request id, nor one whom
     * {@link Winners} rules out, once the node has heard of every order.
     */
    private boolean mayHold(Buyer buyer) {
        return !(buyer.anonymous() && buyer.requestId() == null)
                && !(winners.caughtUpOnce() && !winners.mightHold(buyer));
    }

    private boolean globalSoldOut() {
        return soldOutAt == returns.get();
    }

    private void sawSoldOut(long returnsBefore) {
        soldOutAt = returnsBefore;
        winners.follow();
        soldOutSeen.run();
    }

    /** Under the lock, with the local stock empty: grants more from what the global stock has left. */
    private boolean refill() {
        long returnsBefore = returns.get();
        GlobalStock.Snapshot stock = global.snapshot();
        if (stock.soldOut()) {
            sawSoldOut(returnsBefore);
            return false;
        }
        // nothing left but what unsettled calls may give back: one ticket to ask the global stock
        // with, which answers "try again" until those calls are settled or voided
        local.grant((int) Math.max(1, Math.min(stock.remaining(), local.initialQuota())));
        return true;
    }

    /**
     * The periodic stock sync: learns whether the global stock has tickets again (left by a dead
     * node, or an admin's change) so that an exhausted node sells them.
     */
    public void sync() {
        long returnsBefore = returns.get();
        if (global.snapshot().soldOut()) {
            sawSoldOut(returnsBefore);
        } else {
            soldOutAt = NOT_SOLD_OUT;
        }
    }

    @Override
    public void created(String orderId, String user, String requestId) {
        winners.created(orderId, user, requestId);
    }

    /** A ticket came back: a sold-out node sells again from its next buyer on. */
    @Override
    public void returned(String orderId, String user, String requestId, boolean voided) {
        winners.returned(orderId, user, requestId, voided);
        returns.incrementAndGet();
    }

    /**
     * Who held orders when the feed started (or started again): a ticket may have come back
     * before that moment unheard, so the next buyer asks the global stock once more.
     */
    @Override
    public void loaded(Holdings holdings) {
        winners.loaded(holdings);
        returns.incrementAndGet();
    }

    /** The sale changed but for its generation (it closed, say): buyers are judged by the new one. */
    public void update(Sale changed) {
        if (changed.generation() != sale.generation() || !changed.id().equals(sale.id())) {
            throw new IllegalArgumentException("a reset sale needs a new seller: " + sale + " -> " + changed);
        }
        sale = changed;
    }

    /** A new sale on this node: the local stock starts again at {@code quota}, nothing sold. */
    public void resetLocal(int quota) {
        queue.exclusively(() -> {
            local.reset(quota);
            settledSales = 0;
            soldOutAt = NOT_SOLD_OUT;
            winners.clear();
        });
    }

    /** Buyers waiting for the lock whose batch has not started (for tests and the curious). */
    int queued() {
        return queue.queued();
    }

    public Sale sale() {
        return sale;
    }

    public boolean knowsGlobalSoldOut() {
        return globalSoldOut();
    }

    public Winners winners() {
        return winners;
    }

    public LocalStock local() {
        return local;
    }

    public GlobalStock global() {
        return global;
    }
}
