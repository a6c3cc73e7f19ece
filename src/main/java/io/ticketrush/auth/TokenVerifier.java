package io.ticketrush.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.text.ParseException;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

import javax.crypto.Mac;
import javax.crypto.SecretKey;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.ticketrush.sale.Buyer;

/**
 * Who a bearer token names: its {@code sub}, once its signature, key and times check out. On the
 * node, from keys in memory: no Redis call, no network.
 *
 * <p>The rules: a JWS (never {@code alg: none}, never an encrypted JWT) signed with HS256, ES256 or
 * RS256 only (a token cannot pick another algorithm, nor use a public key as an HMAC secret: an
 * algorithm takes keys of its own type only); its {@code kid} names a key there is; {@code sub}
 * and {@code exp} present; {@code exp}, {@code nbf} and {@code iat} judged with a small leeway
 * for clocks that differ; {@code sub} a user id as {@link Buyer#ID} allows; {@code aud} one of the
 * accepted audiences when there are any.
 */
public final class TokenVerifier {
    /** The algorithms a token may be signed with: the operator's HS256, a site's ES256 or RS256. */
    public static final Set<JWSAlgorithm> ALGORITHMS = Set.of(JWSAlgorithm.HS256, JWSAlgorithm.ES256,
            JWSAlgorithm.RS256);
    /** The most leeway a node gives clocks that differ. */
    public static final int MAX_LEEWAY_SECONDS = 60;
    /** Longer than any token this system or an OIDC provider issues: refused unread. */
    static final int MAX_TOKEN_CHARS = 8192;
    /** The most verified tokens remembered (a few MB); past it they are forgotten all at once. */
    static final int REMEMBERED = 10_000;

    /** The most token headers whose verdict is remembered ({@link #headers}); past it they are forgotten all at once. */
    static final int HEADERS_REMEMBERED = 64;
    /** The only header parameters a token may have for the quick check: anything else goes the whole way. */
    private static final Set<String> PLAIN_HEADER = Set.of("alg", "kid", "typ");

    /** A token verified: whom it names, until when (ms, its exp plus the leeway), under which keys. */
    private record Verified(String subject, long validUntil, int keysVersion) {
    }

    /**
     * A plain HS256 header's verdict, under which keys: the one secret nimbus's own key selector
     * chose for it, and a MAC under that secret for each thread.
     */
    private record Hs256(ThreadLocal<Mac> macs, int keysVersion) {
    }

    private final TokenKeys keys;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final int leewaySeconds;
    private final LongSupplier clock;
    /**
     * Tokens verified already, by their whole text (signature included): a buyer who asks again
     * with the same token costs a lookup, not a signature check (ES256 costs a millisecond of CPU).
     * Only tokens that verified are here; a change of keys makes every one be verified again.
     */
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    /**
     * Token headers (their base64url text) that are plain HS256 with a key of the operator's, checked
     * once by nimbus under the keys of then: the quick check of a token never seen ({@link #quick}).
     */
    private final Map<String, Hs256> headers = new ConcurrentHashMap<>();

    /**
     * @param leewaySeconds how far a token's times may be off: 0 to {@link #MAX_LEEWAY_SECONDS}
     * @param audiences the {@code aud} a token must name one of; empty: not checked
     */
    public TokenVerifier(TokenKeys keys, int leewaySeconds, Set<String> audiences) {
        this(keys, leewaySeconds, audiences, System::currentTimeMillis);
    }

    /** @param clock now, in ms since the epoch (tests) */
    TokenVerifier(TokenKeys keys, int leewaySeconds, Set<String> audiences, LongSupplier clock) {
        if (leewaySeconds < 0 || leewaySeconds > MAX_LEEWAY_SECONDS) {
            throw new IllegalArgumentException("leeway " + leewaySeconds + " s must be 0 to " + MAX_LEEWAY_SECONDS);
        }
        this.keys = keys;
        this.leewaySeconds = leewaySeconds;
        this.clock = clock;
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(ALGORITHMS, keys.source()));
        TimesVerifier times = new TimesVerifier(audiences.isEmpty() ? null : new HashSet<>(audiences), leewaySeconds,
                clock);
        processor.setJWTClaimsSetVerifier(times);
    }

    /**
     * The user {@code token} names.
     *
     * @throws InvalidTokenException it names nobody, saying why
     */
    public String subject(String token) {
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new InvalidTokenException("the token is longer than " + MAX_TOKEN_CHARS + " characters");
        }
        int keysVersion = keys.version();
        Verified known = verified.get(token);
        if (known != null && known.keysVersion() == keysVersion && clock.getAsLong() < known.validUntil()) {
            return known.subject();
        }
        Verified fresh = verify(token, keysVersion);
        if (verified.size() >= REMEMBERED) {
            verified.clear();
        }
        verified.put(token, fresh);
        return fresh.subject();
    }

    /** How many verified tokens are remembered now. */
    int remembered() {
        return verified.size();
    }

    private Verified verify(String token, int keysVersion) {
        Verified quick = quick(token, keysVersion);
        return quick != null ? quick : verifyFully(token, keysVersion);
    }

    /**
     * The same verdict as {@link #verifyFully} for the common token, a plain HS256 one (a header of
     * {@code alg}, {@code kid} and {@code typ} JWT only, under an operator's key), at a fraction of
     * its CPU: its header checked once by nimbus (algorithm, type, and the key its own selector
     * picks), its MAC computed with a MAC kept per thread, its claims read by hand when they are as
     * our issuer writes them ({@link #plainClaims}; else parsed by nimbus) and judged by the same
     * nimbus claims and times checks. Null for anything else, and for any token this check does not
     * accept (a bad MAC, bad claims, a header never seen that is not plain): those go the whole way,
     * which says why.
     */
    private Verified quick(String token, int keysVersion) {
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (second < 0 || token.indexOf('.', second + 1) >= 0) {
            return null;
        }
        Hs256 header = hs256(token.substring(0, first), keysVersion);
        if (header == null) {
            return null;
        }
        byte[] signature;
        try {
            signature = Base64.getUrlDecoder().decode(token.substring(second + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
        byte[] signed = header.macs().get().doFinal(token.substring(0, second).getBytes(StandardCharsets.UTF_8));
        if (!MessageDigest.isEqual(signed, signature)) {
            return null;
        }
        JWTClaimsSet claims;
        try {
            String json = new Base64URL(token.substring(first + 1, second)).decodeToString();
            claims = plainClaims(json);
            if (claims == null) {
                claims = JWTClaimsSet.parse(json);
            }
            processor.getJWTClaimsSetVerifier().verify(claims, null);
        } catch (ParseException | BadJOSEException | RuntimeException e) {
            return null;
        }
        return verified(claims, keysVersion);
    }

    /** The claims {@link #plainClaims} reads, each a bit of the ones seen. */
    private static final int SUB = 1;
    private static final int ISS = 2;
    private static final int AUD = 4;
    private static final int IAT = 8;
    private static final int EXP = 16;
    private static final int NBF = 32;
    /** The most digits of a time in seconds (1e12 s: past year 33,000). */
    private static final int MOST_DIGITS = 12;

    /**
     * Claims as our issuer writes them ({@link TokenIssuer}, {@code ./rush token}, {@code /login}:
     * {@code {"sub":"u1","iss":"ticket-rush","exp":1700003600,"iat":1700000000}}), read without a
     * JSON library: nimbus's parse was most of what is left of a quick check's CPU. Strict: an object
     * of no whitespace whose members are each at most once {@code sub}, {@code iss} or {@code aud} as
     * a string of letters, digits and {@code _ . @ : / -} (no escape), or {@code iat}, {@code exp} or
     * {@code nbf} as a whole number of seconds (digits, no leading zero, at most 12). Null for
     * anything else (another claim, a claim twice, another type, an escape, a space, a fraction),
     * which nimbus then parses as before: this reads only what nimbus reads the same way, and the
     * claims go through the same nimbus checks either way.
     */
    static JWTClaimsSet plainClaims(String json) {
        int n = json.length();
        if (n < 3 || json.charAt(0) != '{' || json.charAt(n - 1) != '}') {
            return null;
        }
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder();
        int seen = 0;
        int i = 1;
        while (true) {
            if (json.charAt(i) != '"' || i + 5 >= n || json.charAt(i + 4) != '"' || json.charAt(i + 5) != ':') {
                return null;
            }
            int claim = switch (json.substring(i + 1, i + 4)) {
                case "sub" -> SUB;
                case "iss" -> ISS;
                case "aud" -> AUD;
                case "iat" -> IAT;
                case "exp" -> EXP;
                case "nbf" -> NBF;
                default -> 0;
            };
            if (claim == 0 || (seen & claim) != 0) {
                return null;
            }
            seen |= claim;
            int start = i + 6;
            int end = start;
            if (claim <= AUD) {
                if (start >= n || json.charAt(start) != '"') {
                    return null;
                }
                end = start + 1;
                while (end < n && plainChar(json.charAt(end))) {
                    end++;
                }
                if (end >= n || json.charAt(end) != '"') {
                    return null;
                }
                String value = json.substring(start + 1, end);
                switch (claim) {
                    case SUB -> claims.subject(value);
                    case ISS -> claims.issuer(value);
                    default -> claims.audience(value);
                }
                end++;
            } else {
                while (end < n && end - start <= MOST_DIGITS && json.charAt(end) >= '0' && json.charAt(end) <= '9') {
                    end++;
                }
                if (end == start || end - start > MOST_DIGITS || json.charAt(start) == '0' && end - start > 1) {
                    return null;
                }
                Date at = new Date(Long.parseLong(json, start, end, 10) * 1000);
                switch (claim) {
                    case IAT -> claims.issueTime(at);
                    case EXP -> claims.expirationTime(at);
                    default -> claims.notBeforeTime(at);
                }
            }
            if (end >= n) {
                return null;
            }
            char next = json.charAt(end);
            if (next == '}') {
                return end == n - 1 ? claims.build() : null;
            }
            if (next != ',') {
                return null;
            }
            i = end + 1;
        }
    }

    private static boolean plainChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
                || c == '@' || c == ':' || c == '/' || c == '-';
    }

    /** The verdict on header {@code encoded} under the keys of {@code keysVersion}: null unless plain HS256 under one key. */
    private Hs256 hs256(String encoded, int keysVersion) {
        Hs256 known = headers.get(encoded);
        if (known != null && known.keysVersion() == keysVersion) {
            return known;
        }
        SecretKey secret = plainHs256Key(encoded);
        if (secret == null) {
            return null;
        }
        Hs256 fresh = new Hs256(ThreadLocal.withInitial(() -> mac(secret)), keysVersion);
        if (headers.size() >= HEADERS_REMEMBERED) {
            headers.clear();
        }
        headers.put(encoded, fresh);
        return fresh;
    }

    /** The one key nimbus would check a token with header {@code encoded} against, if it is plain HS256; else null. */
    private SecretKey plainHs256Key(String encoded) {
        try {
            JWSHeader header = JWSHeader.parse(new Base64URL(encoded));
            if (!JWSAlgorithm.HS256.equals(header.getAlgorithm()) || header.getKeyID() == null
                    || !keys.knows(header.getKeyID()) || !PLAIN_HEADER.containsAll(header.getIncludedParams())
                    || header.getType() != null && !JOSEObjectType.JWT.equals(header.getType())) {
                return null;
            }
            processor.getJWSTypeVerifier().verify(header.getType(), null);
            List<? extends Key> found = processor.getJWSKeySelector().selectJWSKeys(header, null);
            if (found.size() != 1 || !(found.get(0) instanceof SecretKey secret)
                    || secret.getEncoded().length * 8 < TokenKeys.MIN_SECRET_BITS) {
                return null;
            }
            return secret;
        } catch (ParseException | BadJOSEException | JOSEException | RuntimeException e) {
            return null;
        }
    }

    private static Mac mac(SecretKey secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(secret);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }

    /** How many token headers' verdicts are remembered now. */
    int headersRemembered() {
        return headers.size();
    }

    private Verified verifyFully(String token, int keysVersion) {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            // alg "none" lands here too: its header is no signature's
            throw new InvalidTokenException("not a signed JWT (" + e.getMessage() + ")");
        }
        JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
        if (!ALGORITHMS.contains(algorithm)) {
            throw new InvalidTokenException("algorithm " + algorithm + " is not accepted: HS256, ES256 or RS256");
        }
        String kid = jwt.getHeader().getKeyID();
        if (kid == null) {
            throw new InvalidTokenException("the token names no key (kid)");
        }
        if (!keys.knows(kid)) {
            throw new InvalidTokenException("unknown key " + shown(kid));
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(jwt, null);
        } catch (BadJOSEException | JOSEException e) {
            throw new InvalidTokenException(e.getMessage());
        }
        return verified(claims, keysVersion);
    }

    /** What {@code claims}, checked, name: their subject if it is a user id. */
    private Verified verified(JWTClaimsSet claims, int keysVersion) {
        String subject = claims.getSubject();
        if (subject.length() > 64 || !Buyer.ID.matcher(subject).matches()) {
            throw new InvalidTokenException("sub is not a user id: 1 to 64 letters, digits, _ . @ -");
        }
        return new Verified(subject, claims.getExpirationTime().getTime() + leewaySeconds * 1000L, keysVersion);
    }

    private static String shown(String kid) {
        return kid.length() <= 40 ? "'" + kid + "'" : "'" + kid.substring(0, 40) + "...'";
    }

    /** nimbus's checks of exp, nbf and aud with sub and exp required, plus an iat not in the future. */
    private static final class TimesVerifier extends DefaultJWTClaimsVerifier<SecurityContext> {
        private final LongSupplier clock;

        TimesVerifier(Set<String> audiences, int leewaySeconds, LongSupplier clock) {
            super(audiences, null, Set.of("sub", "exp"), null);
            setMaxClockSkew(leewaySeconds);
            this.clock = clock;
        }

        @Override
        protected Date currentTime() {
            return new Date(clock.getAsLong());
        }

        @Override
        public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
            super.verify(claims, context);
            Date issued = claims.getIssueTime();
            if (issued != null && issued.getTime() - currentTime().getTime() > getMaxClockSkew() * 1000L) {
                throw new BadJWTException("JWT issued in the future (iat)");
            }
        }
    }
}
