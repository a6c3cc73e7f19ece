package io.ticketrush.orders;

import java.util.Map;

/** One entry of the order stream: an order as it was created, paid or expired. */
record OrderEvent(String streamId, String event, long orderId, String user, int node, long created, long deadline,
        String state) {

    static OrderEvent of(String streamId, Map<String, String> fields) {
        String user = fields.getOrDefault("user", "");
        return new OrderEvent(streamId, fields.get("event"), Long.parseLong(fields.get("id")),
                user.isEmpty() ? null : user, Integer.parseInt(fields.getOrDefault("node", "0")),
                Long.parseLong(fields.get("created")), Long.parseLong(fields.get("deadline")), fields.get("state"));
    }
}
