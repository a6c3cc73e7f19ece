package io.ticketrush.web;

/** The HTTP request itself is malformed (a parameter missing, given twice, not decodable): a 400. */
final class BadRequestException extends RuntimeException {
    BadRequestException(String message) {
        super(message, null, false, false);
    }
}
