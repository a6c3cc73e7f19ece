package io.ticketrush;

import java.util.LinkedHashMap;
import java.util.Map;

/** One order as Redis holds it. {@code closed} is when it was paid or expired (0 while pending). */
public record Order(String id, String user, int node, long created, long deadline, String state, long closed,
        boolean persisted) {
    public static final String PENDING = "pending";
    public static final String PAID = "paid";
    public static final String EXPIRED = "expired";

    /** Builds an order from its Redis hash; null when the hash is empty (no such order). */
    static Order fromHash(Map<String, String> hash) {
        if (hash == null || hash.isEmpty() || hash.get("state") == null) {
            return null;
        }
        String user = hash.getOrDefault("user", "");
        return new Order(hash.get("id"), user.isEmpty() ? null : user, Integer.parseInt(hash.getOrDefault("node", "0")),
                Long.parseLong(hash.getOrDefault("created", "0")), Long.parseLong(hash.getOrDefault("deadline", "0")),
                hash.get("state"), Long.parseLong(hash.getOrDefault("closed", "0")), hash.containsKey("persisted"));
    }

    /** The JSON view: adds the time left to pay, as of {@code now}. */
    public Map<String, Object> view(long now) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("orderId", id);
        view.put("user", user);
        view.put("node", node);
        view.put("state", state);
        view.put("created", created);
        view.put("deadline", deadline);
        view.put("msLeftToPay", PENDING.equals(state) ? Math.max(0, deadline - now) : 0);
        view.put("inDatabase", persisted);
        return view;
    }
}
