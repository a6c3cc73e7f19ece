package io.ticketrush.redis.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.RedisConf;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.RedisUsers;
import io.ticketrush.support.TempFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;

/**
 * Redis is guarded as {@code ./rush up} guards it (redis-conf/render.sh, docs/security.md): nothing
 * without the password, and the ACL users the nodes and the order writer connect as cannot touch the
 * server itself (FLUSHALL, CONFIG, KEYS, DEBUG, SHUTDOWN, ACL, MODULE, SCRIPT FLUSH, REPLICAOF...),
 * while the whole suite runs the code as them.
 */
class RedisGuardTest {
    /**
     * What neither ACL user may run (why, in a comment). Those that end the server come last, so
     * that a rule that lets one through shows every other one too.
     */
    private static final List<String[]> DANGEROUS = List.of(
            new String[] {"FLUSHALL"}, // every sale, every order gone
            new String[] {"FLUSHDB"},
            new String[] {"CONFIG", "SET", "maxmemory", "1"}, // the server's settings
            new String[] {"CONFIG", "GET", "requirepass"}, // the password itself
            new String[] {"CONFIG", "REWRITE"},
            new String[] {"KEYS", "*"}, // blocks the server for the whole key space
            new String[] {"DEBUG", "SLEEP", "0"},
            new String[] {"ACL", "LIST"},
            new String[] {"ACL", "SETUSER", "intruder", "on", ">x", "+@all"},
            new String[] {"MODULE", "LIST"},
            new String[] {"SCRIPT", "FLUSH"}, // every node's scripts, at once
            new String[] {"FUNCTION", "FLUSH"},
            new String[] {"CLUSTER", "RESET"},
            new String[] {"INFO"},
            new String[] {"INFO", "memory"},
            // of MEMORY, the nodes have STATS alone (their gauge of Redis's memory)
            new String[] {"MEMORY", "PURGE"},
            new String[] {"MEMORY", "DOCTOR"},
            new String[] {"MEMORY", "MALLOC-STATS"},
            new String[] {"MONITOR"}, // every command of every client, passwords of AUTH included
            new String[] {"CLIENT", "KILL", "ID", "1"},
            new String[] {"BGSAVE"},
            new String[] {"SWAPDB", "0", "1"},
            new String[] {"FAILOVER"},
            new String[] {"REPLICAOF", "127.0.0.1", "1"}, // the data thrown away for another server's
            new String[] {"SHUTDOWN", "NOSAVE"});
    private static final String KEY = "guard_hash_key";
    /** A script the operator loaded before each attempt: SCRIPT FLUSH must not have dropped it. */
    private static String seededScript;

    private static RedisServer redis;
    private static Path dir;

    @BeforeAll
    static void start() throws Exception {
        // DEBUG allowed from loopback, as the chaos tests have it: a refusal is the ACL's, not this setting's
        redis = RedisServer.start("--enable-debug-command", "local");
        dir = Files.createTempDirectory("rush-guard-");
    }

    @AfterAll
    static void stop() {
        if (redis != null) {
            redis.close();
        }
        TempFiles.deleteRecursively(dir);
    }

    private static Jedis as(String user, String password) {
        return new Jedis(new HostAndPort("127.0.0.1", redis.port()), RedisUsers.client(user, password, 2000));
    }

    /** Each of {@link #DANGEROUS} answered NOPERM on {@code jedis}; the failures, one per line. */
    private static List<String> notRefused(Jedis jedis) {
        List<String> wrong = new ArrayList<>();
        for (String[] command : DANGEROUS) {
            String reply = RedisUsers.reply(jedis, command);
            if (!reply.startsWith("ERROR: NOPERM")) {
                wrong.add(String.join(" ", command) + " -> " + reply);
            }
        }
        return wrong;
    }

    /** The server as the operator sees it after an attempt: the key, the setting, the scripts, the users. */
    private static void assertUntouched() {
        try (Jedis admin = redis.client()) {
            assertEquals("PONG", admin.ping(), "the server runs");
            assertEquals("10", admin.hget(KEY, "ticket_total_nums"), "the data is there");
            assertEquals("0", admin.configGet("maxmemory").get("maxmemory"), "maxmemory as it was");
            assertTrue(admin.scriptExists(seededScript), "the scripts");
            assertFalse(admin.aclUsers().contains("intruder"), "no user added: " + admin.aclUsers());
            assertEquals("master", String.valueOf(admin.role().get(0)), "still a primary of its own data");
        }
    }

    private static void seed() {
        redis.initStock(KEY, 10);
        try (Jedis admin = redis.client()) {
            seededScript = admin.scriptLoad("return 'seeded'");
        }
    }

    @Test
    void the_nodes_acl_user_runs_the_scripts_and_data_commands_but_nothing_that_touches_the_server() {
        seed();
        try (Jedis node = as(RedisUsers.NODE, redis.users().nodePassword())) {
            // what a node does: its data, its scripts by SHA, MULTI, WAIT, TIME
            assertEquals(1L, node.hincrBy(KEY, "guard_count", 1));
            String sha = node.scriptLoad("return redis.call('HGET', KEYS[1], 'ticket_total_nums')");
            assertEquals("10", node.evalsha(sha, List.of(KEY), List.of()));
            assertEquals(0L, node.waitReplicas(0, 10));
            assertEquals(2, node.time().size());
            // Redis's memory for /metrics and the dashboard (RedisStore.memoryUsed)
            assertTrue(node.memoryStats().get("total.allocated") instanceof Long, "MEMORY STATS total.allocated");
            assertEquals(List.of(), notRefused(node), "commands the nodes' ACL user was not refused");
        }
        assertUntouched();
    }

    @Test
    void the_writers_acl_user_reads_its_streams_writes_its_counts_and_runs_scripts_by_sha_but_no_eval_del_or_set() {
        seed();
        try (Jedis writer = as(RedisUsers.WRITER, redis.users().writerPassword())) {
            // what the writer does: the stream's group, its counts
            writer.xgroupCreate("rush:{guard}:orders", "writers", new redis.clients.jedis.StreamEntryID(), true);
            assertEquals(1L, writer.hincrBy("rush:writer-stats", "orders", 1));
            assertEquals("10", writer.hget(KEY, "ticket_total_nums"));
            // its script by SHA (trim_events.lua: XTRIM and HSET in it)
            String sha = writer.scriptLoad("return redis.call('HGET', KEYS[1], 'ticket_total_nums')");
            assertEquals("10", writer.evalsha(sha, List.of(KEY), List.of()));
            List<String> wrong = notRefused(writer);
            // and, unlike a node, no script of its own making run as text, no key deleted or set
            for (String[] command : List.of(new String[] {"EVAL", "return 1", "0"}, new String[] {"DEL", KEY},
                    new String[] {"SET", KEY, "x"}, new String[] {"UNLINK", KEY})) {
                String reply = RedisUsers.reply(writer, command);
                if (!reply.startsWith("ERROR: NOPERM")) {
                    wrong.add(String.join(" ", command) + " -> " + reply);
                }
            }
            assertEquals(List.of(), wrong, "commands the writer's ACL user was not refused");
        }
        assertUntouched();
    }

    @Test
    void without_the_password_redis_answers_noauth_and_with_a_wrong_one_refuses_the_connection() {
        seed();
        try (Jedis stranger = new Jedis("127.0.0.1", redis.port(), 2000)) {
            assertTrue(RedisUsers.reply(stranger, "PING").startsWith("ERROR: NOAUTH"), "PING without a password");
            assertTrue(RedisUsers.reply(stranger, "HSET", KEY, "ticket_total_nums", "999999").startsWith("ERROR: NOAUTH"));
            assertTrue(RedisUsers.reply(stranger, "FLUSHALL").startsWith("ERROR: NOAUTH"));
        }
        JedisAccessControlException wrong = assertThrows(JedisAccessControlException.class, () -> {
            try (Jedis guesser = as(RedisUsers.NODE, "guessed")) {
                guesser.ping();
            }
        });
        assertTrue(wrong.getMessage().startsWith("WRONGPASS"), wrong.getMessage());
        // a node's password is not the default user's
        assertThrows(JedisAccessControlException.class, () -> {
            try (Jedis guesser = as(null, redis.users().nodePassword())) {
                guesser.ping();
            }
        });
        assertUntouched();
    }

    @Test
    void a_node_reads_its_user_and_password_file_from_its_settings_and_connects_as_rush_node() {
        seed();
        EmbeddedNode node = EmbeddedNode.start(redis.asNode(Map.of("rush.stock.key", KEY,
                "rush.stock.total", "10", "rush.node.weight", "1", "rush.node.weights.total", "1",
                "rush.statlog", dir.resolve("stat.log").toString())));
        try {
            assertEquals(200, HttpCall.get(node.uri("/stock")).status());
            try (Jedis admin = redis.client()) {
                List<String> clients = admin.clientList().lines().filter(line -> line.contains(" name=ticket-rush "))
                        .map(line -> line.replaceAll(".* (user=\\S+).*", "$1")).distinct().toList();
                assertEquals(List.of("user=" + RedisUsers.NODE), clients, admin.clientList());
            }
        } finally {
            node.stop();
        }
    }

    @Test
    void render_sh_refuses_a_redis_other_machines_reach_without_a_password() {
        List<String> open = List.of("--port", "6379", "--bind", "10.1.2.3", "--dir", dir.toString(),
                "--logfile", dir.resolve("r.log").toString());
        IllegalStateException refused = assertThrows(IllegalStateException.class,
                () -> RedisConf.write(dir.resolve("open.conf"), "single", open));
        assertTrue(refused.getMessage().contains("is not loopback: other machines reach it, so a password is required"),
                refused.getMessage());
        assertFalse(Files.exists(dir.resolve("open.conf")), "no config written");
        List<String> guarded = new ArrayList<>(open);
        guarded.addAll(redis.users().renderOptions());
        String conf = RedisConf.write(dir.resolve("guarded.conf"), "single", guarded);
        RedisConf.require(conf, "protected-mode no");
        assertTrue(conf.lines().anyMatch(line -> line.startsWith("requirepass ")), conf);
        // a loopback Redis may be written without one (compare.sh's own, the reference build predates them)
        RedisConf.write(dir.resolve("loopback.conf"), "single", List.of("--port", "6379", "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--logfile", dir.resolve("r.log").toString()));
    }
}
