package io.ticketrush.queue;

import io.ticketrush.sale.QueueRefusal;
import io.ticketrush.sale.Sale;

/**
 * The proof of work a queued sale's joiner sends ({@code X-Queue-Proof}): the seam the puzzle
 * (docs/queue.md, docs/queue-puzzle.md) plugs into. Asked only for a sale whose {@link Sale#powBits}
 * is above 0; a join it does not accept is refused (nothing changed) with the refusal it throws.
 */
@FunctionalInterface
public interface ProofCheck {

    /**
     * Accepts {@code proof} (the header's value; null when none was sent) if it solves a puzzle of
     * {@code sale}'s difficulty made for {@code user} and this sale.
     *
     * @throws QueueRefusal 403 {@code proof_required} (no proof), or {@code proof_invalid} with the reason
     */
    void check(Sale sale, String user, String proof);

    /** Accepts every join: the check of a sale without a puzzle. */
    ProofCheck NONE = (sale, user, proof) -> {
    };

    /** Refuses every join: a node that has no puzzle verifier installed cannot let a sale with one be joined. */
    ProofCheck UNAVAILABLE = (sale, user, proof) -> {
        throw QueueRefusal.proofRequired("this node checks no puzzle: sale " + sale.id() + " cannot be joined here");
    };
}
