package io.ticketrush.sale;

/** The request itself is wrong (a parameter is missing, malformed or out of range): a 400. */
public class BadRequestException extends RuntimeException {
    public BadRequestException(String message) {
        super(message);
    }
}
