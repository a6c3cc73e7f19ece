package io.ticketrush.redis;

/**
 * Every Redis key and hash field name of one sale, defined here and nowhere else (the Lua
 * scripts get the field names from {@link LuaScripts}' prelude, built from these constants).
 * The stock hash keeps the article's name and fields; everything the orders add lives under
 * {@code rush:}.
 */
public record Keys(String stock) {
    public static final String PREFIX = "rush:";

    /** The stock hash: the article's two fields, then the books the orders keep. */
    public static final String TOTAL = "ticket_total_nums";
    public static final String SOLD = "ticket_sold_nums";
    public static final String PAID = "ticket_paid_nums";
    public static final String EXPIRED = "ticket_expired_nums";
    /** Tickets of calls whose node never got the answer, given back ({@link LuaScripts#VOID}). */
    public static final String VOIDED = "ticket_voided_nums";
    /** The sale's order id base ({@link OrderIds}). */
    public static final String ID_BASE = "order_id_base";

    /** An order hash, and an order event in the stream (which adds {@link #EVENT}). */
    public static final String ID = "id";
    public static final String USER = "user";
    public static final String NODE = "node";
    public static final String CREATED = "created";
    public static final String DEADLINE = "deadline";
    public static final String STATE = "state";
    public static final String CLOSED = "closed";
    public static final String PERSISTED = "persisted";
    public static final String EVENT = "event";
    /** The request id that bought the order ('' for none). */
    public static final String RID = "rid";
    /** Set once a buyer has been answered with the order as one they already had. */
    public static final String SEEN = "seen";
    /** The event that creates an order (the others are named after the state they move it to). */
    public static final String CREATED_EVENT = "created";
    /** A batch key's value once its call has been voided. */
    public static final String VOID_MARK = "void";

    /**
     * The order writer's counters: orders in the database, when it last wrote (ms), and the
     * entries it set aside in {@link #orderDeadLetters()}.
     */
    public static final String IN_DATABASE = "orders";
    public static final String LAST_WRITE = "lastWrite";
    public static final String DEAD_LETTERS = "deadLetters";

    /** A dead letter: the entry's fields as written, plus why it was set aside and its id in the order stream. */
    public static final String REASON = "reason";
    public static final String STREAM_ID = "streamId";

    /** One hash per order: id, user, node, created, deadline, state, closed, persisted. */
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

    /**
     * Order stream entries the writer could not write (malformed, or an order id the database
     * holds for another order), acknowledged and kept here for a person to look at.
     */
    public String orderDeadLetters() {
        return PREFIX + "order-dead-letters";
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

    /** The orders one buy call made (comma separated), or {@link #VOID_MARK}: see {@link LuaScripts#VOID}. */
    public String batch(String token) {
        return PREFIX + "batch:" + token;
    }

    /**
     * The last order id base handed out ({@link OrderIds}); kept by a reset, so that a sale never
     * numbers its orders where an earlier one did.
     */
    public String idBases() {
        return PREFIX + "id-bases";
    }

    /** Counters the order writer keeps ({@link #IN_DATABASE}, {@link #LAST_WRITE}, {@link #DEAD_LETTERS}). */
    public String writerStats() {
        return PREFIX + "writer-stats";
    }

    /** Each node's latest report for the dashboard: field = the node's port, value = JSON. */
    public String nodeStats() {
        return PREFIX + "node-stats";
    }

    /** Every key under {@link #PREFIX}, as a SCAN pattern. */
    public static String everythingOfTheOrders() {
        return PREFIX + "*";
    }
}
