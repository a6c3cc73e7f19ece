package io.ticketrush.order;

import java.util.List;
import java.util.Optional;

/**
 * Orders after the buy, of every sale: look them up, pay them, expire the unpaid. An order id
 * names its sale, so a lookup needs the id alone. Domain code sees only this seam.
 */
public interface OrderBook {

    /** What paying came to. */
    enum Payment { PAID, ALREADY_PAID, EXPIRED, VOIDED, UNKNOWN, NOT_YOURS }

    /** The most orders one expiry call handles for one sale: bounds the time one script keeps Redis busy. */
    int EXPIRY_BATCH = 500;

    Optional<Order> find(String orderId);

    /** Every order the user ever had, in every sale, oldest first. */
    List<Order> ofUser(String user);

    /** Every order the user ever had in sale {@code sale}, oldest first. */
    List<Order> ofUser(String user, String sale);

    /** Pays the order iff it is still pending and not past its deadline; {@code user} null = anyone. */
    Payment pay(String orderId, String user);

    /**
     * Expires, in every sale, up to {@code max} pending orders past their deadline, returning
     * their tickets; how many orders the sale with the most expired.
     */
    int expireDue(int max);

    /** Expires every order past its deadline, a batch at a time (the sweep each node runs). */
    default void expireAllDue() {
        while (expireDue(EXPIRY_BATCH) == EXPIRY_BATCH) {
            // a full batch in some sale: more may be due
        }
    }

    /** Counters for one sale's books: paid and expired so far, orders the writer has put in the database. */
    record Counts(long paid, long expired, long inDatabase) {
    }

    Counts counts(String sale);
}
