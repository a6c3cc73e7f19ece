package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.OptionalInt;

import io.ticketrush.sale.Sale;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.Test;

class NodeSettingsTest {

    private static NodeSettings from(Map<String, String> values) {
        return NodeSettings.from(values::get);
    }

    private static String problems(Map<String, String> values) {
        return assertThrows(InvalidSettingsException.class, () -> from(values)).getMessage();
    }

    private static Sale sale(String id, long total) {
        return new Sale(id, id, total, 0, 0, 1, 300_000, 0);
    }

    @Test
    void defaults_match_the_article() {
        NodeSettings node = from(Map.of());
        assertEquals(StoreSettings.from(name -> null), node.store());
        assertEquals(10_000, node.totalStock());
        assertEquals(1, node.nodeWeight());
        assertEquals(10, node.totalWeight());
        assertEquals(OptionalInt.empty(), node.stockBuffer());
        assertEquals(OptionalInt.empty(), node.stockLocal());
        assertEquals(0, node.nodePort());
        assertEquals("logs/stat.log", node.statLogPath());
        assertEquals(1000, node.lockWaitMillis());
        assertTrue(node.anonymousAllowed());
        assertEquals(1000, node.syncMillis());
        assertEquals(1000, node.sweepMillis());
        assertEquals(new AdminSettings(0, "127.0.0.1", null, "logs/admin-audit.log"), node.admin());
        assertFalse(node.admin().on(), "no admin connector unless a port is given");
        assertEquals(new PaySettings(null, false, 1000, 259_200_000), node.pay());
        assertFalse(node.pay().on(), "no payments without the provider's secret");
    }

    @Test
    void secrets_come_from_files_only_the_owner_reads_or_from_the_environment() throws IOException {
        Path dir = Files.createTempDirectory("rush-secrets-");
        try {
            Path token = secretFile(dir.resolve("admin-token"), "  0123456789abcdef-admin\n");
            Path pay = secretFile(dir.resolve("pay-secret"), "0123456789abcdef-pay");
            NodeSettings node = from(Map.of("rush.admin.token.file", token.toString(), "rush.pay.secret.file",
                    pay.toString(), "rush.admin.port", "4001", "rush.pay.demo", "on"));
            assertEquals(new AdminSettings(4001, "127.0.0.1", "0123456789abcdef-admin", "logs/admin-audit.log"),
                    node.admin());
            assertEquals(new PaySettings("0123456789abcdef-pay", true, 1000, 259_200_000), node.pay());
            assertFalse(node.toString().contains("0123456789abcdef"), "settings never show a secret: " + node);
            assertEquals("0123456789abcdef-env", from(Map.of("rush.pay.secret", "0123456789abcdef-env")).pay().secret(),
                    "from the environment (or web.xml)");

            Files.setPosixFilePermissions(pay, PosixFilePermissions.fromString("rw-r--r--"));
            Path empty = secretFile(dir.resolve("empty"), "\n");
            String message = problems(Map.of("rush.pay.secret.file", pay.toString(), "rush.admin.token.file",
                    empty.toString(), "rush.pay.secret", "0123456789abcdef-env"));
            assertTrue(message.contains("rush.pay.secret and rush.pay.secret.file are both given: give one"), message);
            message = problems(Map.of("rush.pay.secret.file", pay.toString(), "rush.admin.token.file", empty.toString()));
            assertTrue(message.contains("rush.pay.secret.file=" + pay + " may be read by other users: chmod 600 it"),
                    message);
            assertTrue(message.contains("rush.admin.token.file=" + empty + " is empty"), message);
            message = problems(Map.of("rush.admin.token.file", dir.resolve("none").toString(),
                    "rush.pay.secret", "short", "rush.pay.events.keep.s", "599", "rush.admin.host", "a b"));
            assertTrue(message.contains("rush.admin.token.file=" + dir.resolve("none") + " cannot be read"), message);
            assertTrue(message.contains("rush.pay.secret must be at least 16 characters long"), message);
            assertTrue(message.contains("rush.pay.events.keep.s=599 must be between 600 and 2592000"), message);
            assertTrue(message.contains("rush.admin.host=a b is not a host name or an IP address"), message);
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    @Test
    void a_secret_given_as_a_system_property_is_refused_it_would_be_on_the_command_line() {
        Map<String, String> properties = Map.of("rush.admin.token", "0123456789abcdef-admin", "rush.stock.total", "5");
        String message = assertThrows(InvalidSettingsException.class,
                () -> Secrets.refuseCommandLine(properties::get)).getMessage();
        assertTrue(message.contains("rush.admin.token given as a system property (-D, on the command line, which ps"
                + " shows to every user)"), message);
        Secrets.refuseCommandLine(Map.of("rush.admin.token.file", "run/admin-token", "rush.stock.total", "5")::get);
    }

    private static Path secretFile(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    @Test
    void local_stock_is_the_weight_share_plus_the_buffer() {
        NodeSettings node = from(Map.of("rush.node.weight", "4", "rush.node.weights.total", "10",
                "rush.stock.buffer", "250"));
        assertEquals(4250, node.localStockFor(sale(Sale.DEFAULT, 10_000)));
        assertEquals(650, node.localStockFor(sale("G1", 1000)));
    }

    @Test
    void the_default_buffer_is_a_twentieth_of_the_sales_total() {
        NodeSettings node = from(Map.of("rush.node.weight", "2"));
        assertEquals(2500, node.localStockFor(sale(Sale.DEFAULT, 10_000)));
        assertEquals(250, node.localStockFor(sale("G1", 1000)));
    }

    @Test
    void an_explicit_local_stock_is_the_articles_sales_alone() {
        NodeSettings node = from(Map.of("rush.stock.local", "7"));
        assertEquals(7, node.localStockFor(sale(Sale.DEFAULT, 10_000)));
        assertEquals(150, node.localStockFor(sale("G1", 1000)));
    }

    @Test
    void every_bad_value_is_named_with_its_rule_at_once() {
        String message = problems(Map.ofEntries(Map.entry("rush.stock.total", "-5"),
                Map.entry("rush.stock.buffer", "lots"), Map.entry("rush.stock.local", "-1"),
                Map.entry("rush.node.port", "65536"), Map.entry("rush.lock.wait.ms", "0"),
                Map.entry("rush.anonymous", "maybe"), Map.entry("rush.sync.ms", "9"),
                Map.entry("rush.sweep.ms", "3600001"), Map.entry("rush.admin.token", "short"),
                Map.entry("rush.node.weights.total", "0"), Map.entry("rush.user.limit", "0"),
                Map.entry("rush.redis.mode", "shards")));
        assertTrue(message.contains("rush.stock.total=-5 must be between 0 and 2147483647"), message);
        assertTrue(message.contains("rush.stock.buffer=lots is not a whole number"), message);
        assertTrue(message.contains("rush.stock.local=-1 must be between 0 and 2147483647"), message);
        assertTrue(message.contains("rush.node.port=65536 must be between 0 and 65535"), message);
        assertTrue(message.contains("rush.lock.wait.ms=0 must be between 1 and 60000"), message);
        assertTrue(message.contains("rush.anonymous=maybe must be true or false"), message);
        assertTrue(message.contains("rush.sync.ms=9 must be between 10 and 3600000"), message);
        assertTrue(message.contains("rush.sweep.ms=3600001 must be between 10 and 3600000"), message);
        assertTrue(message.contains("rush.admin.token must be at least 16 characters long"), message);
        assertTrue(message.contains("rush.node.weights.total=0 must be between 1 and 100000"), message);
        assertTrue(message.contains("rush.user.limit=0 must be between 1 and 1000"), message);
        assertTrue(message.contains("rush.redis.mode=shards must be single, sentinel or cluster"), message);
    }

    @Test
    void a_weight_above_the_total_weight_is_refused() {
        assertTrue(problems(Map.of("rush.node.weight", "11", "rush.node.weights.total", "10"))
                .contains("rush.node.weight=11 must not exceed rush.node.weights.total=10"));
    }

    @Test
    void a_flag_takes_yes_no_on_off_and_digits() {
        assertFalse(from(Map.of("rush.anonymous", "off")).anonymousAllowed());
        assertFalse(from(Map.of("rush.anonymous", "NO")).anonymousAllowed());
        assertTrue(from(Map.of("rush.anonymous", "1")).anonymousAllowed());
    }

    @Test
    void a_node_ignores_the_writers_settings_and_the_test_hook() {
        NodeSettings node = from(Map.of("rush.db.url", "mysql://orders", "rush.db.user", "", "rush.writer.name", "a b",
                "rush.writer.batch", "0", "rush.writer.claim.ms", "never", "rush.clock.skew.ms", "soon"));
        assertEquals(from(Map.of()), node);
    }
}
