package io.ticketrush.queue;

import java.util.List;
import java.util.Optional;

import io.ticketrush.sale.Sale;

/**
 * A queued sale's waiting room as the store (Redis) holds it: its places, its passes, its figures.
 * Domain code sees only this seam. Every method throws
 * {@link io.ticketrush.sale.StockUnavailableException} when the store cannot tell, and a
 * {@link io.ticketrush.sale.QueueRefusal} or {@link io.ticketrush.sale.UnknownSaleException} when
 * the sale has no room (any more).
 */
public interface QueueStore {

    /** One joiner: the user, and the lottery score drawn for them, in [0, 1) (used if they are new before the opening). */
    record Joiner(String user, double lottery) {
    }

    /**
     * The places of {@code joiners}, in one atomic step, in their order: a user who has a place gets
     * it back; a newcomer before the opening gets their lottery score, after it the next arrival's.
     */
    List<Place> join(Sale sale, List<Joiner> joiners);

    /**
     * The room's admission step (docs/queue.md): passes past their time lapse or are done, then the
     * places up to {@code byClock} + lapsed + returned get their passes, each buying for
     * {@code passMillis}. Answers the room's figures after it.
     *
     * @param byClock the places the sale's rate has admitted since its opening ({@link Frontier#byClock})
     */
    RoomView admit(Sale sale, long byClock, long passMillis);

    /** The user's pass as the store holds it; empty if none was issued. */
    Optional<PassRecord> pass(Sale sale, String user);

    /** A pass as the store holds it: until when it buys (ms; 0 lapsed unused, -1 spent and over), and whether it was spent. */
    record PassRecord(long until, boolean spent) {
    }
}
