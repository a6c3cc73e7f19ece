package io.ticketrush.sale;

/** What the global step came to for one buyer: a new order, the buyer's existing order, or sold out. */
public record Reservation(Outcome outcome, String orderId, long deadline) {

    public static final Reservation SOLD_OUT = new Reservation(Outcome.SOLD_OUT, null, 0);
    public static final Reservation NOT_OPEN = new Reservation(Outcome.NOT_OPEN, null, 0);
    public static final Reservation CLOSED = new Reservation(Outcome.CLOSED, null, 0);
    public static final Reservation NOT_ADMITTED = new Reservation(Outcome.NOT_ADMITTED, null, 0);
    /**
     * Not an answer: the buyer's order is being settled by the node that made it (its buyer may
     * yet be told of it, or told 503 and the order voided). The buyer is told to try again.
     */
    public static final Reservation UNSETTLED = new Reservation(null, null, 0);
}
