package io.ticketrush.sale;

/**
 * The buyer's order is being settled by the node that made it: that node may still tell its
 * buyer, or tell 503 and void it. Nothing was sold; the seller asks again shortly.
 */
public final class UnsettledException extends BusyException {
    public UnsettledException() {
        super("this buyer's order is being settled by the node that made it; try again");
    }
}
