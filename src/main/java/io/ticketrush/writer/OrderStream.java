package io.ticketrush.writer;

import java.util.List;

/**
 * The stream of order events as one consumer of the writers' group sees it (a Redis stream with
 * a consumer group). Entries stay pending until acknowledged, so a crash loses none of them.
 */
public interface OrderStream extends AutoCloseable {

    /** An entry as delivered: its stream id and its event (null: deleted from the stream while pending). */
    record Delivery(String id, OrderEvent event) {
    }

    /** Joins the writers' group, creating it (and the stream) if missing. */
    void join();

    /** Entries delivered to this consumer before and not acknowledged (after a crash), oldest first. */
    List<Delivery> ownPending(int max);

    /** Entries another consumer has left unacknowledged for {@code idleMillis}, now this one's. */
    List<Delivery> claimIdle(long idleMillis, int max);

    /** New entries, waiting up to {@code blockMillis} for the first. */
    List<Delivery> next(int max, int blockMillis);

    /**
     * Once their events are committed to the database: marks those orders persisted, records
     * {@code inDatabase} (the database's order count) and acknowledges every delivery.
     */
    void acknowledge(List<Delivery> deliveries, long inDatabase);

    @Override
    void close();
}
