package io.ticketrush.sale;

/**
 * What every node hears of the orders, from the order stream they share: each order made, and
 * each order whose ticket went back (expired unpaid, or voided because its buyer was told 503).
 */
public interface OrderListener {

    /** An order was made for {@code user} (null: anonymous) by {@code requestId} (null: none). */
    void created(String orderId, String user, String requestId);

    /** The order's ticket went back on sale: it expired unpaid, or was {@code voided}. */
    void returned(String orderId, String user, String requestId, boolean voided);

    /** Every order there was when the feed started has been heard of. */
    void caughtUp();
}
