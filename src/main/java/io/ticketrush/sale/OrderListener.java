package io.ticketrush.sale;

/**
 * What every node hears of the orders: who held them when it started listening, then, from the
 * order stream they share, each order made, and each order whose ticket went back (expired
 * unpaid, or voided because its buyer was told 503).
 */
public interface OrderListener {

    /**
     * Who held orders at the moment the stream is told from ({@link #created} and {@link #returned}
     * tell what came after it). Told again, in full, if the listener may have missed events (its
     * feed fell behind while they were trimmed): it replaces what was known.
     */
    void loaded(Holdings holdings);

    /** An order was made for {@code user} (null: anonymous) by {@code requestId} (null: none). */
    void created(String orderId, String user, String requestId);

    /** The order's ticket went back on sale: it expired unpaid, or was {@code voided}. */
    void returned(String orderId, String user, String requestId, boolean voided);
}
