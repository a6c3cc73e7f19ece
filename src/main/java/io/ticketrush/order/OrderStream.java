package io.ticketrush.order;

import java.util.List;
import java.util.Map;

/**
 * The streams of order events of every sale, as one consumer of the writers' group sees them (a
 * Redis stream per sale, each with the group). Entries stay pending until acknowledged, so a
 * crash loses none of them.
 */
public interface OrderStream extends AutoCloseable {

    /**
     * An entry as delivered: its sale, its id in the sale's stream, its fields as written (null:
     * deleted from the stream while pending, nothing to write) and its event, or, when the fields
     * make no order event, what is wrong with them ({@code malformed}; the event is then null).
     */
    record Delivery(String sale, String id, Map<String, String> fields, OrderEvent event, String malformed) {
    }

    /** How an entry's fields become a delivery: the writer's rules (writer/OrderEntries). */
    @FunctionalInterface
    interface Reader {
        Delivery read(String sale, String streamId, Map<String, String> fields);
    }

    /** A delivered entry the writer sets aside instead of writing it, and why. */
    record DeadLetter(Delivery delivery, String reason) {
    }

    /** Joins the writers' group on every sale's stream, creating it (and the stream) where missing. */
    void join();

    /** Entries delivered to this consumer before and not acknowledged (after a crash), oldest first. */
    List<Delivery> ownPending(int max);

    /** Entries another consumer has left unacknowledged for {@code idleMillis}, now this one's. */
    List<Delivery> claimIdle(long idleMillis, int max);

    /** New entries, waiting up to {@code blockMillis} for the first. */
    List<Delivery> next(int max, int blockMillis);

    /**
     * Once the events of {@code deliveries} are committed to the database, all at once: marks
     * those orders persisted, except the dead letters'; keeps each dead letter (every one is
     * among {@code deliveries}) with its reason and counts it; records {@code inDatabase} (the
     * database's order count); acknowledges every delivery.
     */
    void acknowledge(List<Delivery> deliveries, List<DeadLetter> deadLetters, long inDatabase);

    /**
     * What the streams hold now, in all: events no writer has written yet (the writers' lag),
     * events trimmed by this call, events left in the streams.
     */
    record Backlog(long unwritten, long trimmed, long left) {
    }

    /**
     * Drops from every stream the events the writers' group has written (acknowledged: by every
     * writer of the group, not only this one) that are older than {@code keepMillis} on Redis's
     * clock, and never one that is not written; records the writers' lag where the nodes read it
     * (the dashboard, {@code /metrics}) and answers what is left.
     */
    Backlog trim(long keepMillis);

    @Override
    void close();
}
