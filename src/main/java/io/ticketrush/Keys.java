package io.ticketrush;

/**
 * The Redis key names of one sale. The stock hash keeps the article's name; everything the
 * orders add lives under {@code rush:}.
 */
public record Keys(String stock) {
    public static final String PREFIX = "rush:";

    /** One hash per order: id, user, node, created, deadline, state, persisted. */
    public String orderPrefix() {
        return PREFIX + "order:";
    }

    public String order(String id) {
        return orderPrefix() + id;
    }

    /** INCR counter that numbers orders. */
    public String orderSeq() {
        return PREFIX + "order-seq";
    }

    /** The stream of order events (created / paid / expired) the order writer consumes. */
    public String orderStream() {
        return PREFIX + "order-events";
    }

    /** Pending orders scored by deadline, for the sweeper. */
    public String pending() {
        return PREFIX + "pending";
    }

    /** A user's pending and paid orders (the per-user limit), scored by order number. */
    public String userActivePrefix() {
        return PREFIX + "user-active:";
    }

    public String userActive(String user) {
        return userActivePrefix() + user;
    }

    /** Every order a user ever had, scored by order number. */
    public String userOrders(String user) {
        return PREFIX + "user-orders:" + user;
    }

    /** A client's request id -> the order it produced, so a retried request gets the same order. */
    public String request(String user, String requestId) {
        return PREFIX + "request:" + user + ":" + requestId;
    }

    /** Counters the order writer keeps (orders in the database). */
    public String writerStats() {
        return PREFIX + "writer-stats";
    }

    /** Each node's latest report for the dashboard: field = the node's port, value = JSON. */
    public String nodeStats() {
        return PREFIX + "node-stats";
    }
}
