package io.ticketrush.auth;

import java.util.Date;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.ticketrush.sale.Buyer;

/**
 * Issues HS256 tokens with the operator's newest key: {@code ./rush token} for people and scripts,
 * and the demo login. A site with a login of its own issues its own (docs/identity.md).
 */
public final class TokenIssuer {
    /** The issuer the tokens made here name. */
    public static final String ISSUER = "ticket-rush";
    /** The longest a token made here lasts: a day. */
    public static final long MAX_TTL_SECONDS = 86_400;

    private final TokenKeys keys;

    /** A token, whom it names, and when it expires (ms since the epoch). */
    public record Token(String value, String user, long expiresAt) {
        @Override
        public String toString() {
            return "token for " + user + " until " + expiresAt; // never the token itself
        }
    }

    /**
     * @throws IllegalArgumentException there are no operator keys to sign with
     */
    public TokenIssuer(TokenKeys keys) {
        if (keys.signing().isEmpty()) {
            throw new IllegalArgumentException("no operator keys (rush.auth.keys.file) to sign tokens with");
        }
        this.keys = keys;
    }

    /**
     * A token for {@code user} that lasts {@code ttlSeconds} from {@code nowMillis}.
     *
     * @throws IllegalArgumentException the user is no user id, or the time is out of 1 s to a day
     */
    public Token issue(String user, long ttlSeconds, long nowMillis) {
        if (user == null || user.length() > 64 || !Buyer.ID.matcher(user).matches()) {
            throw new IllegalArgumentException("user '" + user + "' is not a user id: 1 to 64 letters, digits, _ . @ -");
        }
        if (ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
            throw new IllegalArgumentException("ttl " + ttlSeconds + " s must be 1 s to a day");
        }
        OctetSequenceKey key = keys.signing().orElseThrow();
        long now = nowMillis / 1000 * 1000;
        long expires = now + ttlSeconds * 1000;
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(user).issuer(ISSUER).issueTime(new Date(now))
                .expirationTime(new Date(expires)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(new MACSigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign with key " + key.getKeyID(), e);
        }
        return new Token(jwt.serialize(), user, expires);
    }
}
