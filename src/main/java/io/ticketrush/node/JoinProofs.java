package io.ticketrush.node;

import java.util.Locale;

import io.ticketrush.auth.JoinPuzzle;
import io.ticketrush.queue.ProofCheck;
import io.ticketrush.sale.QueueRefusal;
import io.ticketrush.sale.Sale;

/**
 * The waiting room's join check of a sale with a puzzle: the {@code X-Queue-Proof} must be
 * {@link JoinPuzzle}'s {@link JoinPuzzle.Verdict#SOLVED} for this user, this sale and its
 * {@code pow_bits}. No proof is 403 {@code proof_required}; any other verdict 403
 * {@code proof_invalid} (400 for {@code malformed}), its {@code reason} the verdict's name.
 */
final class JoinProofs implements ProofCheck {
    private final JoinPuzzle puzzle;

    JoinProofs(JoinPuzzle puzzle) {
        this.puzzle = puzzle;
    }

    @Override
    public void check(Sale sale, String user, String proof) {
        JoinPuzzle.Verdict verdict = puzzle.verify(proof, sale.id(), user, sale.powBits());
        switch (verdict) {
            case SOLVED -> {
            }
            case MISSING -> throw QueueRefusal.proofRequired("sale " + sale.id() + " asks a proof of work of "
                    + sale.powBits() + " bits to join: solve GET /queue/challenge?sale=" + sale.id()
                    + " and send it as X-Queue-Proof");
            default -> throw QueueRefusal.proofInvalid(verdict.name().toLowerCase(Locale.ROOT), verdict.message());
        }
    }
}
