package io.ticketrush.sale;

/** A request named a sale that does not exist: a 404. */
public final class UnknownSaleException extends Refusal {
    public UnknownSaleException(String sale) {
        super("no sale " + sale, null, false);
    }

    @Override
    public int status() {
        return 404;
    }

    @Override
    public String error() {
        return "unknown_sale";
    }
}
