package io.ticketrush.settings;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Where Redis is and how a process's connections to it behave: what every process of ticket-rush
 * reads (a node, the order writer, the sale tool).
 *
 * @param host {@code rush.redis.host}
 * @param port {@code rush.redis.port}
 * @param user {@code rush.redis.user}: the ACL user (rush-node, rush-writer); null for Redis's
 *        {@code default} user
 * @param password {@code rush.redis.password}, or the text of the file {@code
 *        rush.redis.password.file} names; null for none. Given to the servers and the Sentinels alike
 * @param timeoutMillis {@code rush.redis.timeout.ms}: connect and read timeout
 * @param poolSize {@code rush.redis.pool.size}: connections in the pool
 * @param poolWaitMillis {@code rush.redis.pool.wait.ms}: wait for a free connection
 * @param replication {@code rush.redis.mode} and what goes with it
 */
public record RedisSettings(String host, int port, String user, String password, int timeoutMillis, int poolSize,
        int poolWaitMillis, Replication replication) {
    /** A Redis user name, as ./rush and redis-conf/render.sh make them. */
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");

    /**
     * Reads the settings from {@code source} alone (tests).
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static RedisSettings from(UnaryOperator<String> source) {
        return SettingsReader.read(source, RedisSettings::read);
    }

    /** Where Redis is, as the logs say it: host:port, or the primary's name and its Sentinels, or the cluster. */
    public String address() {
        if (replication.mode() == Replication.Mode.SENTINEL) {
            return "primary " + replication.master() + " through the Sentinels " + replication.sentinels();
        }
        if (replication.mode() == Replication.Mode.CLUSTER) {
            return "the Redis Cluster of " + replication.clusterNodes();
        }
        return host + ":" + port;
    }

    /** As the record would, without the password: settings may be logged, a secret never. */
    @Override
    public String toString() {
        return "RedisSettings[host=" + host + ", port=" + port + ", user=" + user + ", password="
                + (password == null ? "none" : "(set)") + ", timeoutMillis=" + timeoutMillis + ", poolSize="
                + poolSize + ", poolWaitMillis=" + poolWaitMillis + ", replication=" + replication + "]";
    }

    static RedisSettings read(SettingsReader in) {
        int timeout = timeoutMillis(in);
        return new RedisSettings(host(in), port(in), user(in), password(in), timeout, poolSize(in), poolWaitMillis(in),
                Replication.read(in, timeout));
    }

    private static String host(SettingsReader in) {
        return in.text("rush.redis.host");
    }

    private static int port(SettingsReader in) {
        return in.number("rush.redis.port", 1, 65535);
    }

    private static String user(SettingsReader in) {
        String user = in.text("rush.redis.user", null);
        if (user != null && !USER.matcher(user).matches()) {
            in.problem("rush.redis.user=" + user + " may hold only letters, digits and _ . @ - (at most 64)");
        }
        return user;
    }

    /**
     * From the environment ({@code RUSH_REDIS_PASSWORD}), or from a file ({@code run/redis-node-password}
     * as ./rush gives the nodes), never from a command line: {@code ps} shows every {@code -D}.
     */
    private static String password(SettingsReader in) {
        String password = in.text("rush.redis.password", null);
        String file = in.text("rush.redis.password.file", null);
        if (file == null) {
            return password;
        }
        if (password != null) {
            in.problem("rush.redis.password and rush.redis.password.file are both set: set one of them");
            return password;
        }
        return passwordOfFile(in, file);
    }

    /** The file's text without its final line break: one line, not empty. The problems name the file, never its text. */
    private static String passwordOfFile(SettingsReader in, String file) {
        String text;
        try {
            text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            in.problem("rush.redis.password.file=" + file + " cannot be read (" + e.getClass().getSimpleName() + ")");
            return null;
        }
        text = text.replaceFirst("[\\r\\n]+$", "");
        if (text.isEmpty() || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
            in.problem("rush.redis.password.file=" + file + " must hold one line, the password");
            return null;
        }
        return text;
    }

    private static int timeoutMillis(SettingsReader in) {
        return in.number("rush.redis.timeout.ms", 1, 60_000);
    }

    private static int poolSize(SettingsReader in) {
        return in.number("rush.redis.pool.size", 1, 1024);
    }

    private static int poolWaitMillis(SettingsReader in) {
        return in.number("rush.redis.pool.wait.ms", 0, 60_000);
    }
}
