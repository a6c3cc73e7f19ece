package io.ticketrush.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;

/**
 * The operator's HS256 keys file ({@code run/jwt-keys.json}): a JWK set, the newest key last. The
 * first key is made by {@code ./rush} ({@code ensure_jwt_keys} in lib/common.sh, at {@code up} and
 * at {@code ./rush token}); {@link #rotate} adds a new one that signs from then on, and keeps the
 * one before it so that the tokens it signed stay valid until they expire.
 */
public final class OperatorKeys {
    /** How many keys a rotation keeps: the new one and the one before it. */
    public static final int KEPT = 2;
    private static final DateTimeFormatter KID = DateTimeFormatter.ofPattern("'k-'yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private OperatorKeys() {
    }

    /**
     * Adds a fresh 256-bit key to {@code file} (made if missing), the last, so it signs from now on;
     * keeps the {@link #KEPT} newest. Written whole to a file readable by its owner only, then moved
     * over the old one, so a node never reads half a file. Answers the new key's id.
     *
     * @throws IOException the file cannot be read or written
     * @throws IllegalArgumentException it holds something other than HS256 keys
     */
    public static String rotate(Path file, Instant now) throws IOException {
        List<JWK> keys = new ArrayList<>();
        if (Files.exists(file)) {
            try {
                keys.addAll(JWKSet.parse(Files.readString(file, StandardCharsets.UTF_8)).getKeys());
            } catch (ParseException e) {
                throw new IllegalArgumentException(file + " is not a JWK set: " + e.getMessage(), e);
            }
        }
        for (JWK key : keys) {
            if (!(key instanceof OctetSequenceKey)) {
                throw new IllegalArgumentException(file + ": key " + key.getKeyID() + " is not an HS256 secret");
            }
        }
        String kid = KID.format(now);
        for (int n = 2; kidTaken(keys, kid); n++) {
            kid = KID.format(now) + "-" + n;
        }
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        keys.add(new OctetSequenceKey.Builder(secret).keyID(kid).algorithm(JWSAlgorithm.HS256)
                .keyUse(KeyUse.SIGNATURE).build());
        List<JWK> kept = keys.subList(Math.max(0, keys.size() - KEPT), keys.size());
        write(file, new JWKSet(kept).toString(false));
        return kid;
    }

    private static boolean kidTaken(List<JWK> keys, String kid) {
        return keys.stream().anyMatch(key -> kid.equals(key.getKeyID()));
    }

    private static void write(Path file, String json) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, ".jwt-keys-", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(temp, json + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
