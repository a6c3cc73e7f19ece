package io.ticketrush.web;

import io.ticketrush.auth.InvalidTokenException;
import io.ticketrush.auth.TokenVerifier;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Sale;
import jakarta.servlet.http.HttpServletRequest;

/**
 * Who a request is from: the one place the web decides it, for every endpoint. A bearer token, if
 * sent, is verified ({@link TokenVerifier}: on the node, no Redis call) and names the user; a
 * {@code user=} that names someone else is refused. In a sale with signed buyers the token is
 * needed; in an open sale a request without one is whoever its {@code user=} says (the article's
 * way), or nobody.
 */
final class Identity {
    private static final String BEARER = "Bearer ";

    /** The token's subject; null when no token was sent. */
    private final String signedUser;
    /** The {@code user=} of the request, checked; null when none. */
    private final String namedUser;

    private Identity(String signedUser, String namedUser) {
        this.signedUser = signedUser;
        this.namedUser = namedUser;
    }

    /**
     * Reads the request's {@code Authorization: Bearer} token and {@code user=}.
     *
     * @throws AccessDeniedException 401 for a token that names nobody, 403 for a user= not the token's
     * @throws io.ticketrush.sale.InvalidInputException a user= that is no user id (400)
     */
    static Identity of(HttpServletRequest request, TokenVerifier verifier) {
        String named = JsonServlet.param(request, "user");
        if (named != null) {
            Buyer.requireId("user", named);
        }
        String token = bearerToken(request);
        if (token == null) {
            return new Identity(null, named);
        }
        String signed;
        try {
            signed = verifier.subject(token);
        } catch (InvalidTokenException e) {
            throw AccessDeniedException.invalidToken("invalid token: " + e.getMessage());
        }
        if (named != null && !named.equals(signed)) {
            throw AccessDeniedException.forbidden("user=" + named + " is not the user the token names");
        }
        return new Identity(signed, named);
    }

    /** The token of {@code Authorization: Bearer TOKEN}; null without one (another scheme counts as none). */
    private static String bearerToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        String token = header.substring(BEARER.length()).strip();
        if (token.isEmpty()) {
            throw AccessDeniedException.invalidToken("invalid token: Authorization: Bearer with no token");
        }
        return token;
    }

    /** Whether the request carries a valid token. */
    boolean signedIn() {
        return signedUser != null;
    }

    /** Whether the request's token names {@code user}. */
    boolean signedInAs(String user) {
        return signedUser != null && signedUser.equals(user);
    }

    /**
     * The user who buys from {@code sale}: the token's in a sale with signed buyers (a token is
     * needed), else the token's if sent, else the one {@code user=} names (null: nobody named).
     *
     * @throws AccessDeniedException 401: a sale with signed buyers and no token
     */
    String buyer(Sale sale) {
        if (sale.signed()) {
            requireToken("sale " + sale.id() + " sells to signed buyers only: send Authorization: Bearer TOKEN");
        }
        return signedUser != null ? signedUser : namedUser;
    }

    /**
     * Whose orders a list shows: the token's user, else the one {@code user=} names.
     *
     * @throws io.ticketrush.sale.InvalidInputException neither names anyone (400)
     */
    String lister() {
        return signedUser != null ? signedUser : Buyer.requireId("user", namedUser);
    }

    /**
     * The user an order is paid as (the order book refuses another's): the token's if sent, else
     * the one {@code user=} names, null for anyone (an open sale, as in the article).
     */
    String payer() {
        return signedUser != null ? signedUser : namedUser;
    }

    /** @throws AccessDeniedException 401 without a token, saying {@code why} */
    void requireToken(String why) {
        if (signedUser == null) {
            throw AccessDeniedException.noToken(why);
        }
    }
}
