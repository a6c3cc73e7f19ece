package io.ticketrush.sale;

/** The node could not serve the request in time (lock wait exceeded); the buyer should retry. */
public class BusyException extends RuntimeException {
    public BusyException(String message) {
        super(message);
    }
}
