package io.ticketrush.sale;

/**
 * What a buy came to, from the global step to the buyer's answer. Failures are not outcomes:
 * they are exceptions ({@link BusyException}, {@link StockUnavailableException}).
 *
 * <p>Each outcome has one number, {@link #code()}: the buy script answers it (the Lua scripts
 * define the same numbers, {@code lua/lib/names.lua}) and the JSON answer's {@code code} carries
 * it, but for {@link #EXISTING}, whose JSON code is {@link #TICKET}'s (the buyer holds a ticket).
 */
public enum Outcome {
    /** A ticket was taken and a pending order created for it. */
    TICKET(1),
    /** The buyer already holds an order (a retry, or the per-user limit): that order, nothing taken. */
    EXISTING(2),
    /** The global stock is gone. */
    SOLD_OUT(-1),
    /** The sale has not opened yet: nothing taken. */
    NOT_OPEN(-2),
    /** The sale is closed: nothing taken. */
    CLOSED(-3),
    /** The request bought an order before, and that order expired unpaid (or was cancelled): nothing taken. */
    EXPIRED(-4),
    /**
     * A queued sale and the buyer's pass does not buy (none issued, lapsed, or spent already): nothing
     * taken. Answered HTTP 403 {@code not_admitted}, as a buy without a valid pass is.
     */
    NOT_ADMITTED(-5);

    private final int code;

    Outcome(int code) {
        this.code = code;
    }

    /** The outcome's number, in the buy script's answers and (but for EXISTING) in the JSON answer. */
    public int code() {
        return code;
    }
}
