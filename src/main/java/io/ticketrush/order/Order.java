package io.ticketrush.order;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One order of sale {@code sale}. {@code closed} is when it was paid, expired, cancelled or voided (0 while
 * pending); {@code persisted}: the order writer has put it in the database; {@code archived}: its sale was
 * archived, and this is the database's row (docs/archive.md).
 */
public record Order(String id, String sale, String user, int node, long created, long deadline, String state,
        long closed, boolean persisted, boolean archived) {
    public static final String PENDING = "pending";
    public static final String PAID = "paid";
    public static final String EXPIRED = "expired";
    /** Never confirmed to its buyer (the node answered 503) and cancelled: its ticket went back. */
    public static final String VOIDED = "voided";
    /** Given up by its buyer while pending ({@code POST /order/cancel}): its ticket went back. */
    public static final String CANCELLED = "cancelled";

    /** The JSON view: adds the time left to pay, as of {@code now}. */
    public Map<String, Object> view(long now) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("orderId", id);
        view.put("sale", sale);
        view.put("user", user);
        view.put("node", node);
        view.put("state", state);
        view.put("created", created);
        view.put("deadline", deadline);
        view.put("msLeftToPay", PENDING.equals(state) ? Math.max(0, deadline - now) : 0);
        view.put("inDatabase", persisted);
        if (archived) {
            view.put("archived", true);
        }
        return view;
    }
}
