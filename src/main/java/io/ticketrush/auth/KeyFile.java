package io.ticketrush.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.ParseException;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;

/**
 * A JWK set in a file, read again when the file changes (looked at once a second at most), so that
 * an operator adds a key (rotation) or a site publishes a new one without restarting a node. A file
 * that cannot be read or is not a valid set when it changes leaves the keys as they were, and says
 * so in the log; one that is wrong when the node starts stops the node.
 */
final class KeyFile {
    private static final Logger LOG = Logger.getLogger(KeyFile.class.getName());
    private static final long CHECK_NANOS = 1_000_000_000L;

    private record Read(FileTime modified, long size, JWKSet keys) {
    }

    private final Path path;
    private final String what;
    private final Predicate<JWK> allowed;
    private final String rule;
    private volatile Read read;
    private volatile long nextCheck;
    /** Moves on each time the keys are read again. */
    private volatile int version;

    /**
     * @param what what the file holds, for messages ("rush.auth.keys.file")
     * @param allowed the kind of key the file may hold, {@code rule} naming it
     * @throws IllegalArgumentException it cannot be read, or is no valid set of such keys
     */
    KeyFile(Path path, String what, Predicate<JWK> allowed, String rule) {
        this.path = path;
        this.what = what;
        this.allowed = allowed;
        this.rule = rule;
        try {
            this.read = load();
        } catch (IOException | ParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " " + path + ": " + e.getMessage(), e);
        }
        this.nextCheck = System.nanoTime() + CHECK_NANOS;
    }

    Path path() {
        return path;
    }

    /** The keys as the file holds them now (as it held them a second ago at most). */
    JWKSet keys() {
        long now = System.nanoTime();
        if (now - nextCheck >= 0) {
            reloadIfChanged(now);
        }
        return read.keys();
    }

    private synchronized void reloadIfChanged(long now) {
        if (now - nextCheck < 0) {
            return; // another thread looked meanwhile
        }
        nextCheck = now + CHECK_NANOS;
        try {
            FileTime modified = Files.getLastModifiedTime(path);
            long size = Files.size(path);
            if (modified.equals(read.modified()) && size == read.size()) {
                return;
            }
            Read fresh = load();
            read = fresh;
            version++;
            LOG.info(() -> what + " " + path + " read again: keys " + kids(fresh.keys()));
        } catch (IOException | ParseException | IllegalArgumentException e) {
            LOG.log(Level.WARNING, what + " " + path + " changed but cannot be read (" + e.getMessage()
                    + "); the keys stay " + kids(read.keys()));
        }
    }

    private Read load() throws IOException, ParseException {
        FileTime modified = Files.getLastModifiedTime(path);
        long size = Files.size(path);
        JWKSet keys = JWKSet.parse(Files.readString(path, StandardCharsets.UTF_8));
        if (keys.getKeys().isEmpty()) {
            throw new IllegalArgumentException("holds no key");
        }
        Set<String> kids = new HashSet<>();
        for (JWK key : keys.getKeys()) {
            if (key.getKeyID() == null || key.getKeyID().isBlank()) {
                throw new IllegalArgumentException("a key has no \"kid\": tokens choose their key by it");
            }
            if (!kids.add(key.getKeyID())) {
                throw new IllegalArgumentException("kid " + key.getKeyID() + " names two keys");
            }
            if (!allowed.test(key)) {
                throw new IllegalArgumentException("key " + key.getKeyID() + " is a " + key.getKeyType() + " key; "
                        + rule);
            }
        }
        return new Read(modified, size, keys);
    }

    /** Moves on each time the file is read again (keys added or retired): what was verified before may not be now. */
    int version() {
        keys();
        return version;
    }

    /** The key ids of {@code keys}, never their material: for the log. */
    static String kids(JWKSet keys) {
        return keys.getKeys().stream().map(JWK::getKeyID).toList().toString();
    }
}
