package io.ticketrush.order;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The payment provider's signature on a callback, as Stripe signs its webhooks: the header
 * {@code Rush-Signature: t=SECONDS,v1=HEX}, where HEX is HMAC-SHA256 with the shared secret of
 * {@code t + "." + body}. A callback is believed only with a {@code v1} that matches and a {@code t}
 * within {@link #TOLERANCE} of now: one made without the secret, one whose body was changed, or
 * one replayed later than that, is refused. (Within the window the provider's event id makes a
 * replay harmless: each event is applied once.)
 */
public final class PaymentSignature {
    public static final String HEADER = "Rush-Signature";
    /** How far a callback's {@code t} may be from now, either way. */
    public static final Duration TOLERANCE = Duration.ofSeconds(300);
    /** A header longer than this is not read (a provider sends one or two signatures). */
    private static final int MAX_HEADER = 1024;
    private static final String ALGORITHM = "HmacSHA256";

    /** What a callback's signature header says of its body. */
    public enum Verdict {
        VALID,
        /** No header. */
        MISSING,
        /** Not {@code t=SECONDS,v1=HEX}. */
        MALFORMED,
        /** No {@code v1} matches: not signed with the secret, or the body or {@code t} was changed. */
        WRONG,
        /** Signed with the secret, but {@code t} is more than {@link #TOLERANCE} from now: too late (or early). */
        OUTSIDE_WINDOW
    }

    private final SecretKeySpec key;

    /** @param secret the secret the provider and the nodes share (16 bytes at least) */
    public PaymentSignature(byte[] secret) {
        if (secret.length < 16) {
            throw new IllegalArgumentException("a payment secret has 16 bytes at least, not " + secret.length);
        }
        this.key = new SecretKeySpec(secret.clone(), ALGORITHM);
    }

    /** The header value for {@code body} sent at {@code epochSeconds}. */
    public String sign(long epochSeconds, byte[] body) {
        return "t=" + epochSeconds + ",v1=" + HexFormat.of().formatHex(mac(epochSeconds, body));
    }

    /** What {@code header} says of {@code body}, at {@code nowMillis} (ms since the epoch). */
    public Verdict verify(String header, byte[] body, long nowMillis) {
        if (header == null || header.isBlank()) {
            return Verdict.MISSING;
        }
        if (header.length() > MAX_HEADER) {
            return Verdict.MALFORMED;
        }
        Long t = null;
        boolean signed = false;
        boolean matched = false;
        for (String part : header.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return Verdict.MALFORMED;
            }
            String name = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            if (name.equals("t")) {
                if (t != null || !value.matches("[0-9]{1,12}")) {
                    return Verdict.MALFORMED;
                }
                t = Long.parseLong(value);
            } else if (name.equals("v1")) {
                if (!value.matches("[0-9a-fA-F]{64}")) {
                    return Verdict.MALFORMED;
                }
                signed = true;
            }
        }
        if (t == null || !signed) {
            return Verdict.MALFORMED;
        }
        byte[] expected = mac(t, body);
        for (String part : header.split(",")) {
            String[] pair = part.split("=", 2);
            // every v1 is compared in constant time; any may match (a provider rotating its secret sends two)
            if (pair[0].trim().equals("v1") && MessageDigest.isEqual(expected, HexFormat.of().parseHex(pair[1].trim()))) {
                matched = true;
            }
        }
        if (!matched) {
            return Verdict.WRONG;
        }
        return Math.abs(nowMillis - t * 1000) > TOLERANCE.toMillis() ? Verdict.OUTSIDE_WINDOW : Verdict.VALID;
    }

    private byte[] mac(long epochSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }
}
