package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.Test;

class AuthSettingsTest {

    private static AuthSettings from(Map<String, String> values) {
        return AuthSettings.from(values::get);
    }

    @Test
    void by_default_there_are_no_keys_no_login_and_a_node_makes_its_own_order_key() {
        AuthSettings auth = from(Map.of());
        assertEquals(Optional.empty(), auth.keysFile());
        assertEquals(Optional.empty(), auth.jwksFile());
        assertEquals(List.of(), auth.audiences());
        assertEquals(30, auth.leewaySeconds());
        assertEquals(false, auth.login());
        assertEquals(Optional.empty(), auth.orderKeyFile());
    }

    @Test
    void the_files_named_are_read_and_the_audiences_split() throws Exception {
        Path dir = Files.createTempDirectory("rush-auth-settings-");
        try {
            Path keys = Files.writeString(dir.resolve("jwt-keys.json"), "{}");
            AuthSettings auth = from(Map.of("rush.auth.keys.file", keys.toString(), "rush.auth.login", "true",
                    "rush.auth.audience", "ticket-rush, shop"));
            assertEquals(Optional.of(keys), auth.keysFile());
            assertEquals(List.of("ticket-rush", "shop"), auth.audiences());
            assertTrue(auth.login());
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    @Test
    void every_bad_value_is_named_with_its_rule_at_once() {
        String message = assertThrows(InvalidSettingsException.class, () -> from(Map.of("rush.auth.login", "true",
                "rush.auth.jwks.file", "/no/such/jwks.json", "rush.auth.leeway.s", "61", "rush.auth.login.ttl.s", "59",
                "rush.order.key.file", "/no/such/order-key"))).getMessage();
        assertTrue(message.contains("rush.auth.login=true needs rush.auth.keys.file"), message);
        assertTrue(message.contains("rush.auth.jwks.file=/no/such/jwks.json: no such readable file"), message);
        assertTrue(message.contains("rush.auth.leeway.s=61 must be between 0 and 60"), message);
        assertTrue(message.contains("rush.auth.login.ttl.s=59 must be between 60 and 86400"), message);
        assertTrue(message.contains("rush.order.key.file=/no/such/order-key: no such readable file"), message);
    }
}
