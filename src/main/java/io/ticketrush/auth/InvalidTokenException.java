package io.ticketrush.auth;

/** A bearer token that names nobody: malformed, unsigned, signed with an unknown or wrong key, expired. */
public final class InvalidTokenException extends RuntimeException {
    public InvalidTokenException(String message) {
        super(message, null, false, false);
    }
}
