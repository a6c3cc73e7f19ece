package io.ticketrush.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Order ids as the public sees them: the internal number (consecutive within a sale: bob's is
 * alice's + 1) encrypted with AES under the operator's order key ({@code run/order-key}, the same
 * on every node), 22 url-safe characters. One AES block holds the number and a fixed mark: a
 * public id decrypts to a number only if it was made with the key (a guess does with odds of
 * 2^-64), and another order's id cannot be worked out from one's own.
 *
 * <p>The same order always has the same public id, so any node answers for any order without
 * asking anyone. The internal number stays what Redis and the database hold.
 */
public final class PublicOrderIds {
    /** The length of a public id: one AES block in url-safe base64 without padding. */
    public static final int LENGTH = 22;
    private static final long MARK = 0x7275736820696421L; // "rush id!"
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final SecretKeySpec key;
    private final ThreadLocal<Cipher> encrypt;
    private final ThreadLocal<Cipher> decrypt;

    private PublicOrderIds(byte[] key) {
        if (key.length != 16 && key.length != 24 && key.length != 32) {
            throw new IllegalArgumentException("an order key is 16, 24 or 32 bytes, not " + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
        this.encrypt = ThreadLocal.withInitial(() -> cipher(Cipher.ENCRYPT_MODE));
        this.decrypt = ThreadLocal.withInitial(() -> cipher(Cipher.DECRYPT_MODE));
        cipher(Cipher.ENCRYPT_MODE); // fails here, not at the first order, if AES cannot be had
    }

    /**
     * The ids made with the key in {@code file}: base64 of 16, 24 or 32 random bytes
     * ({@code ./rush up} makes one: {@code head -c 32 /dev/urandom | base64}).
     *
     * @throws IllegalArgumentException the file cannot be read or holds no such key
     */
    public static PublicOrderIds fromFile(Path file) {
        try {
            return new PublicOrderIds(Base64.getMimeDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII)
                    .strip()));
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("rush.order.key.file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Ids made with a key of this process alone: another node makes other ones (a node alone, tests). */
    public static PublicOrderIds ofRandomKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new PublicOrderIds(key);
    }

    /** The public id of internal order id {@code orderId} (its digits). */
    public String toPublic(String orderId) {
        long number = Long.parseLong(orderId);
        byte[] block = ByteBuffer.allocate(16).putLong(number).putLong(MARK).array();
        try {
            return ENCODER.encodeToString(encrypt.get().doFinal(block));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES failed on one block", e);
        }
    }

    /** The internal order id (its digits) of public id {@code publicId}, or empty if no order key made it. */
    public Optional<String> toInternal(String publicId) {
        if (!looksPublic(publicId)) {
            return Optional.empty();
        }
        byte[] block;
        try {
            byte[] bytes = DECODER.decode(publicId);
            if (!ENCODER.encodeToString(bytes).equals(publicId)) {
                return Optional.empty(); // its last character carries bits no id has: one order, one public id
            }
            block = decrypt.get().doFinal(bytes);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
        ByteBuffer read = ByteBuffer.wrap(block);
        long number = read.getLong();
        return read.getLong() == MARK && number > 0 ? Optional.of(String.valueOf(number)) : Optional.empty();
    }

    /** Whether {@code id} has the shape of a public id (22 url-safe base64 characters). */
    public static boolean looksPublic(String id) {
        if (id.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            char c = id.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private Cipher cipher(int mode) {
        try {
            // one block, never more: ECB is AES itself, a keyed permutation of 128-bit blocks
            Cipher cipher = Cipher.getInstance("AES/ECB/NoPadding");
            cipher.init(mode, key);
            return cipher;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES is not available in this JVM", e);
        }
    }
}
