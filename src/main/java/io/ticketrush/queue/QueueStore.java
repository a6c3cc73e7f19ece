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

    /**
     * The user's pass as the store holds it; empty if none was issued. A spent pass whose buy's call
     * its node has given up on (its buyer heard 503) is given back here (the call voided): unspent.
     */
    Optional<PassRecord> pass(Sale sale, String user);

    /**
     * A pass as the store holds it: until when it buys (ms; 0 lapsed unused, -1 spent and over, 1
     * handed back), whether it was spent, and whether that spending is still being confirmed (its
     * buy's call not settled yet: the pass may yet come back, if the buyer hears 503).
     */
    record PassRecord(long until, boolean spent, boolean confirming) {
    }

    /** What a buyer leaving the room did ({@link #leave}). */
    enum Left {
        /** Admitted: its pass was handed back (or had lapsed): its slot goes to the next place at the next step. */
        ADMITTED,
        /** Not admitted yet: marked, its pass lapses as soon as its place is admitted. */
        WAITING,
        /** Its pass was spent: nothing given back (cancel the order instead). */
        SPENT,
        /** No place in the room. */
        NOT_IN_ROOM
    }

    /**
     * {@code user} gives their turn in {@code sale}'s room back (docs/queue.md, "Leaving"): their
     * place stays (places are ranks), their pass lapses at the next admission step, or as soon as
     * their place is admitted. Safe to repeat.
     */
    Left leave(Sale sale, String user);
}
