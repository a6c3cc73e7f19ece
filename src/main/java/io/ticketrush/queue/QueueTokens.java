package io.ticketrush.queue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import io.ticketrush.sale.Sale;

/**
 * The waiting room's signed tokens, made and read on the node without a store call: a
 * <b>queue ticket</b> (a user's place in a sale's room: a poll needs nothing else) and a
 * <b>pass</b> (the user may buy from the sale until a moment). Each is its fields joined by
 * {@code |} (no sale or user id holds one), base64url, a dot, and the first 16 bytes of its
 * HMAC-SHA256 under the room's key ({@code rush.queue.key.file}, the same on every node), base64url.
 * A ticket and a pass start with different marks, so one is never read as the other.
 *
 * <p>Before the opening a ticket holds its place's lottery score <b>sealed</b>: one AES block
 * (the score's 8 bytes and 8 of zeros; one block under a key that seals nothing else is a random
 * permutation of it, and the ticket's HMAC keeps it whole) under a key derived from the room's, so
 * the node knows when the place will come up (its first poll after the opening,
 * {@link Frontier#firstPoll}) while its holder learns nothing of the draw.
 */
public final class QueueTokens {
    private static final String TICKET = "q1";
    private static final String PASS = "p1";
    /** Marks a sealed score in a ticket's score field. */
    private static final String SEALED = "~";
    private static final int MAC_BYTES = 16;
    /** Longer than any token this class makes (ids of 32 and 64 characters, numbers): refused unread. */
    private static final int MAX_LENGTH = 400;
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    /**
     * A queue ticket's fields: whose place in which sale (and run of it: its generation), where
     * ({@code rank} 0 before the opening, and {@code score} the draw the ticket holds sealed, or
     * empty: the draw is not told).
     */
    public record Ticket(String sale, long generation, String user, String score, long rank) {
        public Place place() {
            return new Place(score, rank, false);
        }
    }

    /** A pass's fields: who may buy from which sale (and run of it) until when (ms, the sales' clock). */
    public record Pass(String sale, long generation, String user, long until) {
    }

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;
    private final SecretKeySpec sealKey;
    private final ThreadLocal<Cipher> sealers;
    private final ThreadLocal<Cipher> openers;

    /** Tokens under {@code key} (at least 32 bytes). */
    public QueueTokens(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("the waiting room's key must be at least 32 bytes, not " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
        // the sealing key: the room's key's HMAC of a label, so it seals nothing the MAC signs
        this.sealKey = new SecretKeySpec(Arrays.copyOf(newMac().doFinal(
                "rush queue ticket: the lottery score, sealed".getBytes(StandardCharsets.US_ASCII)), 16), "AES");
        this.sealers = ThreadLocal.withInitial(() -> newCipher(Cipher.ENCRYPT_MODE));
        this.openers = ThreadLocal.withInitial(() -> newCipher(Cipher.DECRYPT_MODE));
    }

    /** Tokens under the key in {@code file} (base64, as {@code ./rush up} writes {@code run/queue-key}). */
    public static QueueTokens fromFile(Path file) {
        byte[] key = readKey(file);
        try {
            return new QueueTokens(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rush.queue.key.file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The room's key in {@code file} (base64), for what else derives from it (the join puzzle's key). */
    public static byte[] readKey(Path file) {
        try {
            return Base64.getMimeDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("rush.queue.key.file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Tokens under a key of this process alone: another node cannot read them (a node alone, tests). */
    public static QueueTokens ofRandomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new QueueTokens(key);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }

    private Cipher newCipher(int mode) {
        try {
            Cipher cipher = Cipher.getInstance("AES/ECB/NoPadding");
            cipher.init(mode, sealKey);
            return cipher;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is required of every JVM", e);
        }
    }

    /**
     * {@code user}'s queue ticket for {@code place} in {@code sale}'s room. A place not ranked yet
     * (before the opening) holds its score sealed: a ticket is signed, not encrypted, and the
     * lottery's draw is hidden until the opening (docs/queue.md); the node reads it back to tell
     * the holder when to ask after the opening (the first poll after it asks the store for the
     * place's rank).
     */
    public String ticket(Sale sale, String user, Place place) {
        return sign(String.join("|", TICKET, sale.id(), String.valueOf(sale.generation()), user,
                place.ranked() ? place.score() : seal(place.score()), String.valueOf(place.rank())));
    }

    /** A lottery score in [0, 1) sealed ({@link #SEALED} and one AES block, base64url); empty for none. */
    private String seal(String score) {
        double draw;
        try {
            draw = Double.parseDouble(score);
        } catch (NumberFormatException e) {
            return "";
        }
        if (!(draw >= 0 && draw < 1)) {
            return "";
        }
        byte[] block = new byte[16];
        long bits = Double.doubleToLongBits(draw);
        for (int i = 0; i < 8; i++) {
            block[i] = (byte) (bits >>> (56 - 8 * i));
        }
        try {
            return SEALED + ENCODER.encodeToString(sealers.get().doFinal(block));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES sealing failed", e);
        }
    }

    /** The score sealed in {@code field}, as its decimal; null when it is not one this key sealed. */
    private String open(String field) {
        byte[] block;
        try {
            block = DECODER.decode(field.substring(SEALED.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (block.length != 16) {
            return null;
        }
        try {
            block = openers.get().doFinal(block);
        } catch (GeneralSecurityException e) {
            return null;
        }
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (block[i] & 0xff);
        }
        for (int i = 8; i < 16; i++) {
            if (block[i] != 0) {
                return null;
            }
        }
        double draw = Double.longBitsToDouble(bits);
        return draw >= 0 && draw < 1 ? Double.toString(draw) : null;
    }

    /** {@code user}'s pass to buy from {@code sale} until {@code until}. */
    public String pass(Sale sale, String user, long until) {
        return sign(String.join("|", PASS, sale.id(), String.valueOf(sale.generation()), user, String.valueOf(until)));
    }

    /** The ticket {@code token} holds; empty when it is none of this key's (malformed, forged, a pass). */
    public Optional<Ticket> readTicket(String token) {
        return fields(token, TICKET, 6).flatMap(f -> {
            String score = f[4].startsWith(SEALED) ? open(f[4]) : f[4];
            return score == null ? Optional.empty()
                    : Optional.of(new Ticket(f[1], Long.parseLong(f[2]), f[3], score, Long.parseLong(f[5])));
        });
    }

    /** The pass {@code token} holds; empty when it is none of this key's (malformed, forged, a ticket). */
    public Optional<Pass> readPass(String token) {
        return fields(token, PASS, 5).map(f -> new Pass(f[1], Long.parseLong(f[2]), f[3], Long.parseLong(f[4])));
    }

    private String sign(String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        return ENCODER.encodeToString(bytes) + "." + ENCODER.encodeToString(mac(bytes));
    }

    private byte[] mac(byte[] payload) {
        return Arrays.copyOf(macs.get().doFinal(payload), MAC_BYTES);
    }

    /** The fields of a token this key signed, of kind {@code mark} with {@code count} fields, numbers where numbers go. */
    private Optional<String[]> fields(String token, String mark, int count) {
        if (token == null || token.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        int dot = token.indexOf('.');
        if (dot < 0) {
            return Optional.empty();
        }
        byte[] payload;
        byte[] given;
        try {
            payload = DECODER.decode(token.substring(0, dot));
            given = DECODER.decode(token.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(mac(payload), given)) {
            return Optional.empty();
        }
        String[] f = new String(payload, StandardCharsets.UTF_8).split("\\|", -1);
        if (f.length != count || !f[0].equals(mark)) {
            return Optional.empty();
        }
        return Optional.of(f);
    }
}
