package io.ticketrush.sale;

import java.util.List;
import java.util.Map;

/**
 * Who holds orders in a sale at one moment, as a node's order feed reads it before it follows the
 * sale's order stream from that moment on (the stream's older events may be gone: they leave it
 * once written).
 *
 * @param lastOrderId the last order made by then (0: none): a later one is not in here
 * @param users each user holding pending or paid orders, with how many
 * @param requests the requests that bought an order still on record (a voided one's is not)
 */
public record Holdings(long lastOrderId, Map<String, Integer> users, List<Request> requests) {

    /** A request that bought: its buyer ({@code user} null: anonymous) and its id. */
    public record Request(String user, String requestId) {
    }

    /** Nobody holds anything. */
    public static final Holdings NONE = new Holdings(0, Map.of(), List.of());
}
