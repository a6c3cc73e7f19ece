package io.ticketrush.order;

/** One entry of a sale's order stream: an order as it was created, paid, expired or voided. */
public record OrderEvent(String streamId, String sale, String event, long orderId, String user, int node,
        long created, long deadline, String state) {
}
