package io.ticketrush.sale;

/** The global stock could not be reached or used: nothing was sold; the buyer is told to retry, never "sold out". */
public sealed class StockUnavailableException extends Refusal permits StaleSaleException, StoreFullException {
    public StockUnavailableException(String message, Throwable cause) {
        super(message, cause, false);
    }

    public StockUnavailableException(String message) {
        this(message, null);
    }

    @Override
    public int status() {
        return 503;
    }

    /** The circuit breaker tries Redis again within a second ({@code rush.breaker.open.ms}). */
    @Override
    public int retryAfterSeconds() {
        return 1;
    }

    @Override
    public String error() {
        return "unavailable";
    }

    @Override
    public String shown() {
        return "busy, try again: the ticket store cannot be reached";
    }
}
