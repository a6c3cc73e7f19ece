package io.ticketrush.sale;

/**
 * The node already has as many buyers waiting for Redis as it admits ({@link Admission}): this one
 * is turned away at once, before any Redis call, nothing sold; it should come back after
 * {@link #retryAfterSeconds()}.
 */
public final class ShedException extends BusyException {
    public ShedException(String message) {
        super(message);
    }
}
