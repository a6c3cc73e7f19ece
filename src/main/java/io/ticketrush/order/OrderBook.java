package io.ticketrush.order;

import java.util.List;
import java.util.Optional;

/** Orders after the buy: look them up, pay them, expire the unpaid. Domain code sees only this seam. */
public interface OrderBook {

    /** What paying came to. */
    enum Payment { PAID, ALREADY_PAID, EXPIRED, VOIDED, UNKNOWN, NOT_YOURS }

    /** The most orders one expiry call handles: bounds the time one script keeps Redis busy. */
    int EXPIRY_BATCH = 500;

    Optional<Order> find(String orderId);

    /** Every order the user ever had, oldest first. */
    List<Order> ofUser(String user);

    /** Pays the order iff it is still pending and not past its deadline; {@code user} null = anyone. */
    Payment pay(String orderId, String user);

    /** Expires up to {@code max} pending orders past their deadline, returning their tickets; how many. */
    int expireDue(int max);

    /** Counters for the books: paid and expired so far, orders the writer has put in the database. */
    record Counts(long paid, long expired, long inDatabase) {
    }

    Counts counts();

    /** Expires every order past its deadline, a batch at a time (the sweep each node runs). */
    default void expireAllDue() {
        while (expireDue(EXPIRY_BATCH) == EXPIRY_BATCH) {
            // a full batch: more may be due
        }
    }
}
