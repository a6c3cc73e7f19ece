package io.ticketrush.tools;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.ticketrush.auth.OperatorKeys;
import io.ticketrush.auth.TokenIssuer;
import io.ticketrush.auth.TokenKeys;
import io.ticketrush.settings.AuthSettings;
import io.ticketrush.settings.InvalidSettingsException;

/**
 * The token tool {@code ./rush token} runs ({@code lib/common.sh}'s {@code token_tool}), with the
 * settings of {@link AuthSettings} ({@code rush.auth.keys.file}):
 *
 * <pre>
 *   issue [--ttl SECONDS] USER...   one HS256 token per user, a line each, in the users' order,
 *                                   signed with the newest key (ttl: 3600 s, at most a day)
 *   rotate                          adds a new key, which signs from now on; the one before it
 *                                   still verifies; prints the new key's id
 * </pre>
 *
 * Exits 2 for a bad request (no user, a user that is no user id, a bad ttl), 1 when the keys file
 * cannot be read.
 */
public final class TokenTool {
    private static final long DEFAULT_TTL_SECONDS = 3600;

    private TokenTool() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            usage();
        }
        AuthSettings settings;
        try {
            settings = AuthSettings.load();
        } catch (InvalidSettingsException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
            return;
        }
        Path keys = settings.keysFile().orElse(null);
        if (keys == null) {
            System.err.println("error: no rush.auth.keys.file: the tokens' keys (./rush makes run/jwt-keys.json)");
            System.exit(1);
        }
        try {
            switch (args[0]) {
                case "issue" -> issue(keys, List.of(args).subList(1, args.length));
                case "rotate" -> System.out.println(OperatorKeys.rotate(keys, Instant.now()));
                default -> usage();
            }
        } catch (IOException | UncheckedIOException e) {
            System.err.println("error: " + keys + ": " + e.getMessage());
            System.exit(1);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    private static void issue(Path keys, List<String> args) throws IOException {
        long ttl = DEFAULT_TTL_SECONDS;
        List<String> users = new ArrayList<>(args.size());
        for (int i = 0; i < args.size(); i++) {
            if ("--ttl".equals(args.get(i))) {
                if (i + 1 == args.size() || !args.get(i + 1).matches("[0-9]{1,9}")) {
                    throw new IllegalArgumentException("--ttl needs a whole number of seconds");
                }
                ttl = Long.parseLong(args.get(++i));
            } else {
                users.add(args.get(i));
            }
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("name at least one user: ./rush token USER... [--ttl SECONDS]");
        }
        TokenIssuer issuer = new TokenIssuer(TokenKeys.of(keys, null));
        long now = System.currentTimeMillis();
        List<String> tokens = new ArrayList<>(users.size());
        for (String user : users) {
            tokens.add(issuer.issue(user, ttl, now).value()); // every user checked before a line is printed
        }
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII));
        for (String token : tokens) {
            out.write(token);
            out.newLine();
        }
        out.flush();
    }

    private static void usage() {
        System.err.println("usage: TokenTool issue [--ttl SECONDS] USER... | rotate");
        System.exit(2);
    }
}
