package io.ticketrush.sale;

/** What the global step came to for one buyer: a new order, the buyer's existing order, or sold out. */
public record Reservation(Outcome outcome, String orderId, long deadline) {

    public static final Reservation SOLD_OUT = new Reservation(Outcome.SOLD_OUT, null, 0);
}
