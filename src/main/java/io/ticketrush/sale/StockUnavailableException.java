package io.ticketrush.sale;

/** The global stock could not be reached or used; the buyer is told to retry, never "sold out". */
public class StockUnavailableException extends RuntimeException {
    public StockUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public StockUnavailableException(String message) {
        super(message);
    }
}
