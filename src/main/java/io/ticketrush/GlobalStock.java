package io.ticketrush;

/**
 * The single truth about how many tickets are left across all nodes (Redis in production).
 * Domain code sees only this seam, never the Redis client.
 */
public interface GlobalStock {

    /** What one attempt to take a ticket from the global stock came to. */
    enum Take { TAKEN, SOLD_OUT }

    /** Total and sold as the global stock holds them. */
    record Snapshot(long total, long sold) {
        public long remaining() {
            return Math.max(0, total - sold);
        }
    }

    /** Atomically takes one ticket if sold < total. @throws StockUnavailableException if it cannot tell */
    Take take();

    /** @throws StockUnavailableException if the stock cannot be read */
    Snapshot snapshot();
}
