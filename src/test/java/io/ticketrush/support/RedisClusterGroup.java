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

import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A Redis Cluster as {@code ./rush up --redis cluster} runs it, for tests: {@code masters} masters
 * and two replicas each, every node a real {@code redis-server} on a free loopback port with its
 * folder in a temp dir of its own. The configs are the project's, written by the same
 * {@code redis-conf/render.sh} ./rush runs (append-only file, {@code cluster-node-timeout 1500},
 * {@code min-replicas-to-write 1}, {@code min-replicas-max-lag 2},
 * {@code cluster-require-full-coverage no}: docs/cluster.md), guarded as
 * ./rush guards them: a password on every node ({@code requirepass}, {@code masterauth}) and the
 * nodes' and the writer's ACL users ({@link RedisUsers}; {@link #settings()},
 * {@link #writerSettings()}). Every process is started and stopped by its own PID.
 *
 * <p>A master takes a write only while a replica is within 2 s of it. The replica a failover
 * promotes has the failed master's other replica (which follows it by itself), so it takes writes
 * without the failed node; started again ({@link #restart}), that node rejoins as a replica too.
 */
public final class RedisClusterGroup implements AutoCloseable {
    /** Seconds a replica may go without acknowledging before its master stops taking writes. */
    public static final int MAX_LAG_SECONDS = 2;
    /** Each master's replicas at the start: one may die, or be promoted, and the master still has one. */
    public static final int REPLICAS_PER_MASTER = 2;
    /** The cluster bus of a node listens on its port plus this. */
    private static final int BUS_OFFSET = 10_000;
    private static final int SLOTS = 16_384;
    private static final String HOST = "127.0.0.1";

    private final Path dir;
    private final RedisUsers users;
    private final int masters;
    /** Every node by port, in the order given to {@code --cluster create} (the masters first). */
    private final Map<Integer, ChildProcess> nodes = new LinkedHashMap<>();
    private long createMillis;
    private long healthyMillis;
    private boolean closed;

    private RedisClusterGroup(Path dir, int masters) {
        this.dir = dir;
        this.users = RedisUsers.create(dir);
        this.masters = masters;
    }

    /**
     * Starts {@code 3 * masters} nodes on free ports, makes them one cluster ({@code redis-cli
     * --cluster create ... --cluster-replicas 2}: the first {@code masters} ports are the masters)
     * and waits until it is healthy ({@link #awaitHealthy}, at most 30 s).
     *
     * @param masters at least 3, as Redis Cluster requires
     */
    public static RedisClusterGroup start(int masters) {
        if (masters < 3) {
            throw new IllegalArgumentException("masters=" + masters + ": Redis Cluster needs at least 3");
        }
        RedisClusterGroup group;
        try {
            group = new RedisClusterGroup(Files.createTempDirectory("rush-cluster-"), masters);
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
        for (int i = 0; i < (1 + REPLICAS_PER_MASTER) * masters; i++) {
            int port = freeNodePort();
            nodes.put(port, null);
            writeConf(port);
        }
        for (int port : nodes.keySet()) {
            launch(port);
        }
        for (int port : nodes.keySet()) {
            awaitPing(port);
        }
        List<String> command = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        nodes.keySet().forEach(port -> command.add(HOST + ":" + port));
        command.addAll(List.of("--cluster-replicas", String.valueOf(REPLICAS_PER_MASTER), "--cluster-yes"));
        long t0 = System.nanoTime();
        ChildProcess.Result created = ChildProcess.run(command, users.cliEnvironment(), Duration.ofSeconds(30));
        createMillis = (System.nanoTime() - t0) / 1_000_000;
        if (created.exitCode() != 0) {
            throw new IllegalStateException("redis-cli --cluster create failed (" + created.exitCode() + "):\n"
                    + created.output());
        }
        t0 = System.nanoTime();
        awaitHealthy(Duration.ofSeconds(30));
        healthyMillis = (System.nanoTime() - t0) / 1_000_000;
    }

    /**
     * A free port whose cluster bus port (+10000) is free too and below 65536; FreePort's ports
     * come from the ephemeral range, whose top fifth has no room for the bus.
     */
    private int freeNodePort() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = FreePort.find();
            if (port + BUS_OFFSET <= 65_535 && !nodes.containsKey(port) && !nodes.containsKey(port + BUS_OFFSET)
                    && nodes.keySet().stream().noneMatch(p -> p + BUS_OFFSET == port) && FreePort.isFree(port + BUS_OFFSET)) {
                return port;
            }
        }
        throw new IllegalStateException("no free port with a free cluster bus port after 100 tries");
    }

    private Path nodeDir(int port) {
        return dir.resolve(String.valueOf(port));
    }

    /** The node's config as ./rush writes it: redis-conf/render.sh cluster. */
    private void writeConf(int port) {
        Path node = nodeDir(port);
        try {
            Files.createDirectories(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> options = new ArrayList<>(List.of("--port", String.valueOf(port), "--bind", HOST,
                "--dir", node.toString(), "--logfile", node.resolve("redis.log").toString()));
        options.addAll(users.renderOptions());
        String conf = RedisConf.write(node.resolve("redis.conf"), "cluster", options);
        RedisConf.require(conf, "min-replicas-max-lag " + MAX_LAG_SECONDS);
    }

    private void launch(int port) {
        Path node = nodeDir(port);
        nodes.put(port, ChildProcess.start("redis-cluster-" + port,
                List.of("redis-server", node.resolve("redis.conf").toString()), node, Map.of(),
                node.resolve("redis.out")));
    }

    private void awaitPing(int port) {
        ChildProcess process = nodes.get(port);
        Deadline.await(Duration.ofSeconds(10), "cluster node " + port + " to answer PING", () -> {
            process.checkAlive();
            try (Jedis jedis = connect(port)) {
                return "PONG".equals(jedis.ping());
            }
        });
    }

    /**
     * Waits until the cluster is whole: every node that runs answers {@code cluster_state:ok}
     * with all 16384 slots served and marks none of the running nodes failed; there are as many masters as at the start, each with at least
     * one replica whose link to it is up and which it counts as good; every other running node is
     * a replica of one of them, in that node's view too; and a write on each master, followed by {@code WAIT 1 1000} on the same
     * connection, is acknowledged by a replica (a replica still loading its resync looks good
     * before it acknowledges anything).
     */
    public void awaitHealthy(Duration limit) {
        Deadline.await(limit, "the Redis Cluster to be whole (state ok, " + masters
                + " masters, each with a replica that acknowledges)", this::healthy);
    }

    private boolean healthy() {
        List<Integer> running = runningPorts();
        for (int port : running) {
            try (Jedis jedis = connect(port)) {
                String info = jedis.clusterInfo();
                if (!"ok".equals(RedisSentinelGroup.infoField(info, "cluster_state"))
                        || !String.valueOf(SLOTS).equals(RedisSentinelGroup.infoField(info, "cluster_slots_ok"))) {
                    return false;
                }
                // a node started again is still marked failed by the others for a moment
                if (Node.parseAll(jedis.clusterNodes()).stream().anyMatch(n -> n.failed() && running.contains(n.port()))) {
                    return false;
                }
            }
        }
        List<Node> view = view();
        List<Node> serving = view.stream().filter(Node::servingMaster).toList();
        if (serving.size() != masters) {
            return false;
        }
        // and the view replicaOf reads agrees: each master has a replica not marked failed
        for (Node master : serving) {
            if (view.stream().noneMatch(n -> !n.master() && !n.failed() && master.id().equals(n.masterId()))) {
                return false;
            }
        }
        for (int port : runningPorts()) {
            Node node = view.stream().filter(n -> n.port() == port).findFirst().orElse(null);
            if (node == null) {
                return false;
            }
            try (Jedis jedis = connect(port)) {
                String replication = jedis.info("replication");
                String role = RedisSentinelGroup.infoField(replication, "role");
                if (node.servingMaster()) {
                    if (!"master".equals(role)
                            || Integer.parseInt(RedisSentinelGroup.infoField(replication, "min_slaves_good_slaves")) < 1) {
                        return false;
                    }
                    jedis.set(probeKey(node), String.valueOf(System.nanoTime()));
                    if (jedis.waitReplicas(1, 1000) < 1) {
                        return false;
                    }
                } else if (!"slave".equals(role)
                        || !"up".equals(RedisSentinelGroup.infoField(replication, "master_link_status"))
                        // and the view agrees (gossip may not have told every node of every replica yet)
                        || node.master() || node.failed()
                        || serving.stream().noneMatch(master -> master.id().equals(node.masterId()))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A key whose slot {@code master} serves: {@code rush:test:{N}:health-probe} for the first N that fits. */
    private static String probeKey(Node master) {
        for (int n = 0; n < 100_000; n++) {
            String tag = "{" + n + "}";
            if (master.serves(JedisClusterCRC16.getSlot(tag))) {
                return "rush:test:" + tag + ":health-probe";
            }
        }
        throw new IllegalStateException("no hash tag found for the slots of master " + master.port());
    }

    /** Every node as {@code host:port}, comma-separated: the seeds a cluster client is given. */
    public String seeds() {
        return String.join(",", nodes.keySet().stream().map(port -> HOST + ":" + port).toList());
    }

    /** The nodes' (and the sale tool's) settings for this cluster: every node as a seed, the ACL user rush-node. */
    public Map<String, String> settings() {
        return with(users.node());
    }

    /** The order writer's settings for this cluster: the ACL user rush-writer. */
    public Map<String, String> writerSettings() {
        return with(users.writer());
    }

    private Map<String, String> with(Map<String, String> user) {
        Map<String, String> settings = new LinkedHashMap<>(Map.of("rush.redis.mode", "cluster",
                "rush.redis.cluster", seeds()));
        settings.putAll(user);
        return Map.copyOf(settings);
    }

    /** The passwords of the cluster's users. */
    public RedisUsers users() {
        return users;
    }

    /** Every node's port, masters and replicas, in the order they were created (the masters first). */
    public List<Integer> ports() {
        return List.copyOf(nodes.keySet());
    }

    /** The masters that serve slots now, as a running node sees the cluster. */
    public List<Integer> masterPorts() {
        return view().stream().filter(Node::servingMaster).map(Node::port).sorted().toList();
    }

    /** The port of the master that serves {@code key}'s slot now; fails if none does (mid-failover). */
    public int masterOf(String key) {
        int slot = JedisClusterCRC16.getSlot(key);
        return view().stream().filter(n -> n.servingMaster() && n.serves(slot)).map(Node::port).findFirst()
                .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot + " of " + key
                        + " now"));
    }

    /** The port of a replica of the master on {@code masterPort} that is not marked failed. */
    public int replicaOf(int masterPort) {
        return replicasOf(masterPort).stream().findFirst()
                .orElseThrow(() -> new IllegalStateException("master " + masterPort + " has no replica now"));
    }

    /** The ports of the replicas of the master on {@code masterPort} not marked failed, as a running node sees them. */
    public List<Integer> replicasOf(int masterPort) {
        List<Node> view = view();
        Node master = view.stream().filter(n -> n.port() == masterPort && n.master()).findFirst()
                .orElseThrow(() -> new IllegalStateException(masterPort + " is not a master now"));
        return view.stream().filter(n -> !n.master() && !n.failed() && master.id().equals(n.masterId()))
                .map(Node::port).sorted().toList();
    }

    /** SIGKILL of the node on {@code port}, as a crash would; returns once it is gone. */
    public void kill9(int port) {
        process(port).kill();
    }

    /**
     * Starts the node on {@code port} again with its own config and folder; from its nodes.conf it
     * rejoins the cluster by itself (a master that failed over, as its successor's replica).
     */
    public void restart(int port) {
        if (process(port).isAlive()) {
            return;
        }
        launch(port);
        awaitPing(port);
    }

    /** Whether the node on {@code port} runs. */
    public boolean running(int port) {
        return process(port).isAlive();
    }

    private ChildProcess process(int port) {
        ChildProcess process = nodes.get(port);
        if (process == null) {
            throw new IllegalArgumentException("no cluster node on port " + port + " (nodes: " + ports() + ")");
        }
        return process;
    }

    private List<Integer> runningPorts() {
        return nodes.entrySet().stream().filter(e -> e.getValue() != null && e.getValue().isAlive())
                .map(Map.Entry::getKey).toList();
    }

    /** A connection to the node on {@code port} as the operator (every command; 2 s timeouts); the caller closes it. */
    public Jedis connect(int port) {
        return connect(port, 2000);
    }

    /** As {@link #connect(int)}, reads waiting up to {@code timeoutMillis}. */
    public Jedis connect(int port, int timeoutMillis) {
        return new Jedis(new HostAndPort(HOST, port), users.adminClient(timeoutMillis));
    }

    /** How long {@code --cluster create} and the first {@link #awaitHealthy} took, for a test's output. */
    public String startTimes() {
        return "cluster create " + createMillis + " ms, healthy " + healthyMillis + " ms later";
    }

    /** Every node's log, for a failed test's output. */
    public String logs() {
        StringBuilder out = new StringBuilder();
        for (int port : nodes.keySet()) {
            Path log = nodeDir(port).resolve("redis.log");
            try {
                out.append("---- node ").append(port).append('\n')
                        .append(Files.exists(log) ? Files.readString(log) : "(no log)\n");
            } catch (IOException e) {
                out.append("(cannot read ").append(log).append(": ").append(e).append(")\n");
            }
        }
        return out.toString();
    }

    /** The cluster as the first running node that answers {@code CLUSTER NODES} sees it. */
    private List<Node> view() {
        RuntimeException last = null;
        for (int port : runningPorts()) {
            try (Jedis jedis = connect(port)) {
                return Node.parseAll(jedis.clusterNodes());
            } catch (RuntimeException e) {
                last = e;
            }
        }
        throw new IllegalStateException("no cluster node answered CLUSTER NODES", last);
    }

    /** Kills every node it started (SIGKILL, by PID) and deletes its folder; safe to call again. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Runnable> steps = new ArrayList<>();
        for (ChildProcess process : nodes.values()) {
            if (process != null) {
                steps.add(process::kill);
            }
        }
        steps.add(() -> TempFiles.deleteRecursively(dir));
        RuntimeException failure = Steps.runAll(steps);
        if (failure != null) {
            throw failure;
        }
    }

    /** One line of {@code CLUSTER NODES}: id, port, flags, its master's id, and the slot ranges it serves. */
    private record Node(String id, int port, String flags, String masterId, List<int[]> slots) {
        static List<Node> parseAll(String text) {
            List<Node> all = new ArrayList<>();
            for (String line : text.split("\r?\n")) {
                if (!line.isBlank()) {
                    all.add(parse(line.trim()));
                }
            }
            return all;
        }

        /** {@code <id> <ip:port@bus[,hostname]> <flags> <master|-> <ping> <pong> <epoch> <link> <slot>...} */
        static Node parse(String line) {
            String[] f = line.split(" ");
            String address = f[1].split("@")[0];
            int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
            List<int[]> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot migrating or importing
                }
                String[] range = f[i].split("-");
                int from = Integer.parseInt(range[0]);
                slots.add(new int[] {from, range.length > 1 ? Integer.parseInt(range[1]) : from});
            }
            return new Node(f[0], port, f[2], f[3], slots);
        }

        boolean master() {
            return flags.contains("master");
        }

        boolean failed() {
            return flags.contains("fail");
        }

        /** A master not marked failed (or suspected) that serves slots. */
        boolean servingMaster() {
            return master() && !failed() && !slots.isEmpty();
        }

        boolean serves(int slot) {
            return slots.stream().anyMatch(r -> r[0] <= slot && slot <= r[1]);
        }
    }
}
