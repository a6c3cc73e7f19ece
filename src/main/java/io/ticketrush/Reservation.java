package io.ticketrush;

/** What the global step came to: a new order, the buyer's existing order, or sold out. */
public record Reservation(Outcome outcome, String orderId, long deadline) {

    public enum Outcome {
        /** A ticket was taken and a pending order created. */
        NEW,
        /** The buyer already holds an order (a retry, or the per-user limit): nothing was taken. */
        EXISTING,
        /** The global stock is gone. */
        SOLD_OUT
    }

    public static final Reservation SOLD = new Reservation(Outcome.SOLD_OUT, null, 0);
}
