package io.ticketrush.sale;

import java.util.Optional;

/**
 * How many buyers a node lets wait for a Redis call at once. A buyer the node cannot answer from
 * memory takes a permit before joining a sale's line; with none left the buyer is shed: a
 * {@link ShedException} (503 {@code busy}, {@code Retry-After}) at once, before any Redis call,
 * nothing sold. Buyers answered from memory (sold out, not open, closed) take no permit and are
 * never shed.
 */
public interface Admission {

    /** Every buyer admitted: the line is bounded only by its lock wait (as before shedding). */
    Admission UNLIMITED = new Admission() {
        @Override
        public Optional<Permit> tryAcquire() {
            return Optional.of(Permit.FREE);
        }

        @Override
        public String toString() {
            return "unlimited";
        }
    };

    /** A place for one buyer, or empty when the node has as many as it admits: shed the buyer. */
    Optional<Permit> tryAcquire();

    /** One admitted buyer's place. */
    interface Permit {
        /** Held by {@link #UNLIMITED}'s buyers: nothing to give back. */
        Permit FREE = () -> {
        };

        /**
         * Gives the place back: the buyer was answered (a ticket, sold out, a failure). Only the
         * first call counts, so a buyer answered twice by a bug cannot free two places.
         */
        void release();
    }
}
