package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Tokens as a test makes them: good ones, and the bad ones a stranger tries (expired, signed with
 * another key, {@code alg: none}, an unknown kid), each signed or left unsigned on purpose.
 */
public final class TestTokens {
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestTokens() {
    }

    /** A fresh 256-bit HS256 key with id {@code kid}. */
    public static OctetSequenceKey secret(String kid) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new OctetSequenceKey.Builder(bytes).keyID(kid).algorithm(JWSAlgorithm.HS256).build();
    }

    /** A fresh EC P-256 key pair with id {@code kid} (a site's ES256 login). */
    public static ECKey ecKey(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fresh RSA 2048 key pair with id {@code kid} (a site's RS256 login). */
    public static RSAKey rsaKey(String kid) {
        try {
            return new RSAKeyGenerator(2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code keys} as a JWK set to {@code file} (secrets and private parts included, as given). */
    public static Path write(Path file, List<? extends JWK> keys) {
        try {
            Files.writeString(file, new JWKSet(List.copyOf(keys)).toString(false));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Claims for {@code user} issued now, expiring at {@code expires}. */
    public static JWTClaimsSet claims(String user, Instant expires) {
        return new JWTClaimsSet.Builder().subject(user).issueTime(new Date()).expirationTime(Date.from(expires))
                .build();
    }

    /** An HS256 token for {@code user} with {@code key}, valid for a minute. */
    public static String hs256(OctetSequenceKey key, String user) {
        return hs256(key, claims(user, Instant.now().plusSeconds(60)));
    }

    public static String hs256(OctetSequenceKey key, JWTClaimsSet claims) {
        try {
            return sign(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID(key.getKeyID()).build(), claims,
                    new MACSigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An ES256 token for {@code user} with {@code key}, valid for a minute. */
    public static String es256(ECKey key, String user) {
        try {
            return sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).build(),
                    claims(user, Instant.now().plusSeconds(60)), new ECDSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** An RS256 token for {@code user} with {@code key}, valid for a minute. */
    public static String rs256(RSAKey key, String user) {
        try {
            return sign(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                    claims(user, Instant.now().plusSeconds(60)), new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sign(JWSHeader header, JWTClaimsSet claims, JWSSigner signer) {
        SignedJWT jwt = new SignedJWT(header, claims);
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return jwt.serialize();
    }

    /** An unsigned token ({@code "alg":"none"}) naming key {@code kid} for {@code user}, valid for a minute. */
    public static String algNone(String kid, String user) {
        String header = "{\"alg\":\"none\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
        return base64url(header) + "." + base64url(claims(user, Instant.now().plusSeconds(60)).toString()) + ".";
    }

    private static String base64url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
