package io.ticketrush.sale;

/** The sale was reset since this node read it: nothing was sold; the node reloads the sale and tries again. */
public final class StaleSaleException extends StockUnavailableException {
    public StaleSaleException(String message) {
        super(message);
    }
}
