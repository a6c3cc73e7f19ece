package io.ticketrush.sale;

/**
 * What a buy came to, from the global step to the buyer's answer. Failures are not outcomes:
 * they are exceptions ({@link BusyException}, {@link StockUnavailableException}).
 */
public enum Outcome {
    /** A ticket was taken and a pending order created for it. */
    TICKET,
    /** The buyer already holds an order (a retry, or the per-user limit): that order, nothing taken. */
    EXISTING,
    /** The global stock is gone. */
    SOLD_OUT,
    /** The request bought an order before, and that order expired unpaid: nothing taken. */
    EXPIRED,
    /** The sale has not opened yet: nothing taken. */
    NOT_OPEN,
    /** The sale is closed: nothing taken. */
    CLOSED
}
