package io.ticketrush.sale;

/** The node could not serve the request in time (lock wait exceeded): nothing was sold; the buyer should retry. */
public sealed class BusyException extends Refusal permits UnsettledException {
    public BusyException(String message) {
        super(message, null, false);
    }

    @Override
    public int status() {
        return 503;
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
