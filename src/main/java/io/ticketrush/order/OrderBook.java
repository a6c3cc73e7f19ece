package io.ticketrush.order;

import java.util.List;
import java.util.Optional;

/**
 * Orders after the buy, of every sale: look them up, start their payments and take the payment
 * provider's word on them, expire the unpaid. An order id names its sale, and so does a payment
 * id, so a lookup needs the id alone. Domain code sees only this seam.
 */
public interface OrderBook {

    /** The most orders one expiry call handles for one sale: bounds the time one script keeps Redis busy. */
    int EXPIRY_BATCH = 500;

    Optional<Order> find(String orderId);

    /** Every order the user ever had, in every sale, oldest first. */
    List<Order> ofUser(String user);

    /** Every order the user ever had in sale {@code sale}, oldest first. */
    List<Order> ofUser(String user, String sale);

    /**
     * Starts paying the order, for {@code amount}, iff it is still pending and not past its deadline
     * ({@code user} null = anyone may); an order whose payment has started already answers that
     * payment ({@link Payment.Start#RESUMED}). The order stays pending: only
     * {@link #confirmPayment} makes it paid.
     */
    Payment.Started startPayment(String orderId, String user, long amount);

    /**
     * The payment provider's word (its signature checked by the caller) that a payment succeeded:
     * its order becomes paid iff it is still pending and not past its deadline, else the money is
     * recorded as owed back. Each event is applied once; the same event again, within
     * {@code keepEventMillis}, gets the first answer and changes nothing.
     */
    Payment.Confirmed confirmPayment(Payment.Notice notice, long keepEventMillis);

    /** The payment, if there is one with that id. */
    Optional<Payment> payment(String paymentId);

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

    /** What cancelling an order came to. */
    enum Cancel {
        /** Its ticket went back. */
        CANCELLED,
        /** No such order (or one nobody holds yet): nothing changed. */
        UNKNOWN,
        /** Another user's order: nothing changed. */
        NOT_YOURS,
        ALREADY_PAID,
        /** Expired (now, if it was past its deadline), voided or cancelled already. */
        NOT_PENDING
    }

    /**
     * Cancels {@code user}'s pending order before its deadline: its ticket goes back (in a queued
     * sale, to the next place of the waiting room), and its state is cancelled.
     */
    Cancel cancel(String orderId, String user);

    /** Counters for one sale's books: paid and expired so far, orders the writer has put in the database. */
    record Counts(long paid, long expired, long inDatabase) {
    }

    Counts counts(String sale);
}
