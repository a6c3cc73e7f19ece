package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.Test;

/** Each default is written once, in defaults.properties, and every reader of it agrees. */
class DefaultsTest {
    /** The file in the repo: what lib/common.sh reads, and what the build copies onto the classpath. */
    private static final Path FILE = Path.of("src/main/resources/io/ticketrush/settings", Defaults.FILE);
    /** The settings lib/common.sh shares with the Java processes, by the variable it sets. */
    private static final Map<String, String> SCRIPT_SETTINGS = Map.of("RUSH_REDIS_HOST", "rush.redis.host",
            "RUSH_REDIS_PORT", "rush.redis.port", "RUSH_REDIS_MODE", "rush.redis.mode",
            "RUSH_REDIS_MASTER", "rush.redis.master", "RUSH_STOCK_KEY", "rush.stock.key",
            "RUSH_STOCK_TOTAL", "rush.stock.total");

    @Test
    void the_file_is_plain_name_value_lines_that_lib_common_sh_reads_as_java_does() throws IOException {
        Map<String, String> lines = new TreeMap<>();
        for (String line : Files.readAllLines(FILE, StandardCharsets.ISO_8859_1)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            assertTrue(line.matches("rush(\\.[a-z]+)+=([^\\\\\\s][^\\\\]*)?"), "not NAME=VALUE: " + line);
            String name = line.substring(0, line.indexOf('='));
            assertEquals(null, lines.put(name, line.substring(line.indexOf('=') + 1)), name + " twice");
        }
        assertEquals(lines, Defaults.all(), "the classpath's defaults are the repo's file");
    }

    @Test
    void every_default_in_the_file_is_what_a_settings_record_holds_when_nothing_is_set() {
        NodeSettings node = NodeSettings.from(name -> null);
        StoreSettings store = node.store();
        RedisSettings redis = store.redis();
        WriterSettings writer = WriterSettings.from(name -> null);
        Map<String, Object> held = new HashMap<>();
        held.put("rush.redis.host", redis.host());
        held.put("rush.redis.port", redis.port());
        held.put("rush.redis.timeout.ms", redis.timeoutMillis());
        held.put("rush.redis.pool.size", redis.poolSize());
        held.put("rush.redis.pool.wait.ms", redis.poolWaitMillis());
        held.put("rush.redis.mode", redis.replication().mode().name().toLowerCase());
        held.put("rush.redis.sentinels", String.join(",", redis.replication().sentinels()));
        held.put("rush.redis.master", redis.replication().master());
        held.put("rush.redis.cluster", String.join(",", redis.replication().clusterNodes()));
        held.put("rush.redis.wait.ms", redis.replication().waitMillis());
        held.put("rush.breaker.failures", store.breakerFailures());
        held.put("rush.breaker.open.ms", store.breakerOpenMillis());
        held.put("rush.stock.key", store.stockKey());
        held.put("rush.user.limit", store.perUserLimit());
        held.put("rush.order.ttl.ms", store.orderTtlMillis());
        held.put("rush.stock.total", node.totalStock());
        held.put("rush.node.weight", node.nodeWeight());
        held.put("rush.node.weights.total", node.totalWeight());
        held.put("rush.node.port", node.nodePort());
        held.put("rush.statlog", node.statLogPath());
        held.put("rush.lock.wait.ms", node.lockWaitMillis());
        held.put("rush.anonymous", node.anonymousAllowed());
        held.put("rush.sync.ms", node.syncMillis());
        held.put("rush.sweep.ms", node.sweepMillis());
        held.put("rush.statlog.max.kb", node.statLogMaxBytes() / 1024);
        held.put("rush.statlog.keep", node.statLogKeep());
        held.put("rush.user.rate", node.userRate().perSecond());
        held.put("rush.user.burst", node.userRate().burst());
        held.put("rush.user.rate.users", node.userRate().users());
        held.put("rush.shed.limit", node.shed().limit());
        held.put("rush.redis.maxmemory.bytes", node.redisMaxMemory());
        held.put("rush.admin.port", node.admin().port());
        held.put("rush.admin.host", node.admin().host());
        held.put("rush.admin.audit", node.admin().auditLog());
        held.put("rush.pay.demo", node.pay().demo());
        held.put("rush.pay.amount", node.pay().amount());
        held.put("rush.pay.events.keep.s", node.pay().keepEventMillis() / 1000);
        AuthSettings auth = node.auth();
        held.put("rush.auth.keys.file", auth.keysFile().map(Object::toString).orElse(""));
        held.put("rush.auth.jwks.file", auth.jwksFile().map(Object::toString).orElse(""));
        held.put("rush.auth.audience", String.join(",", auth.audiences()));
        held.put("rush.auth.leeway.s", auth.leewaySeconds());
        held.put("rush.auth.login", auth.login());
        held.put("rush.auth.login.ttl.s", auth.loginTtlSeconds());
        held.put("rush.order.key.file", auth.orderKeyFile().map(Object::toString).orElse(""));
        held.put("rush.queue.key.file", node.queue().keyFile().map(Object::toString).orElse(""));
        held.put("rush.queue.pass.ttl.ms", node.queue().passTtlMillis());
        held.put("rush.queue.join.linger.ms", node.queue().lingerMillis());
        held.put("rush.queue.admit.ms", node.queue().admitMillis());
        held.put("rush.sale.retention.seconds", node.archive().retentionSeconds());
        held.put("rush.archive.ms", node.archive().periodMillis());
        held.put("rush.archive.tombstone.days", node.archive().tombstoneDays());
        held.put("rush.archive.db.url", node.archive().database().map(DatabaseSettings::url).orElse(""));
        held.put("rush.db.url", writer.database().url());
        held.put("rush.db.password", writer.database().password());
        held.put("rush.writer.batch", writer.batch());
        held.put("rush.writer.claim.ms", writer.claimMillis());
        held.put("rush.stream.keep.ms", writer.streamKeepMillis());
        Map<String, String> shown = new TreeMap<>();
        held.forEach((name, value) -> shown.put(name, String.valueOf(value)));
        assertEquals(Defaults.all(), shown);
        assertEquals(redis, writer.redis(), "the writer's Redis defaults are the node's");
        assertEquals(store, StoreSettings.from(name -> null), "the sale tool's defaults are the node's");
        assertEquals(auth, AuthSettings.from(name -> null), "the token tool's defaults are the node's");
    }

    @Test
    void docs_settings_md_shows_each_default_as_the_file_has_it() throws IOException {
        String doc = Files.readString(Path.of("docs/settings.md"));
        int start = doc.indexOf("## Read by the nodes, the order writer and the sale tool");
        assertTrue(start >= 0, "docs/settings.md has no table of the processes' settings");
        int end = doc.indexOf("\n## ", start + 1);
        Map<String, String> shown = new TreeMap<>();
        for (String line : doc.substring(start, end < 0 ? doc.length() : end).split("\n")) {
            String[] cells = line.split("\\|");
            if (cells.length > 3 && cells[2].trim().matches("`rush(\\.[a-z]+)+`")) {
                String name = cells[2].trim().replace("`", "");
                assertEquals("`" + SettingsReader.envName(name) + "`", cells[1].trim(), "the variable of " + name);
                shown.put(name, cells[3].trim());
            }
        }
        Defaults.all().forEach((name, value) -> {
            assertTrue(shown.containsKey(name), "docs/settings.md does not list " + name);
            String cell = shown.get(name);
            assertTrue(value.isEmpty() ? cell.equals("empty") : cell.startsWith("`" + value + "`"),
                    name + ": the file says '" + value + "', docs/settings.md '" + cell + "'");
        });
    }

    @Test
    void lib_common_sh_takes_the_settings_it_shares_with_the_nodes_from_the_file() throws Exception {
        Path run = Files.createTempDirectory("rush-defaults-");
        try {
            StringBuilder script = new StringBuilder("source lib/common.sh");
            SCRIPT_SETTINGS.keySet().forEach(variable -> script.append(" && echo ").append(variable).append("=\"$")
                    .append(variable).append('"'));
            ProcessBuilder bash = new ProcessBuilder("bash", "-c", script.toString()).redirectErrorStream(true);
            bash.environment().keySet().removeIf(name -> name.startsWith("RUSH_"));
            bash.environment().put("RUSH_RUN_DIR", run.toString()); // no run/redis-mode of a cluster left running
            Process process = bash.start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(TimeScale.ms(30_000), TimeUnit.MILLISECONDS),
                    "sourcing lib/common.sh did not end");
            assertEquals(0, process.exitValue(), out);
            Map<String, String> derived = new LinkedHashMap<>();
            for (String line : out.strip().split("\n")) {
                derived.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            }
            Map<String, String> expected = new LinkedHashMap<>();
            SCRIPT_SETTINGS.forEach((variable, name) -> expected.put(variable, Defaults.of(name)));
            assertEquals(new TreeMap<>(expected), new TreeMap<>(derived), out);
        } finally {
            TempFiles.deleteRecursively(run);
        }
    }
}
