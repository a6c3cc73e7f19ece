package io.ticketrush.order;

/**
 * One entry of a sale's order stream: an order as it was created, paid, expired or voided, or a
 * payment that came for it after it expired or was voided ({@code refund_due}: the state is the
 * order's, which stays). A paid or refund_due event names its payment and amount (else null and 0).
 */
public record OrderEvent(String streamId, String sale, String event, long orderId, String user, int node,
        long created, long deadline, String state, String payment, long amount) {
    /** The event that records money owed back: a payment for an order that had expired or was voided. */
    public static final String REFUND_DUE = "refund_due";

    /** An event that names no payment. */
    public OrderEvent(String streamId, String sale, String event, long orderId, String user, int node, long created,
            long deadline, String state) {
        this(streamId, sale, event, orderId, user, node, created, deadline, state, null, 0);
    }
}
