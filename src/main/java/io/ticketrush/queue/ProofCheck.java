package io.ticketrush.queue;

import io.ticketrush.sale.Sale;

/**
 * The proof of work a queued sale's joiner sends ({@code X-Queue-Proof}): the seam the puzzle
 * (docs/queue.md) plugs into. Asked only for a sale whose {@link Sale#powBits} is above 0; a join
 * it does not accept is refused 403 {@code proof_required} and changes nothing.
 */
@FunctionalInterface
public interface ProofCheck {

    /**
     * Whether {@code proof} (the header's value; null when none was sent) solves a puzzle of
     * {@code sale}'s difficulty, for {@code user}, and was not used before.
     */
    boolean solved(Sale sale, String user, String proof);

    /** Accepts every join: the check of a sale without a puzzle. */
    ProofCheck NONE = (sale, user, proof) -> true;

    /** Refuses every join: a node that has no puzzle verifier installed cannot let a sale with one be joined. */
    ProofCheck UNAVAILABLE = (sale, user, proof) -> false;
}
