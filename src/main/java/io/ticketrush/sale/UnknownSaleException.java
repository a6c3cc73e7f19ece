package io.ticketrush.sale;

/** A request named a sale that does not exist: a 404. */
public class UnknownSaleException extends RuntimeException {
    public UnknownSaleException(String sale) {
        super("no sale " + sale);
    }
}
