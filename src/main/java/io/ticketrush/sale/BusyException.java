package io.ticketrush.sale;

/**
 * The node could not serve the request in time (lock wait exceeded, or too many buyers already
 * waiting: {@link ShedException}): nothing was sold; the buyer should retry after a second.
 */
public sealed class BusyException extends Refusal permits UnsettledException, ShedException {
    public BusyException(String message) {
        super(message, null, false);
    }

    @Override
    public int status() {
        return 503;
    }

    @Override
    public int retryAfterSeconds() {
        return 1;
    }

    @Override
    public String error() {
        return "busy";
    }

    @Override
    public String shown() {
        return "busy, try again";
    }
}
