package io.ticketrush.writer;

/** One entry of the order stream: an order as it was created, paid or expired. */
public record OrderEvent(String streamId, String event, long orderId, String user, int node, long created,
        long deadline, String state) {
}
