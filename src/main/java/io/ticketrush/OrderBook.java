package io.ticketrush;

import java.util.List;
import java.util.Optional;

/** Orders after the buy: look them up, pay them, expire the unpaid. Domain code sees only this seam. */
public interface OrderBook {

    /** What paying came to. */
    enum Payment { PAID, ALREADY_PAID, EXPIRED, UNKNOWN, NOT_YOURS }

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
}
