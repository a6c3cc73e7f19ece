package io.ticketrush;

import java.util.Optional;

/**
 * The single truth about how many tickets are left across all nodes (Redis in production).
 * Domain code sees only this seam, never the Redis client. Every method throws
 * {@link StockUnavailableException} when it cannot tell.
 */
public interface GlobalStock {

    /** Total and sold (pending + paid) as the global stock holds them. */
    record Snapshot(long total, long sold) {
        public long remaining() {
            return Math.max(0, total - sold);
        }
    }

    /**
     * In one atomic step: if the buyer has no order left to get (limit, retried request) and
     * sold < total, take a ticket and create a pending order that must be paid within
     * {@code payWithinMillis}.
     */
    Reservation reserve(Buyer buyer, int node, long payWithinMillis, int perUserLimit);

    /** The buyer's latest pending or paid order, if any (answers retries once the node is sold out). */
    Optional<Reservation> existing(Buyer buyer);

    Snapshot snapshot();
}
