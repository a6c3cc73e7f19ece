package io.ticketrush.sale;

/**
 * Every way a request is refused with nothing sold or changed, with the HTTP status and the JSON
 * error name it is answered with: the one place the web layer looks (no chain of instanceof). A
 * refusal is not a bug, so the ones a busy node throws often carry no stack trace.
 */
public abstract sealed class Refusal extends RuntimeException
        permits BusyException, StockUnavailableException, UnknownSaleException, InvalidInputException,
        SaleExistsException, QueueRefusal {

    protected Refusal(String message, Throwable cause, boolean withStackTrace) {
        super(message, cause, false, withStackTrace);
    }

    /** The HTTP status the refusal is answered with. */
    public abstract int status();

    /** The JSON answer's {@code error}: what kind of refusal, for a program to act on. */
    public abstract String error();

    /** The JSON answer's {@code reason}, when the error has several: which one (null: none). */
    public String reason() {
        return null;
    }

    /**
     * Seconds after which trying again may succeed, sent as {@code Retry-After}; 0: none (trying
     * again the same way will not).
     */
    public int retryAfterSeconds() {
        return 0;
    }

    /** The JSON answer's {@code msg}: what a person reads. */
    public String shown() {
        return getMessage();
    }
}
