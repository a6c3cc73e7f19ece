package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * What {@code ps} shows is every process's command line, to every user of the machine: the scripts
 * that start the nodes and call them never put a secret there. A secret goes as a file's name
 * ({@code -Drush.admin.token.file=...}), in the environment, or to curl as a header file.
 */
class CommandLineSecretsTest {
    /** A {@code -D} setting whose name says it holds a secret, with a value: not one naming a file. */
    private static final Pattern SECRET_PROPERTY = Pattern.compile(
            "-D[\\w.]*(token|secret|password)(?!\\.file=)[\\w.]*=");
    /** A curl header argument with the admin token in it. */
    private static final Pattern TOKEN_ARGUMENT = Pattern.compile("-H\\s+[\"']X-Admin-Token:");

    @Test
    void no_script_passes_a_secret_on_a_command_line() throws IOException {
        List<Path> scripts = new ArrayList<>(List.of(Path.of("rush"), Path.of("lib/common.sh")));
        try (Stream<Path> ab = Files.list(Path.of("ab-scripts"))) {
            ab.filter(p -> p.toString().endsWith(".sh")).sorted().forEach(scripts::add);
        }
        List<String> found = new ArrayList<>();
        for (Path script : scripts) {
            List<String> lines = Files.readAllLines(script);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (!line.trim().startsWith("#")
                        && (SECRET_PROPERTY.matcher(line).find() || TOKEN_ARGUMENT.matcher(line).find())) {
                    found.add(script + ":" + (i + 1) + ": " + line.trim());
                }
            }
        }
        assertTrue(scripts.size() > 5, "read rush, lib/common.sh and the ab-scripts: " + scripts);
        assertEquals(List.of(), found, "secrets on a command line (ps shows them)");
    }

    @Test
    void the_patterns_catch_what_they_are_for() {
        assertTrue(SECRET_PROPERTY.matcher("-Drush.admin.token=\"$(admin_token)\"").find());
        assertTrue(SECRET_PROPERTY.matcher("-Drush.redis.password=$RUSH_REDIS_PASSWORD").find());
        assertTrue(SECRET_PROPERTY.matcher("-Drush.pay.secret=abc").find());
        assertTrue(!SECRET_PROPERTY.matcher("-Drush.admin.token.file=\"$RUSH_RUN_DIR/admin-token\"").find());
        assertTrue(!SECRET_PROPERTY.matcher("-Drush.stock.key=ticket_hash_key").find());
        assertTrue(TOKEN_ARGUMENT.matcher("curl -X POST -H \"X-Admin-Token: $token\" url").find());
        assertTrue(!TOKEN_ARGUMENT.matcher("-H @<(printf 'X-Admin-Token: %s\\n' \"$token\")").find());
    }
}
