package io.ticketrush;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.Sale;

/**
 * Everything a node needs to know, read once at start and validated.
 *
 * <p>Each setting has a dotted name ({@code rush.redis.host}); it is looked up as a system property,
 * then as an environment variable ({@code RUSH_REDIS_HOST}), then as a web.xml context parameter,
 * then falls back to the default. A bad value stops the node with a message naming the setting.
 */
public record Config(
        String redisHost,
        int redisPort,
        String redisPassword,
        int redisTimeoutMillis,
        int redisPoolSize,
        int redisPoolWaitMillis,
        String stockKey,
        int totalStock,
        int nodeWeight,
        int totalWeight,
        int bufferStock,
        int localStock,
        int nodePort,
        String statLogPath,
        int lockWaitMillis,
        long orderTtlMillis,
        int perUserLimit,
        boolean anonymousAllowed,
        int syncMillis,
        int sweepMillis,
        String dbUrl,
        String dbUser,
        String dbPassword,
        String writerName,
        int writerBatch,
        int writerClaimMillis,
        int breakerFailures,
        int breakerOpenMillis,
        String adminToken,
        boolean bufferGiven,
        boolean localGiven,
        long clockSkewMillis,
        Replication replication) {

    /**
     * Whether Redis is one server ({@code rush.redis.host}, {@code rush.redis.port}), a primary
     * with replicas found through Sentinels ({@code rush.redis.mode=sentinel}), or a Redis Cluster
     * whose masters each have a replica ({@code rush.redis.mode=cluster}, found from the seed
     * addresses {@code rush.redis.cluster}), and, with replicas, how long a write may wait for one
     * of them to have it (docs/replication.md, docs/cluster.md).
     */
    public record Replication(Mode mode, List<String> sentinels, String master, int waitMillis,
            List<String> clusterNodes) {
        /** {@code rush.redis.mode}. */
        public enum Mode { SINGLE, SENTINEL, CLUSTER }

        /** How many replicas must have a write before it is answered: one with Sentinel or Cluster, none alone. */
        public int replicasToWait() {
            return mode == Mode.SINGLE ? 0 : 1;
        }
    }

    /** A setting that is missing or out of range; the message names the setting and the rule. */
    public static final class InvalidConfigException extends RuntimeException {
        InvalidConfigException(String message) {
            super(message);
        }
    }

    /** Reads the settings from system properties, then the environment, then {@code fallback}. */
    public static Config load(UnaryOperator<String> fallback) {
        return new Reader(name -> {
            String value = System.getProperty(name);
            if (value == null) {
                value = System.getenv(envName(name));
            }
            if (value == null && fallback != null) {
                value = fallback.apply(name);
            }
            return value == null || value.isBlank() ? null : value.trim();
        }).read();
    }

    /** Reads the settings from {@code source} alone (tests, tools). */
    public static Config from(UnaryOperator<String> source) {
        return new Reader(source).read();
    }

    /** {@code rush.redis.host} -> {@code RUSH_REDIS_HOST}. */
    static String envName(String name) {
        return name.toUpperCase().replace('.', '_');
    }

    /** Where Redis is, as the logs say it: host:port, or the primary's name and its Sentinels. */
    public String redisAddress() {
        if (replication.mode() == Replication.Mode.SENTINEL) {
            return "primary " + replication.master() + " through the Sentinels " + replication.sentinels();
        }
        if (replication.mode() == Replication.Mode.CLUSTER) {
            return "the Redis Cluster of " + replication.clusterNodes();
        }
        return redisHost + ":" + redisPort;
    }

    /** This node's share of the total by weight, rounded down. */
    public int weightShare() {
        return weightShare(totalStock, nodeWeight, totalWeight);
    }

    /**
     * This node's local stock of {@code sale}: its weight's share of the sale's total plus the
     * buffer ({@code rush.stock.buffer} if given, else a twentieth of the total); for the
     * article's sale, {@code rush.stock.local} if given.
     */
    public int localStockFor(Sale sale) {
        if (localGiven && Sale.DEFAULT.equals(sale.id())) {
            return localStock;
        }
        int total = (int) Math.min(Integer.MAX_VALUE, sale.total());
        int buffer = bufferGiven ? bufferStock : total / 20;
        return (int) Math.min(Integer.MAX_VALUE, (long) weightShare(total, nodeWeight, totalWeight) + buffer);
    }

    private static int weightShare(int total, int weight, int totalWeight) {
        return (int) ((long) total * weight / Math.max(totalWeight, 1));
    }

    private static final class Reader {
        private static final Pattern ADDRESS = Pattern.compile("[^\\s:,]+:\\d{1,5}");

        private final UnaryOperator<String> source;
        private final List<String> problems = new ArrayList<>();

        Reader(UnaryOperator<String> source) {
            this.source = source;
        }

        Config read() {
            String redisHost = text("rush.redis.host", "127.0.0.1");
            int redisPort = number("rush.redis.port", 6379, 1, 65535);
            String redisPassword = text("rush.redis.password", null);
            int redisTimeout = number("rush.redis.timeout.ms", 500, 1, 60_000);
            int poolSize = number("rush.redis.pool.size", 32, 1, 1024);
            int poolWait = number("rush.redis.pool.wait.ms", 100, 0, 60_000);
            String stockKey = text("rush.stock.key", "ticket_hash_key");
            int total = number("rush.stock.total", 10_000, 0, Integer.MAX_VALUE);
            int weight = number("rush.node.weight", 1, 1, 1000);
            int totalWeight = number("rush.node.weights.total", 10, 1, 100_000);
            if (weight > totalWeight) {
                problems.add("rush.node.weight=" + weight + " must not exceed rush.node.weights.total=" + totalWeight);
            }
            int share = weightShare(total, weight, totalWeight);
            int buffer = number("rush.stock.buffer", total / 20, 0, Integer.MAX_VALUE);
            int local = number("rush.stock.local", (int) Math.min(Integer.MAX_VALUE, (long) share + buffer), 0,
                    Integer.MAX_VALUE);
            int nodePort = number("rush.node.port", 0, 0, 65535);
            String statLog = text("rush.statlog", "logs/stat.log");
            int lockWait = number("rush.lock.wait.ms", 1000, 1, 60_000);
            int orderTtl = number("rush.order.ttl.ms", 300_000, 100, Integer.MAX_VALUE);
            int perUserLimit = number("rush.user.limit", 1, 1, 1000);
            boolean anonymous = flag("rush.anonymous", true);
            int syncMillis = number("rush.sync.ms", 1000, 10, 3_600_000);
            int sweepMillis = number("rush.sweep.ms", 1000, 10, 3_600_000);
            String dbUrl = text("rush.db.url", "jdbc:h2:file:./run/orders/orders");
            if (!dbUrl.startsWith("jdbc:h2:") && !dbUrl.startsWith("jdbc:postgresql:")) {
                problems.add("rush.db.url=" + dbUrl + " must be a jdbc:h2: or jdbc:postgresql: URL");
            }
            String dbUser = text("rush.db.user", dbUrl.startsWith("jdbc:h2:") ? "sa" : null);
            String dbPassword = text("rush.db.password", "");
            String writerName = text("rush.writer.name", "writer-" + ProcessHandle.current().pid());
            if (!Buyer.ID.matcher(writerName).matches()) {
                problems.add("rush.writer.name=" + writerName + " may hold only letters, digits and _ . @ -");
            }
            int writerBatch = number("rush.writer.batch", 500, 1, 100_000);
            int writerClaim = number("rush.writer.claim.ms", 5000, 10, 3_600_000);
            int breakerFailures = number("rush.breaker.failures", 3, 1, 1000);
            int breakerOpen = number("rush.breaker.open.ms", 500, 1, 60_000);
            // for tests: a node whose idea of the time runs ahead (or behind) of the sales' clock
            long clockSkew = number("rush.clock.skew.ms", 0, -86_400_000, 86_400_000);
            Replication replication = replication(redisTimeout);
            String adminToken = text("rush.admin.token", null);
            if (adminToken != null && adminToken.length() < 16) {
                problems.add("rush.admin.token must be at least 16 characters long (it guards stock resets)");
            }
            if (!problems.isEmpty()) {
                throw new InvalidConfigException("invalid ticket-rush configuration: " + String.join("; ", problems));
            }
            return new Config(redisHost, redisPort, redisPassword, redisTimeout, poolSize, poolWait, stockKey,
                    total, weight, totalWeight, buffer, local, nodePort, statLog, lockWait, orderTtl, perUserLimit,
                    anonymous, syncMillis, sweepMillis, dbUrl, dbUser, dbPassword, writerName, writerBatch,
                    writerClaim, breakerFailures, breakerOpen, adminToken, source.apply("rush.stock.buffer") != null,
                    source.apply("rush.stock.local") != null, clockSkew, replication);
        }

        /** {@code rush.redis.mode} and, for Sentinel, where the Sentinels are and what they call the primary. */
        private Replication replication(int redisTimeout) {
            String modeName = text("rush.redis.mode", "single");
            Replication.Mode mode = switch (modeName.toLowerCase()) {
                case "single" -> Replication.Mode.SINGLE;
                case "sentinel" -> Replication.Mode.SENTINEL;
                case "cluster" -> Replication.Mode.CLUSTER;
                default -> {
                    problems.add("rush.redis.mode=" + modeName + " must be single, sentinel or cluster");
                    yield Replication.Mode.SINGLE;
                }
            };
            List<String> sentinels = addresses("rush.redis.sentinels", "127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381");
            List<String> clusterNodes = addresses("rush.redis.cluster",
                    "127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003,127.0.0.1:7004,127.0.0.1:7005,127.0.0.1:7006");
            String master = text("rush.redis.master", "ticket-rush");
            if (!Buyer.ID.matcher(master).matches()) {
                problems.add("rush.redis.master=" + master + " may hold only letters, digits and _ . @ -");
            }
            int waitMillis = number("rush.redis.wait.ms", 200, 1, 60_000);
            if (mode != Replication.Mode.SINGLE && waitMillis >= redisTimeout) {
                problems.add("rush.redis.wait.ms=" + waitMillis + " must be below rush.redis.timeout.ms=" + redisTimeout
                        + " (the wait's answer must come back within the read timeout)");
            }
            return new Replication(mode, sentinels, master, waitMillis, clusterNodes);
        }

        /** A comma separated list of host:port, each checked. */
        private List<String> addresses(String name, String defaultValue) {
            List<String> addresses = List.of(text(name, defaultValue).trim().split("[,\\s]+"));
            for (String address : addresses) {
                if (!ADDRESS.matcher(address).matches() || Integer.parseInt(address.substring(
                        address.lastIndexOf(':') + 1)) > 65535) {
                    problems.add(name + ": '" + address + "' is not host:port (a comma separated list)");
                }
            }
            return addresses;
        }

        private String text(String name, String defaultValue) {
            String value = source.apply(name);
            return value == null ? defaultValue : value;
        }

        private boolean flag(String name, boolean defaultValue) {
            String value = source.apply(name);
            if (value == null) {
                return defaultValue;
            }
            switch (value.trim().toLowerCase()) {
                case "true", "yes", "on", "1":
                    return true;
                case "false", "no", "off", "0":
                    return false;
                default:
                    problems.add(name + "=" + value + " must be true or false");
                    return defaultValue;
            }
        }

        private int number(String name, int defaultValue, int min, int max) {
            String value = source.apply(name);
            if (value == null) {
                return defaultValue;
            }
            try {
                int n = Integer.parseInt(value.trim());
                if (n < min || n > max) {
                    problems.add(name + "=" + value + " must be between " + min + " and " + max);
                }
                return n;
            } catch (NumberFormatException e) {
                problems.add(name + "=" + value + " is not a whole number");
                return defaultValue;
            }
        }
    }
}
