package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A replicated Redis as {@code ./rush up --redis sentinel} runs it, for tests: a primary, two
 * replicas and three Sentinels, each a real {@code redis-server} / {@code redis-sentinel} on a
 * free loopback port with its files in a folder of its own. The configs are the project's, written
 * by the same {@code redis-conf/render.sh} ./rush runs (append-only file, {@code
 * min-replicas-to-write 1}, {@code min-replicas-max-lag 2}, a Sentinel failover after 2 s:
 * docs/replication.md), with the DEBUG command allowed from loopback for the tests, and guarded as
 * ./rush guards them: a password on every server and Sentinel, the nodes' and the writer's ACL
 * users ({@link RedisUsers}; {@link #settings()}, {@link #writerSettings()}). Every process
 * is started, signalled and stopped by its own PID.
 */
public final class RedisSentinelGroup implements AutoCloseable {
    public static final String MASTER = "ticket-rush";
    /** Seconds a replica may go without acknowledging before the primary stops taking writes. */
    public static final int MAX_LAG_SECONDS = 2;
    private static final Duration LIMIT = Duration.ofSeconds(30);

    private final Path dir;
    private final RedisUsers users;
    /** The data servers by port, the first one the primary at the start. */
    private final Map<Integer, Process> servers = new LinkedHashMap<>();
    private final Map<Integer, Process> sentinels = new LinkedHashMap<>();

    private RedisSentinelGroup(Path dir) {
        this.dir = dir;
        this.users = RedisUsers.create(dir);
    }

    /** Starts the group and waits until every Sentinel knows the primary, both replicas and each other. */
    public static RedisSentinelGroup start() {
        RedisSentinelGroup group;
        try {
            group = new RedisSentinelGroup(Files.createTempDirectory("rush-sentinel-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            group.startAll();
            return group;
        } catch (RuntimeException | Error e) {
            group.close();
            throw e;
        }
    }

    private void startAll() {
        List<Integer> ports = List.of(FreePort.find(), FreePort.find(), FreePort.find());
        int primary = ports.get(0);
        for (int port : ports) {
            servers.put(port, null);
            writeServerConf(port);
        }
        List<Integer> sentinelPorts = List.of(FreePort.find(), FreePort.find(), FreePort.find());
        for (int i = 0; i < sentinelPorts.size(); i++) {
            sentinels.put(sentinelPorts.get(i), null);
            writeSentinelConf(i, sentinelPorts, primary, ports.subList(1, ports.size()));
        }
        for (int port : ports) {
            launchServer(port, port == primary ? null : primary);
        }
        for (int port : sentinelPorts) {
            launchSentinel(port);
        }
        awaitHealthy();
    }

    /** The server's config as ./rush writes it (redis-conf/render.sh replicated), with DEBUG for the tests. */
    private void writeServerConf(int port) {
        Path data = dir.resolve("data-" + port);
        try {
            Files.createDirectories(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> options = new ArrayList<>(List.of("--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--dir", data.toString(), "--logfile", dir.resolve("redis-" + port + ".log").toString(),
                "--debug-command", "local"));
        options.addAll(users.renderOptions());
        String conf = RedisConf.write(dir.resolve("redis-" + port + ".conf"), "replicated", options);
        RedisConf.require(conf, "min-replicas-max-lag " + MAX_LAG_SECONDS);
    }

    /**
     * Each Sentinel starts knowing the replicas and the other Sentinels (with ids given here), as
     * it would write them itself after its first minute: a failover can happen at once. Written
     * by redis-conf/render.sh sentinel, as ./rush writes it.
     */
    private void writeSentinelConf(int index, List<Integer> sentinelPorts, int primary, List<Integer> replicas) {
        int port = sentinelPorts.get(index);
        List<String> options = new ArrayList<>(List.of("--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--logfile", dir.resolve("sentinel-" + port + ".log").toString(),
                "--myid", sentinelId(index), "--master", MASTER, "--monitor", "127.0.0.1:" + primary));
        for (int replica : replicas) {
            options.addAll(List.of("--replica", "127.0.0.1:" + replica));
        }
        for (int i = 0; i < sentinelPorts.size(); i++) {
            if (i != index) {
                options.addAll(List.of("--sentinel", "127.0.0.1:" + sentinelPorts.get(i) + "=" + sentinelId(i)));
            }
        }
        options.addAll(users.renderOptions());
        String conf = RedisConf.write(dir.resolve("sentinel-" + port + ".conf"), "sentinel", options);
        RedisConf.require(conf, "sentinel down-after-milliseconds " + MASTER + " 2000");
    }

    private static String sentinelId(int index) {
        return String.format("%040x", index + 1);
    }

    private void launchServer(int port, Integer replicaOf) {
        List<String> command = new ArrayList<>(List.of("redis-server", dir.resolve("redis-" + port + ".conf")
                .toString()));
        if (replicaOf != null) {
            command.addAll(List.of("--replicaof", "127.0.0.1", String.valueOf(replicaOf)));
        }
        servers.put(port, launch(command, "redis-" + port));
        awaitPing(port);
    }

    private void launchSentinel(int port) {
        sentinels.put(port, launch(List.of("redis-sentinel", dir.resolve("sentinel-" + port + ".conf").toString()),
                "sentinel-" + port));
        awaitPing(port);
    }

    private Process launch(List<String> command, String name) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(name + ".out").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0) + " (./rush test installs it)", e);
        }
    }

    private void awaitPing(int port) {
        Deadline.await(Duration.ofSeconds(10), "port " + port + " to answer PING", () -> {
            try (Jedis jedis = client(port)) {
                return "PONG".equals(jedis.ping());
            }
        });
    }

    /**
     * Waits until the Sentinels agree on a primary that has both replicas online and within
     * their lag, none of them is still busy with a failover (its leader names the new primary
     * before it has turned every replica round), and each knows both replicas and the two other
     * Sentinels.
     */
    public void awaitHealthy() {
        Deadline.await(LIMIT, "the Sentinels to agree on a primary with two good replicas", () -> {
            Integer primary = null;
            for (int sentinel : sentinels.keySet()) {
                try (Jedis jedis = client(sentinel)) {
                    int named = Integer.parseInt(jedis.sentinelGetMasterAddrByName(MASTER).get(1));
                    if (primary != null && primary != named || !"master".equals(jedis.sentinelMaster(MASTER)
                            .get("flags")) || jedis.sentinelReplicas(MASTER).stream()
                            .filter(r -> !r.get("flags").contains("down")).count() != 2
                            || jedis.sentinelSentinels(MASTER).size() != 2) {
                        return false;
                    }
                    primary = named;
                }
            }
            try (Jedis jedis = client(primary)) {
                if (!infoField(jedis.info("replication"), "role").equals("master")
                        || !infoField(jedis.info("replication"), "min_slaves_good_slaves").equals("2")) {
                    return false;
                }
                // good by their last ping is not yet acknowledging: a replica still loading its full resync
                // after a restart lets a test's first WAIT run out (ReplicatedStockTest failed so once)
                jedis.set(HEALTH_PROBE, String.valueOf(System.nanoTime()));
                return jedis.waitReplicas(2, 1000) == 2;
            }
        });
    }

    /** The key awaitHealthy writes to see both replicas acknowledge a write. */
    private static final String HEALTH_PROBE = "rush:test:health-probe";

    /** The nodes' (and the sale tool's) settings for this group: the Sentinels, and the ACL user rush-node. */
    public Map<String, String> settings() {
        return with(users.node());
    }

    /** The order writer's settings for this group: the Sentinels, and the ACL user rush-writer. */
    public Map<String, String> writerSettings() {
        return with(users.writer());
    }

    private Map<String, String> with(Map<String, String> user) {
        Map<String, String> settings = new LinkedHashMap<>(Map.of("rush.redis.mode", "sentinel",
                "rush.redis.sentinels", sentinelList(), "rush.redis.master", MASTER));
        settings.putAll(user);
        return Map.copyOf(settings);
    }

    /** The passwords of the group's users. */
    public RedisUsers users() {
        return users;
    }

    /** The nodes' settings as environment variables (for a child process). */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        settings().forEach((name, value) -> env.put(name.toUpperCase().replace('.', '_'), value));
        return env;
    }

    private String sentinelList() {
        return String.join(",", sentinels.keySet().stream().map(port -> "127.0.0.1:" + port).toList());
    }

    /** The primary as the first Sentinel that answers names it. */
    public int primaryPort() {
        RuntimeException last = null;
        for (int sentinel : sentinels.keySet()) {
            try (Jedis jedis = client(sentinel)) {
                return Integer.parseInt(jedis.sentinelGetMasterAddrByName(MASTER).get(1));
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no Sentinel answered", last);
    }

    /**
     * The highest configuration epoch any Sentinel has for the primary: one more for each
     * failover, so a test can tell that one kill made exactly one failover.
     */
    public long configEpoch() {
        long epoch = -1;
        for (int sentinel : sentinels.keySet()) {
            try (Jedis jedis = client(sentinel)) {
                epoch = Math.max(epoch, Long.parseLong(jedis.sentinelMaster(MASTER).get("config-epoch")));
            }
        }
        return epoch;
    }

    /** The data servers that are not the primary now. */
    public List<Integer> replicaPorts() {
        int primary = primaryPort();
        return servers.keySet().stream().filter(port -> port != primary).toList();
    }

    public List<Integer> serverPorts() {
        return List.copyOf(servers.keySet());
    }

    public List<Integer> sentinelPorts() {
        return List.copyOf(sentinels.keySet());
    }

    /** A connection to the server or Sentinel on {@code port} as the operator (the default user: every command). */
    public Jedis client(int port) {
        return client(port, 2000);
    }

    /** As {@link #client(int)}, reads waiting up to {@code timeoutMillis}. */
    public Jedis client(int port, int timeoutMillis) {
        return new Jedis(new HostAndPort("127.0.0.1", port), users.adminClient(timeoutMillis));
    }

    /** A connection to the primary now. */
    public Jedis primary() {
        return client(primaryPort());
    }

    public long pid(int port) {
        Process process = servers.containsKey(port) ? servers.get(port) : sentinels.get(port);
        return process.pid();
    }

    public boolean alive(int port) {
        Process process = servers.get(port);
        return process != null && process.isAlive();
    }

    /** SIGKILL, as a crash would. */
    public void kill(int port) {
        Process process = servers.get(port);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts a killed server again, from its own files, as a replica of the primary the
     * Sentinels name now (as {@code ./rush up} does; left to itself it would come back a primary
     * of its old data, refusing writes for want of replicas, until a Sentinel turned it round).
     */
    public void restart(int port) {
        if (alive(port)) {
            return;
        }
        int primary = primaryPort();
        launchServer(port, primary == port ? null : primary);
    }

    /** SIGSTOP: the server keeps its connections but answers nothing (its replication link is cut). */
    public void pause(int port) {
        signal(port, "STOP");
    }

    /** SIGCONT after {@link #pause}. */
    public void resume(int port) {
        signal(port, "CONT");
    }

    private void signal(int port, String name) {
        ChildProcess.Result sent = ChildProcess.run(List.of("kill", "-" + name, String.valueOf(pid(port))),
                Duration.ofSeconds(10));
        if (sent.exitCode() != 0) {
            throw new IllegalStateException("kill -" + name + " " + pid(port) + " failed: " + sent.output());
        }
    }

    /** How many replicas the server on {@code port} counts as good ({@code min_slaves_good_slaves}). */
    public int goodReplicas(int port) {
        try (Jedis jedis = client(port)) {
            return Integer.parseInt(infoField(jedis.info("replication"), "min_slaves_good_slaves"));
        }
    }

    /** A fresh sale of {@code total} tickets in the stock hash {@code key}, made through the Sentinels. */
    public void initStock(String key, long total) {
        Map<String, String> settings = new LinkedHashMap<>(settings());
        settings.put("rush.stock.key", key);
        try (RedisStore store = RedisStore.open(StoreSettings.from(settings::get))) {
            store.admin().reset(Sale.DEFAULT, total);
        }
    }

    /** {@code ticket_sold_nums} of the stock hash {@code key} on the server on {@code port}. */
    public long sold(int port, String key) {
        try (Jedis jedis = client(port)) {
            String sold = jedis.hget(key, Keys.SOLD);
            return sold == null ? 0 : Long.parseLong(sold);
        }
    }

    /** Every log of the group, for a failed test's output. */
    public String logs() {
        StringBuilder out = new StringBuilder();
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".log")).sorted().toList()) {
                out.append("---- ").append(file.getFileName()).append('\n').append(Files.readString(file));
            }
        } catch (IOException e) {
            out.append("(cannot read the logs in ").append(dir).append(": ").append(e).append(')');
        }
        return out.toString();
    }

    public Path dir() {
        return dir;
    }

    static String infoField(String info, String field) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        return "";
    }

    /** Stops the Sentinels first (so that no failover starts), then the servers, each by its own PID. */
    @Override
    public void close() {
        List<Process> all = new ArrayList<>(sentinels.values());
        all.addAll(servers.values());
        for (Process process : all) {
            if (process == null || !process.isAlive()) {
                continue;
            }
            // a paused server ignores SIGTERM until it is continued
            ChildProcess.run(List.of("kill", "-CONT", String.valueOf(process.pid())), Duration.ofSeconds(10));
            ChildProcess.terminate(process.toHandle(), Duration.ofSeconds(10));
        }
        TempFiles.deleteRecursively(dir);
    }
}
