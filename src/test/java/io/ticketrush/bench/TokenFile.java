package io.ticketrush.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import io.ticketrush.auth.TokenIssuer;
import io.ticketrush.auth.TokenKeys;

/**
 * Signs COUNT buyers' tokens ({@code PREFIX0} to {@code PREFIX<COUNT-1>}, two hours each) into OUT,
 * one a line, readable by its owner only: for a load generator that sends a new signed buyer with
 * every request (ab-scripts/queue-wrk.sh). The keys file's path is an argument, never a secret.
 *
 * <pre>TokenFile KEYS_FILE PREFIX COUNT OUT</pre>
 */
public final class TokenFile {
    private TokenFile() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            throw new IllegalArgumentException("TokenFile KEYS_FILE PREFIX COUNT OUT");
        }
        TokenIssuer issuer = new TokenIssuer(TokenKeys.of(Path.of(args[0]), null));
        int count = Integer.parseInt(args[2]);
        Path out = Path.of(args[3]);
        Files.deleteIfExists(out);
        Files.createFile(out, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        long now = System.currentTimeMillis();
        try (BufferedWriter writer = Files.newBufferedWriter(out)) {
            for (int i = 0; i < count; i++) {
                writer.write(issuer.issue(args[1] + i, 7200, now).value());
                writer.newLine();
            }
        }
    }
}
