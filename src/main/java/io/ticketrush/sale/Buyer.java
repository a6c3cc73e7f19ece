package io.ticketrush.sale;

import java.util.regex.Pattern;

/**
 * Who is buying: a user id (null for the article's anonymous mode) and an optional request id
 * that makes retries of one request return the same order (Nginx sends its {@code $request_id},
 * so a buy it retries on another node cannot buy twice, even anonymously).
 */
public record Buyer(String user, String requestId) {
    /** Letters, digits and {@code _ . @ -}; 1 to 64 characters. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");
    public static final Buyer ANONYMOUS = new Buyer(null, null);

    public Buyer {
        if (user != null) {
            requireId("user", user);
        }
        if (requestId != null) {
            requireId("rid", requestId);
        }
    }

    /** Checks a user or request id and names what is wrong with it. */
    public static String requireId(String name, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidInputException(name + " is required");
        }
        if (value.length() > 64) {
            throw new InvalidInputException(name + " is " + value.length() + " characters long; at most 64");
        }
        if (!isId(value)) {
            throw new InvalidInputException(name + " may hold only letters, digits and _ . @ -");
        }
        return value;
    }

    /** {@link #ID} without the regex engine: every named buy checks one. */
    static boolean isId(String value) {
        return Sale.isId(value, 64, "_.@-");
    }

    public boolean anonymous() {
        return user == null;
    }
}
