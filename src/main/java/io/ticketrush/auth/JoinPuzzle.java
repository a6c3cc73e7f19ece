package io.ticketrush.auth;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

/**
 * The proof-of-work puzzle a buyer solves to join a queued sale's waiting room, in ALTCHA's format
 * (its widget and solvers read our challenges, and we read their payloads). The node draws a
 * secret number below {@code 2^bits} (the sale's {@code pow_bits}) and hands out the challenge
 * {@code hex(SHA-256(salt + number))}, signed with {@code hex(HMAC-SHA-256(key, challenge))} and
 * {@code maxnumber = 2^bits - 1}; the browser tries 0, 1, 2, ... until one hashes to the challenge
 * (2^(bits-1) hashes on average, 2^bits at most), and sends it back with the challenge as ALTCHA's
 * payload, base64 of {@code {"algorithm","challenge","number","salt","signature"}}, in the
 * {@code X-Queue-Proof} header. Checking it is one hash and one HMAC: microseconds, no Redis call,
 * on any node (they share the queue key).
 *
 * <p>The salt is {@code <24 random hex>?sale=S&user=U&bits=B&expires=SECONDS&}: the hash covers
 * it and the signature covers the hash, so a solution is good for that user joining that sale, at
 * that difficulty or an easier one, until then, and for nothing else: another user's or another
 * sale's proof, a salt edited to name someone else or a later expiry, a puzzle of another key, are
 * each refused with no memory of proofs seen. The trailing {@code &} is required: without it,
 * digits could move between the number and the last parameter (ALTCHA's salt splicing advisory).
 *
 * <p>Single use: a proof is NOT remembered, and may be sent again by its own user until it expires.
 * That joins nobody new: the queue gives one place per user (joining again returns the same place),
 * so what a second use can buy is what the first one did. The queue relies on that rule.
 *
 * <p>Why not ALTCHA's Java library ({@code org.altcha:altcha}): its 2.x line is the maintained one
 * and did not resolve from Maven Central here; 1.3.0 draws the secret number with
 * {@code java.util.Random} unless told otherwise, throws {@code Exception} from every call, and
 * brings org.json beside our Gson, for what the JDK does in the lines below.
 */
public final class JoinPuzzle {
    /** The one hash the puzzle uses (ALTCHA also knows SHA-1 and SHA-512; neither is accepted). */
    public static final String ALGORITHM = "SHA-256";
    /** How long a challenge may be solved and used: enough to solve it on a slow phone, and join. */
    public static final long TTL_MS = 5 * 60_000;
    /** The hardest puzzle a sale may set: 2^30 hashes at most (seconds of a fast machine's core). */
    public static final int MAX_BITS = 30;
    /** A proof longer than this is nobody's: a payload is about 300 characters. */
    private static final int MAX_PROOF_CHARS = 2048;
    /** What the puzzle's key is derived with from the queue key, so that it signs nothing else. */
    private static final byte[] KEY_LABEL = "ticket-rush queue join puzzle v1".getBytes(StandardCharsets.US_ASCII);
    private static final Pattern SALT = Pattern.compile(
            "[0-9a-f]{24}\\?sale=([^&?=]+)&user=([^&?=]+)&bits=([0-9]{1,2})&expires=([0-9]{1,12})&");
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,16}");
    private static final HexFormat HEX = HexFormat.of();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;
    private final LongSupplier clock;

    /**
     * @param queueKey the queue key ({@code rush.queue.key.file}, the same on every node)
     * @param clock this node's clock, in ms since the epoch (challenges expire on it)
     */
    public JoinPuzzle(byte[] queueKey, LongSupplier clock) {
        if (queueKey.length < 16) {
            throw new IllegalArgumentException("a queue key is at least 16 bytes, not " + queueKey.length);
        }
        this.key = hmac(queueKey, KEY_LABEL);
        this.clock = clock;
    }

    /** A puzzle for {@code user} joining {@code sale} at difficulty {@code bits}, signed, expiring in {@link #TTL_MS}. */
    public Challenge challenge(String sale, String user, int bits) {
        checkBits(bits);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        long expires = (clock.getAsLong() + TTL_MS) / 1000;
        String salt = HEX.formatHex(nonce) + "?sale=" + encode(sale) + "&user=" + encode(user) + "&bits=" + bits
                + "&expires=" + expires + "&";
        long number = RANDOM.nextLong(1L << bits);
        String challenge = sha256Hex(salt + number);
        return new Challenge(ALGORITHM, challenge, (1L << bits) - 1, salt, HEX.formatHex(hmac(key, ascii(challenge))));
    }

    /**
     * What {@code proof} (the {@code X-Queue-Proof} header: ALTCHA's payload, base64 of its JSON) is
     * worth to {@code user} joining {@code sale}, whose puzzle is {@code bits} hard (1 to {@link #MAX_BITS}:
     * a sale of {@code pow_bits} 0 takes joins without a proof, and never asks).
     */
    public Verdict verify(String proof, String sale, String user, int bits) {
        checkBits(bits);
        if (proof == null || proof.isBlank()) {
            return Verdict.MISSING;
        }
        Payload payload = Payload.parse(proof);
        if (payload == null || !ALGORITHM.equals(payload.algorithm)) {
            return Verdict.MALFORMED;
        }
        Matcher salt = SALT.matcher(payload.salt);
        if (!salt.matches()) {
            return Verdict.MALFORMED;
        }
        if (!encode(sale).equals(salt.group(1))) {
            return Verdict.OTHER_SALE;
        }
        if (!encode(user).equals(salt.group(2))) {
            return Verdict.OTHER_USER;
        }
        if (Integer.parseInt(salt.group(3)) < bits) {
            return Verdict.TOO_EASY;
        }
        if (clock.getAsLong() > Long.parseLong(salt.group(4)) * 1000) {
            return Verdict.EXPIRED;
        }
        if (!MessageDigest.isEqual(ascii(HEX.formatHex(hmac(key, ascii(payload.challenge)))), ascii(payload.signature))) {
            return Verdict.FORGED;
        }
        return sha256Hex(payload.salt + payload.number).equals(payload.challenge) ? Verdict.SOLVED : Verdict.UNSOLVED;
    }

    /**
     * The number that solves {@code challenge}, found as a browser finds it (0, 1, 2, ... up to its
     * maxnumber), or empty when none does. For tests and load generators; a node never solves.
     */
    public static OptionalLong solve(Challenge challenge) {
        byte[] want = HEX.parseHex(challenge.challenge());
        MessageDigest salted = sha256();
        salted.update(challenge.salt().getBytes(StandardCharsets.UTF_8));
        try {
            for (long n = 0; n <= challenge.maxnumber(); n++) {
                MessageDigest digest = (MessageDigest) salted.clone();
                if (Arrays.equals(want, digest.digest(ascii(Long.toString(n))))) {
                    return OptionalLong.of(n);
                }
            }
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("this JDK's SHA-256 cannot be cloned", e);
        }
        return OptionalLong.empty();
    }

    /** ALTCHA's payload for {@code challenge} answered with {@code number}: the value of {@code X-Queue-Proof}. */
    public static String proof(Challenge challenge, long number) {
        JsonObject json = new JsonObject();
        json.addProperty("algorithm", challenge.algorithm());
        json.addProperty("challenge", challenge.challenge());
        json.addProperty("number", number);
        json.addProperty("salt", challenge.salt());
        json.addProperty("signature", challenge.signature());
        return Base64.getEncoder().encodeToString(json.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static void checkBits(int bits) {
        if (bits < 1 || bits > MAX_BITS) {
            throw new IllegalArgumentException("a puzzle's difficulty is 1 to " + MAX_BITS + " bits, not " + bits);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static String sha256Hex(String text) {
        return HEX.formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** A challenge as ALTCHA's widget and solvers read it (the data of {@code GET /queue/challenge}). */
    public record Challenge(String algorithm, String challenge, long maxnumber, String salt, String signature) {
    }

    /** ALTCHA's payload: its five fields present, strings non-empty, the number a whole number of at most 16 digits. */
    private record Payload(String algorithm, String challenge, long number, String salt, String signature) {
        /** The payload in {@code proof} (base64 of its JSON object), or null when it is not one. */
        static Payload parse(String proof) {
            if (proof.length() > MAX_PROOF_CHARS) {
                return null;
            }
            try {
                JsonElement json = JsonParser.parseString(new String(Base64.getDecoder().decode(proof.strip()),
                        StandardCharsets.UTF_8));
                if (!json.isJsonObject()) {
                    return null;
                }
                JsonObject object = json.getAsJsonObject();
                String algorithm = string(object, "algorithm");
                String challenge = string(object, "challenge");
                String salt = string(object, "salt");
                String signature = string(object, "signature");
                JsonElement number = object.get("number");
                if (algorithm == null || challenge == null || salt == null || signature == null || number == null
                        || !number.isJsonPrimitive() || !number.getAsJsonPrimitive().isNumber()
                        || !NUMBER.matcher(number.getAsString()).matches()) {
                    return null;
                }
                return new Payload(algorithm, challenge, Long.parseLong(number.getAsString()), salt, signature);
            } catch (RuntimeException e) {
                // not base64 (IllegalArgumentException), not JSON (JsonParseException): not a payload
                return null;
            }
        }

        private static String string(JsonObject object, String field) {
            JsonElement value = object.get(field);
            if (value == null || !value.isJsonPrimitive()) {
                return null;
            }
            JsonPrimitive primitive = value.getAsJsonPrimitive();
            return primitive.isString() && !primitive.getAsString().isEmpty() ? primitive.getAsString() : null;
        }
    }

    /** What a proof is worth: {@link #SOLVED}, or why it joins nobody. */
    public enum Verdict {
        SOLVED("solved"),
        MISSING("no proof: solve the puzzle of GET /queue/challenge and send it in X-Queue-Proof"),
        MALFORMED("the proof is not a payload of this waiting room's puzzle (base64 of ALTCHA's JSON, SHA-256)"),
        OTHER_SALE("the proof's puzzle was made for another sale"),
        OTHER_USER("the proof's puzzle was made for another user"),
        TOO_EASY("the proof's puzzle is easier than this sale's: ask for a new one"),
        EXPIRED("the proof's puzzle has expired: ask for a new one"),
        FORGED("the proof's puzzle was not signed by this waiting room"),
        UNSOLVED("the proof's number does not solve its puzzle");

        private final String message;

        Verdict(String message) {
            this.message = message;
        }

        /** What a buyer is told (nothing secret). */
        public String message() {
            return message;
        }
    }
}
