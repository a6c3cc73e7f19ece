package io.ticketrush.auth;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;

/**
 * The keys tokens are verified with, by their {@code kid}: the operator's HS256 keys
 * ({@code rush.auth.keys.file}, {@code run/jwt-keys.json}: secret, the last one signs, the ones
 * before it still verify: rotation), and the public ES256/RS256 keys of a site's own login
 * ({@code rush.auth.jwks.file}: its JWKS, no private part). Either may be missing; with neither, no
 * token is valid. Both files are read again when they change.
 */
public final class TokenKeys {
    /** The smallest HS256 key: 256 bits (RFC 7518 3.2). */
    public static final int MIN_SECRET_BITS = 256;
    private static final int MIN_RSA_BITS = 2048;

    private final KeyFile operator;
    private final KeyFile site;

    private TokenKeys(KeyFile operator, KeyFile site) {
        this.operator = operator;
        this.site = site;
    }

    /**
     * The keys of these files, each null for none.
     *
     * @throws IllegalArgumentException a file cannot be read or holds a key it may not hold
     */
    public static TokenKeys of(Path operatorKeys, Path siteKeys) {
        return new TokenKeys(operatorKeys == null ? null : new KeyFile(operatorKeys, "rush.auth.keys.file",
                TokenKeys::operatorKey, "the operator's keys are HS256 secrets (\"kty\":\"oct\") of at least "
                        + MIN_SECRET_BITS + " bits"),
                siteKeys == null ? null : new KeyFile(siteKeys, "rush.auth.jwks.file", TokenKeys::siteKey,
                        "a site's keys are public ES256 (EC P-256) or RS256 (RSA of at least " + MIN_RSA_BITS
                                + " bits) keys, without their private part"));
    }

    private static boolean operatorKey(JWK key) {
        return key instanceof OctetSequenceKey secret && secret.size() >= MIN_SECRET_BITS
                && (key.getAlgorithm() == null || JWSAlgorithm.HS256.equals(key.getAlgorithm()));
    }

    private static boolean siteKey(JWK key) {
        if (key.isPrivate()) {
            return false;
        }
        if (key instanceof ECKey ec) {
            return Curve.P_256.equals(ec.getCurve());
        }
        return key instanceof RSAKey rsa && rsa.size() >= MIN_RSA_BITS;
    }

    /** Moves on each time a keys file is read again. */
    int version() {
        return (operator == null ? 0 : operator.version()) + (site == null ? 0 : site.version());
    }

    /** Whether some key has id {@code kid}. */
    boolean knows(String kid) {
        return operator != null && operator.keys().getKeyByKeyId(kid) != null
                || site != null && site.keys().getKeyByKeyId(kid) != null;
    }

    /** What nimbus selects keys from: both files, as they are now. */
    JWKSource<SecurityContext> source() {
        return (JWKSelector selector, SecurityContext context) -> {
            List<JWK> found = new ArrayList<>(2);
            if (operator != null) {
                found.addAll(selector.select(operator.keys()));
            }
            if (site != null) {
                found.addAll(selector.select(site.keys()));
            }
            return found;
        };
    }

    /** The key new tokens are signed with: the operator's last (newest) key; empty without operator keys. */
    Optional<OctetSequenceKey> signing() {
        if (operator == null) {
            return Optional.empty();
        }
        List<JWK> keys = operator.keys().getKeys();
        return Optional.of((OctetSequenceKey) keys.get(keys.size() - 1));
    }

    /** What is loaded, key ids only (never a key): for the node's log. */
    public String describe() {
        return "operator keys " + (operator == null ? "none" : KeyFile.kids(operator.keys()) + " (" + operator.path()
                + ", the last signs)") + ", site keys " + (site == null ? "none" : KeyFile.kids(site.keys()) + " ("
                + site.path() + ")");
    }
}
