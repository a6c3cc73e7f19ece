package io.ticketrush.settings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Who is buying: the keys a node verifies bearer tokens with, its demo login, and the key of the
 * public order ids (docs/identity.md). Read by the nodes and by the token tool ({@code ./rush token}).
 *
 * @param keysFile {@code rush.auth.keys.file}: the operator's HS256 keys, a JWK set, each with a
 *     {@code kid} ({@code run/jwt-keys.json}); empty: none
 * @param jwksFile {@code rush.auth.jwks.file}: the public JWK set (ES256/RS256) of a site's own
 *     login; empty: none
 * @param audiences {@code rush.auth.audience}: the {@code aud} a token must name one of (comma
 *     separated); empty: not checked
 * @param leewaySeconds {@code rush.auth.leeway.s}: how far a token's exp, nbf and iat may be off
 * @param login {@code rush.auth.login}: the demo login, {@code POST /login} (it checks no password)
 * @param loginTtlSeconds {@code rush.auth.login.ttl.s}: how long the demo login's tokens last
 * @param orderKeyFile {@code rush.order.key.file}: the AES key of the public order ids, the same on
 *     every node ({@code run/order-key}); empty: a key of the node's own, made at its start
 */
public record AuthSettings(Optional<Path> keysFile, Optional<Path> jwksFile, List<String> audiences,
        int leewaySeconds, boolean login, int loginTtlSeconds, Optional<Path> orderKeyFile) {

    /**
     * Reads the settings of a tool: system properties, then the environment, then the defaults.
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static AuthSettings load() {
        return from(SettingsReader.process(null));
    }

    /**
     * Reads the settings from {@code source} alone (tests).
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static AuthSettings from(UnaryOperator<String> source) {
        return SettingsReader.read(source, AuthSettings::read);
    }

    static AuthSettings read(SettingsReader in) {
        Optional<Path> keysFile = file(in, "rush.auth.keys.file");
        boolean login = login(in);
        if (login && keysFile.isEmpty()) {
            in.problem("rush.auth.login=true needs rush.auth.keys.file: the demo login signs its tokens with the"
                    + " operator's key");
        }
        return new AuthSettings(keysFile, file(in, "rush.auth.jwks.file"), audiences(in), leewaySeconds(in), login,
                loginTtlSeconds(in), file(in, "rush.order.key.file"));
    }

    /** A file that must be there to be read; empty when the setting is. */
    private static Optional<Path> file(SettingsReader in, String name) {
        String value = in.text(name);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        Path path = Path.of(value);
        if (!Files.isReadable(path)) {
            in.problem(name + "=" + value + ": no such readable file");
        }
        return Optional.of(path);
    }

    private static List<String> audiences(SettingsReader in) {
        String value = in.text("rush.auth.audience");
        return value.isEmpty() ? List.of() : List.of(value.split("[,\\s]+"));
    }

    private static int leewaySeconds(SettingsReader in) {
        return in.number("rush.auth.leeway.s", 0, 60);
    }

    private static boolean login(SettingsReader in) {
        return in.flag("rush.auth.login");
    }

    private static int loginTtlSeconds(SettingsReader in) {
        return in.number("rush.auth.login.ttl.s", 60, 86_400);
    }
}
