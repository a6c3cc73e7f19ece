package io.ticketrush.web;

import jakarta.servlet.http.HttpServletResponse;

/**
 * The request's identity does not allow it, nothing changed: 401 (no valid bearer token where one
 * is needed, with the {@code WWW-Authenticate} challenge RFC 6750 asks for) or 403 (a {@code user=}
 * that is not the token's). Another user's order is not this but a 404: existence is not confirmed.
 */
final class AccessDeniedException extends RuntimeException {
    private final int status;
    private final String error;
    private final String challenge;

    private AccessDeniedException(int status, String error, String message, String challenge) {
        super(message, null, false, false);
        this.status = status;
        this.error = error;
        this.challenge = challenge;
    }

    /** No token was sent where one is needed. */
    static AccessDeniedException noToken(String message) {
        return new AccessDeniedException(HttpServletResponse.SC_UNAUTHORIZED, "unauthorized", message, "Bearer");
    }

    /** The token sent names nobody (malformed, unsigned, an unknown key, forged, expired). */
    static AccessDeniedException invalidToken(String message) {
        return new AccessDeniedException(HttpServletResponse.SC_UNAUTHORIZED, "unauthorized", message,
                "Bearer error=\"invalid_token\"");
    }

    /** The request names someone the token does not. */
    static AccessDeniedException forbidden(String message) {
        return new AccessDeniedException(HttpServletResponse.SC_FORBIDDEN, "forbidden", message, null);
    }

    int status() {
        return status;
    }

    String error() {
        return error;
    }

    /** The {@code WWW-Authenticate} header's value, or null for none. */
    String challenge() {
        return challenge;
    }
}
