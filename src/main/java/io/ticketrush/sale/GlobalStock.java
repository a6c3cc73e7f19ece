package io.ticketrush.sale;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The single truth about how many tickets are left across all nodes (Redis in production).
 * Domain code sees only this seam, never the Redis client. Every method throws
 * {@link StockUnavailableException} when it cannot tell.
 */
public interface GlobalStock {

    /**
     * Total and sold (pending + paid) as the global stock holds them, and how many buy calls hold
     * tickets whose buyers may not have been answered yet (unsettled: they may still come back).
     */
    record Snapshot(long total, long sold, long unsettled) {
        public Snapshot(long total, long sold) {
            this(total, sold, 0);
        }

        public long remaining() {
            return Math.max(0, total - sold);
        }

        /** Nothing left, and nothing that may come back from a call still being settled. */
        public boolean soldOut() {
            return remaining() == 0 && unsettled == 0;
        }
    }

    /** One buyer asking for a ticket on {@code node} (the port recorded in the order). */
    record Request(Buyer buyer, int node) {
    }

    /**
     * In one atomic step, for each request in turn as if it came alone: if the sale is open, the
     * buyer has no order left to get (limit, retried request) and sold < total, take a ticket and
     * create a pending order that must be paid within the sale's time to pay. One answer per
     * request, in order.
     *
     * @param sale the sale as this node knows it: its limit, time to pay and generation
     * @throws StaleSaleException the sale was reset since this node read it; nothing was sold
     */
    List<Reservation> reserveAll(List<Request> requests, Sale sale);

    /** {@link #reserveAll} for one buyer. */
    default Reservation reserve(Buyer buyer, int node, Sale sale) {
        return reserveAll(List.of(new Request(buyer, node)), sale).get(0);
    }

    /** The buyer's latest pending or paid order, if any (answers retries once the node is sold out). */
    Optional<Reservation> existing(Buyer buyer);

    /** {@link #existing} of each of {@code buyers}, in order: one round trip for all where the store allows. */
    default List<Optional<Reservation>> existingAll(List<Buyer> buyers) {
        List<Optional<Reservation>> found = new ArrayList<>(buyers.size());
        for (Buyer buyer : buyers) {
            found.add(existing(buyer));
        }
        return found;
    }

    Snapshot snapshot();
}
