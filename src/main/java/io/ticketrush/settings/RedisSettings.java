package io.ticketrush.settings;

import java.util.function.UnaryOperator;

/**
 * Where Redis is and how a process's connections to it behave: what every process of ticket-rush
 * reads (a node, the order writer, the sale tool).
 *
 * @param host {@code rush.redis.host}
 * @param port {@code rush.redis.port}
 * @param password {@code rush.redis.password}; null for none
 * @param timeoutMillis {@code rush.redis.timeout.ms}: connect and read timeout
 * @param poolSize {@code rush.redis.pool.size}: connections in the pool
 * @param poolWaitMillis {@code rush.redis.pool.wait.ms}: wait for a free connection
 * @param replication {@code rush.redis.mode} and what goes with it
 */
public record RedisSettings(String host, int port, String password, int timeoutMillis, int poolSize,
        int poolWaitMillis, Replication replication) {

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

    static RedisSettings read(SettingsReader in) {
        int timeout = timeoutMillis(in);
        return new RedisSettings(host(in), port(in), password(in), timeout, poolSize(in), poolWaitMillis(in),
                Replication.read(in, timeout));
    }

    private static String host(SettingsReader in) {
        return in.text("rush.redis.host");
    }

    private static int port(SettingsReader in) {
        return in.number("rush.redis.port", 1, 65535);
    }

    private static String password(SettingsReader in) {
        return in.text("rush.redis.password", null);
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
