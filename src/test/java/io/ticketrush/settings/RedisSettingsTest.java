package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.ticketrush.support.TempFiles;

import org.junit.jupiter.api.Test;

class RedisSettingsTest {

    private static RedisSettings from(Map<String, String> values) {
        return RedisSettings.from(values::get);
    }

    private static String problems(Map<String, String> values) {
        return assertThrows(InvalidSettingsException.class, () -> from(values)).getMessage();
    }

    @Test
    void defaults_are_one_local_redis() {
        RedisSettings redis = from(Map.of());
        assertEquals("127.0.0.1", redis.host());
        assertEquals(6379, redis.port());
        assertNull(redis.password());
        assertEquals(500, redis.timeoutMillis());
        assertEquals(32, redis.poolSize());
        assertEquals(100, redis.poolWaitMillis());
        assertEquals("127.0.0.1:6379", redis.address());
    }

    @Test
    void redis_is_one_server_unless_sentinel_or_cluster_mode_is_asked_for() {
        Replication single = from(Map.of()).replication();
        assertEquals(Replication.Mode.SINGLE, single.mode());
        assertEquals(0, single.replicasToWait());
        RedisSettings sentinel = from(Map.of("rush.redis.mode", "sentinel",
                "rush.redis.sentinels", "10.0.0.1:26379, a:1"));
        assertEquals(Replication.Mode.SENTINEL, sentinel.replication().mode());
        assertEquals(List.of("10.0.0.1:26379", "a:1"), sentinel.replication().sentinels());
        assertEquals("ticket-rush", sentinel.replication().master());
        assertEquals(1, sentinel.replication().replicasToWait());
        assertEquals(200, sentinel.replication().waitMillis());
        assertEquals("primary ticket-rush through the Sentinels [10.0.0.1:26379, a:1]", sentinel.address());
        assertEquals(List.of("127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"),
                from(Map.of("rush.redis.mode", "sentinel")).replication().sentinels());
        RedisSettings cluster = from(Map.of("rush.redis.mode", "CLUSTER", "rush.redis.cluster",
                "10.0.0.1:7001,10.0.0.2:7002"));
        assertEquals(Replication.Mode.CLUSTER, cluster.replication().mode());
        assertEquals(List.of("10.0.0.1:7001", "10.0.0.2:7002"), cluster.replication().clusterNodes());
        assertEquals(1, cluster.replication().replicasToWait(), "each master's replica has a buy before it is told");
    }

    @Test
    void a_value_that_is_not_a_number_is_named_with_its_rule() {
        assertTrue(problems(Map.of("rush.redis.port", "six")).contains("rush.redis.port=six is not a whole number"));
    }

    @Test
    void every_value_out_of_range_is_reported_at_once() {
        String message = problems(Map.of("rush.redis.port", "70000", "rush.redis.timeout.ms", "0",
                "rush.redis.pool.size", "1025", "rush.redis.pool.wait.ms", "-1", "rush.redis.wait.ms", "60001"));
        assertTrue(message.startsWith("invalid ticket-rush configuration: "), message);
        assertTrue(message.contains("rush.redis.port=70000 must be between 1 and 65535"), message);
        assertTrue(message.contains("rush.redis.timeout.ms=0 must be between 1 and 60000"), message);
        assertTrue(message.contains("rush.redis.pool.size=1025 must be between 1 and 1024"), message);
        assertTrue(message.contains("rush.redis.pool.wait.ms=-1 must be between 0 and 60000"), message);
        assertTrue(message.contains("rush.redis.wait.ms=60001 must be between 1 and 60000"), message);
    }

    @Test
    void a_bad_mode_address_or_master_name_is_named_with_its_rule() {
        String message = problems(Map.of("rush.redis.mode", "shards",
                "rush.redis.sentinels", "host:26379,nohost,h:70000", "rush.redis.master", "a b",
                "rush.redis.cluster", "10.0.0.1:7001,seven"));
        assertTrue(message.contains("rush.redis.mode=shards must be single, sentinel or cluster"), message);
        assertTrue(message.contains("rush.redis.cluster: 'seven' is not host:port"), message);
        assertTrue(message.contains("rush.redis.sentinels: 'nohost' is not host:port"), message);
        assertTrue(message.contains("rush.redis.sentinels: 'h:70000' is not host:port"), message);
        assertTrue(message.contains("rush.redis.master=a b may hold only letters, digits and _ . @ -"), message);
    }

    @Test
    void with_replicas_the_wait_must_end_before_the_read_timeout() {
        assertTrue(problems(Map.of("rush.redis.mode", "sentinel", "rush.redis.timeout.ms", "200"))
                .contains("rush.redis.wait.ms=200 must be below rush.redis.timeout.ms=200"));
        assertEquals(200, from(Map.of("rush.redis.timeout.ms", "200")).replication().waitMillis(),
                "one Redis waits for no replica");
    }

    @Test
    void a_blank_value_is_unset_and_values_are_trimmed() {
        RedisSettings redis = from(Map.of("rush.redis.port", "  ", "rush.redis.host", " redis.example "));
        assertEquals(6379, redis.port());
        assertEquals("redis.example", redis.host());
    }

    @Test
    void the_password_comes_from_its_file_without_the_line_break_and_the_user_is_the_acl_user() throws IOException {
        Path dir = Files.createTempDirectory("rush-settings-");
        try {
            Path file = Files.writeString(dir.resolve("redis-node-password"), "s3cr3t-Pass_word\n");
            RedisSettings redis = from(Map.of("rush.redis.user", "rush-node", "rush.redis.password.file",
                    file.toString()));
            assertEquals("rush-node", redis.user());
            assertEquals("s3cr3t-Pass_word", redis.password());
            assertEquals("s3cr3t-Pass_word", from(Map.of("rush.redis.password", "s3cr3t-Pass_word")).password(),
                    "from the environment (RUSH_REDIS_PASSWORD) still");
            assertEquals(null, from(Map.of()).user(), "Redis's default user");
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    @Test
    void a_password_file_that_cannot_be_read_or_holds_more_than_a_line_is_named_but_never_shown() throws IOException {
        Path dir = Files.createTempDirectory("rush-settings-");
        try {
            Path missing = dir.resolve("no-such-file");
            assertTrue(problems(Map.of("rush.redis.password.file", missing.toString()))
                    .contains("rush.redis.password.file=" + missing + " cannot be read (NoSuchFileException)"));
            Path empty = Files.writeString(dir.resolve("empty"), "\n");
            assertTrue(problems(Map.of("rush.redis.password.file", empty.toString()))
                    .contains("rush.redis.password.file=" + empty + " must hold one line, the password"));
            Path two = Files.writeString(dir.resolve("two"), "first-secret\nsecond-secret\n");
            String message = problems(Map.of("rush.redis.password.file", two.toString()));
            assertTrue(message.contains("rush.redis.password.file=" + two + " must hold one line"), message);
            assertFalse(message.contains("secret"), "the file's text is never in a message: " + message);
            Path file = Files.writeString(dir.resolve("one"), "the-secret\n");
            message = problems(Map.of("rush.redis.password", "the-secret", "rush.redis.password.file", file.toString()));
            assertTrue(message.contains("rush.redis.password and rush.redis.password.file are both set"), message);
            assertFalse(message.contains("the-secret"), message);
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    @Test
    void a_user_name_is_letters_digits_and_a_few_signs() {
        assertTrue(problems(Map.of("rush.redis.user", "rush node")).contains(
                "rush.redis.user=rush node may hold only letters, digits and _ . @ -"));
    }

    @Test
    void the_settings_as_text_never_show_the_password() {
        String shown = from(Map.of("rush.redis.user", "rush-writer", "rush.redis.password", "hunter2-hunter2"))
                .toString();
        assertFalse(shown.contains("hunter2"), shown);
        assertTrue(shown.contains("user=rush-writer") && shown.contains("password=(set)"), shown);
    }

    @Test
    void environment_names_are_upper_case_with_underscores() {
        assertEquals("RUSH_REDIS_TIMEOUT_MS", SettingsReader.envName("rush.redis.timeout.ms"));
    }
}
