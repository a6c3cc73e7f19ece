package io.ticketrush.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import com.google.gson.JsonElement;
import io.ticketrush.redis.RedisStore;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import io.ticketrush.support.ChildProcess;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.Distributions;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.NetHost;
import io.ticketrush.support.NginxServer;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisClusterGroup;
import io.ticketrush.support.RedisConf;
import io.ticketrush.support.RedisSentinelGroup;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.Steps;
import io.ticketrush.support.TimeScale;
import redis.clients.jedis.Jedis;

/**
 * The deployment as {@code ./rush up} runs it, every part a child process of the test JVM:
 * Redis with its append-only file (or, replicated, {@code ./rush up --redis sentinel}'s primary,
 * two replicas and three Sentinels: {@link RedisSentinelGroup}; or {@code ./rush up --redis
 * cluster}'s Redis Cluster of three masters, two replicas each: {@link RedisClusterGroup}), the
 * packaged WAR on four Jetty distribution processes
 * (weights 1..4, one shared stat.log), Nginx from the project's template, and the order writer
 * running from the WAR's own classes against an H2 file. Each part can be killed and started
 * again by its own process handle. All on loopback, or each part on a host of its own
 * ({@link Placement}).
 */
final class ChaosCluster implements AutoCloseable {
    static final String STOCK_KEY = "ticket_hash_key";
    static final int[] WEIGHTS = {1, 2, 3, 4};
    static final String WRITER_NAME = "writer-1";
    /**
     * The nodes' admin token, in a file of their own ({@code rush.admin.token.file}: a node refuses
     * it as {@code -D}): {@link #createSale(String, int, int)} goes through {@code /admin/sales}.
     */
    static final String ADMIN_TOKEN = "chaos-admin-token-0123456789";
    /** How long a node may take to deploy the WAR and answer (stretched by TimeScale on a loaded machine). */
    private static final Duration START_LIMIT = TimeScale.of(Duration.ofSeconds(120));

    /** Which Redis the parts run on. */
    private enum RedisSetup {
        SINGLE, SENTINEL, CLUSTER
    }

    /**
     * The host each part runs on and listens at: Nginx, Redis, the order writer, and each node
     * (in the order of {@link #WEIGHTS}).
     */
    record Placement(NetHost nginx, NetHost redis, NetHost writer, List<NetHost> nodes) {
        static final Placement LOOPBACK = new Placement(NetHost.LOOPBACK, NetHost.LOOPBACK, NetHost.LOOPBACK,
                Collections.nCopies(WEIGHTS.length, NetHost.LOOPBACK));

        Placement {
            if (nodes.size() != WEIGHTS.length) {
                throw new IllegalArgumentException(WEIGHTS.length + " nodes need a host each, not " + nodes.size());
            }
        }
    }

    /** One Jetty distribution process serving the WAR. */
    final class Node {
        final int index;
        final NetHost host;
        final int port;
        /** Its admin connector's port, on its own address (a test on another host reaches it there). */
        final int adminPort;
        final int weight;
        final Path base;
        ChildProcess process;
        private int starts;

        Node(int index, NetHost host, int port, int weight, Path base) {
            this.index = index;
            this.host = host;
            this.port = port;
            this.adminPort = FreePort.find();
            this.weight = weight;
            this.base = base;
        }

        void start() {
            starts++;
            String name = "jetty-" + port + (starts > 1 ? "-start" + starts : "");
            List<String> command = new ArrayList<>(List.of(Distributions.java().toString(), "-Xms128m", "-Xmx512m",
                    "-Djava.io.tmpdir=" + base.resolve("tmp")));
            // the node's ACL user and its password file, as ./rush gives them
            redisSettings().forEach((setting, value) -> command.add("-D" + setting + "=" + value));
            command.addAll(List.of(
                    "-Drush.stock.key=" + STOCK_KEY,
                    "-Drush.stock.total=" + total,
                    "-Drush.node.port=" + port,
                    "-Drush.node.weight=" + weight,
                    "-Drush.node.weights.total=10",
                    "-Drush.statlog=" + statLog,
                    "-Drush.sync.ms=200",
                    "-Drush.admin.port=" + adminPort,
                    "-Drush.admin.host=" + host.address(),
                    "-Drush.admin.token.file=" + adminTokenFile(),
                    "-Drush.admin.audit=" + dir.resolve("admin-audit-" + port + ".log"),
                    "-jar", jettyHome.resolve("start.jar").toString(),
                    "jetty.home=" + jettyHome, "jetty.base=" + base,
                    "jetty.http.host=" + host.address(), "jetty.http.port=" + port,
                    "jetty.http.acceptQueueSize=4096"));
            process = ChildProcess.start(name, host.command(command), base, Map.of(), dir.resolve(name + ".log"));
            logs.watch(name + ".log", process::log);
        }

        void awaitUp() {
            URI stock = uri("/stock");
            Deadline.await(START_LIMIT, "node " + port + " to deploy the WAR and answer " + stock, () -> {
                process.checkAlive();
                return HttpCall.answers200(stock);
            });
        }

        /** SIGKILL, as a machine dying would. */
        void kill() {
            process.kill();
        }

        /**
         * SIGSTOP: the node hangs as a stalled machine would, its requests in hand unanswered and
         * its connections open; Nginx still sends it requests (the kernel accepts them).
         */
        void freeze() {
            signal("STOP");
        }

        /** SIGCONT after {@link #freeze()}. */
        void thaw() {
            signal("CONT");
        }

        private void signal(String name) {
            ChildProcess.Result sent = ChildProcess.run(List.of("kill", "-" + name, String.valueOf(process.pid())),
                    Duration.ofSeconds(10));
            if (sent.exitCode() != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: " + sent.output());
            }
        }

        /** This node straight, not through Nginx. */
        URI uri(String path) {
            return host.uri(port, path);
        }

        /** {@code path} on this node's admin connector. */
        URI adminUri(String path) {
            return host.uri(adminPort, path);
        }

        boolean alive() {
            return process != null && process.isAlive();
        }
    }

    private final Path dir;
    private final int total;
    private final PrintLogsOnFailure logs;
    private final Path jettyHome;
    private final Path statLog;
    private final Path dbDir;
    private final Path writerApp;
    private final List<Node> nodes = new ArrayList<>();
    private RedisServer redis;
    /** The replicated Redis instead of {@link #redis}, or null. */
    private RedisSentinelGroup group;
    /** The Redis Cluster instead of {@link #redis}, or null. */
    private RedisClusterGroup redisCluster;
    /** Its nodes' logs as they were when it was closed (its folder goes with it), or null. */
    private volatile String redisClusterLogs;
    /** The replicated Redis's logs as they were when it was closed (its folder goes with it), or null. */
    private volatile String groupLogs;
    private NginxServer nginx;
    private ChildProcess writer;
    private int writerStarts;

    private final Placement placement;

    private ChaosCluster(Path dir, int total, PrintLogsOnFailure logs, Path writerApp, Placement placement) {
        this.dir = dir;
        this.total = total;
        this.logs = logs;
        this.placement = placement;
        this.jettyHome = Distributions.jettyHome();
        this.statLog = dir.resolve("logs/stat.log");
        this.dbDir = dir.resolve("orders");
        this.writerApp = writerApp;
    }

    /**
     * Starts everything for a sale of {@code total} tickets, in {@code dir}. {@code baseTemplate}
     * is a jetty.base with the server, http and ee10-deploy modules; {@code writerApp} the WAR's
     * WEB-INF unpacked (see {@link #prepareJettyBase} and {@link #unpackWar}).
     */
    static ChaosCluster start(Path dir, int total, Path baseTemplate, Path writerApp, PrintLogsOnFailure logs) {
        return start(dir, total, baseTemplate, writerApp, logs, Placement.LOOPBACK);
    }

    /** As {@link #start(Path, int, Path, Path, PrintLogsOnFailure)}, each part on its host of {@code placement}. */
    static ChaosCluster start(Path dir, int total, Path baseTemplate, Path writerApp, PrintLogsOnFailure logs,
            Placement placement) {
        return launch(new ChaosCluster(dir, total, logs, writerApp, placement), baseTemplate, RedisSetup.SINGLE);
    }

    /**
     * As {@link #start(Path, int, Path, Path, PrintLogsOnFailure)}; {@code replicated}: on a primary
     * with two replicas, found through three Sentinels ({@link RedisSentinelGroup}).
     */
    static ChaosCluster start(Path dir, int total, Path baseTemplate, Path writerApp, PrintLogsOnFailure logs,
            boolean replicated) {
        return launch(new ChaosCluster(dir, total, logs, writerApp, Placement.LOOPBACK), baseTemplate,
                replicated ? RedisSetup.SENTINEL : RedisSetup.SINGLE);
    }

    /**
     * As {@link #start(Path, int, Path, Path, PrintLogsOnFailure)}, on a Redis Cluster of three
     * masters with two replicas each ({@link RedisClusterGroup}); sales other than the article's are
     * made with {@link #createSale}.
     */
    static ChaosCluster startOnRedisCluster(Path dir, int total, Path baseTemplate, Path writerApp,
            PrintLogsOnFailure logs) {
        return launch(new ChaosCluster(dir, total, logs, writerApp, Placement.LOOPBACK), baseTemplate,
                RedisSetup.CLUSTER);
    }

    private static ChaosCluster launch(ChaosCluster cluster, Path baseTemplate, RedisSetup setup) {
        try {
            cluster.startAll(baseTemplate, setup);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private void startAll(Path baseTemplate, RedisSetup setup) {
        if (setup == RedisSetup.SENTINEL) {
            group = RedisSentinelGroup.start();
            // a failed test's logs are printed after close(), which deletes the group's folder
            logs.watch("the replicated Redis's logs", () -> groupLogs != null ? groupLogs : group.logs());
            group.initStock(STOCK_KEY, total);
        } else if (setup == RedisSetup.CLUSTER) {
            redisCluster = RedisClusterGroup.start(3);
            // a failed test's logs are printed after close(), which deletes the nodes' folders
            logs.watch("the Redis Cluster's logs", () -> redisClusterLogs != null ? redisClusterLogs
                    : redisCluster.logs());
            try (RedisStore store = openStore()) {
                store.admin().reset(Sale.DEFAULT, total);
            }
        } else {
            // the durable setup ./rush up uses (redis-conf/render.sh single); DEBUG is for the slow-Redis scenario
            RedisConf.require(RedisConf.write(dir.resolve("redis-single.conf"), "single", List.of(
                    "--port", "6379", "--bind", "127.0.0.1", "--dir", "/tmp", "--logfile", "/dev/null")),
                    "appendfsync always");
            redis = RedisServer.startOn(placement.redis(), "--appendonly", "yes", "--appendfsync", "always",
                    "--enable-debug-command", "local");
            logs.watch("redis.log", () -> read(redis.dir().resolve("redis.log")));
            redis.initStock(STOCK_KEY, total);
        }
        try {
            Files.createDirectories(statLog.getParent());
            Files.createDirectories(dbDir);
            for (int i = 0; i < WEIGHTS.length; i++) {
                Path base = dir.resolve("jetty-base-" + (i + 1));
                copyTree(baseTemplate, base);
                Files.createDirectories(base.resolve("tmp"));
                Files.copy(Distributions.war(), base.resolve("webapps/ROOT.war"));
                nodes.add(new Node(i, placement.nodes().get(i), distinctPort(), WEIGHTS[i], base));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        startWriter();
        nodes.forEach(Node::start);
        // the four JVMs deploy in parallel; wait for all of them
        CompletableFuture.allOf(nodes.stream().map(node -> CompletableFuture.runAsync(node::awaitUp))
                .toArray(CompletableFuture[]::new)).join();
        awaitWriterUp();
        nginx = NginxServer.start(placement.nginx(), nodes.stream()
                .map(node -> new NginxServer.Upstream(node.host.address(), node.port, node.weight)).toList());
        logs.watch("nginx", nginx::log);
        warmUp();
    }

    /** The JVMs are fresh: a real sale's servers would be warm when it opens. Nothing here sells. */
    private void warmUp() {
        var client = HttpCall.newClient();
        for (int i = 0; i < 200; i++) {
            HttpCall.send(client, "GET", nginx.uri(i % 2 == 0 ? "/noop" : "/stock"));
        }
    }

    void startWriter() {
        writerStarts++;
        String name = "order-writer" + (writerStarts > 1 ? "-start" + writerStarts : "");
        String classpath = writerApp.resolve("WEB-INF/classes") + java.io.File.pathSeparator
                + writerApp.resolve("WEB-INF/lib/*");
        Map<String, String> env = new LinkedHashMap<>();
        writerRedisSettings().forEach((setting, value) -> env.put(setting.toUpperCase().replace('.', '_'), value));
        env.put("RUSH_DB_URL", dbUrl());
        env.put("RUSH_WRITER_NAME", WRITER_NAME);
        writer = ChildProcess.start(name, placement.writer().command(List.of(Distributions.java().toString(),
                "-Xmx256m", "-cp", classpath, "io.ticketrush.writer.OrderWriterMain")), dir, env,
                dir.resolve(name + ".log"));
        logs.watch(name + ".log", writer::log);
    }

    void awaitWriterUp() {
        Deadline.await(START_LIMIT, "the order writer to start", () -> {
            writer.checkAlive();
            return writer.log().contains("order writer " + WRITER_NAME + " up");
        });
    }

    /** SIGKILL the order writer. */
    void killWriter() {
        writer.kill();
    }

    /** SIGTERM the order writer; it finishes the batch in hand. */
    boolean stopWriter() {
        return writer.stop(Duration.ofSeconds(20));
    }

    String dbUrl() {
        return "jdbc:h2:file:" + dbDir.resolve("orders");
    }

    RedisServer redis() {
        return redis;
    }

    /** The replicated Redis (a cluster started {@code replicated}). */
    RedisSentinelGroup group() {
        return group;
    }

    /** The Redis Cluster (started {@link #startOnRedisCluster}). */
    RedisClusterGroup redisCluster() {
        return redisCluster;
    }

    /** How the nodes find Redis (one server, a replicated Redis or a Redis Cluster), as the ACL user rush-node. */
    private Map<String, String> redisSettings() {
        if (redisCluster != null) {
            return redisCluster.settings();
        }
        return group != null ? group.settings() : redis.asNode(Map.of());
    }

    /** How the order writer finds Redis, as the ACL user rush-writer. */
    private Map<String, String> writerRedisSettings() {
        if (redisCluster != null) {
            return redisCluster.writerSettings();
        }
        return group != null ? group.writerSettings() : redis.asWriter(Map.of());
    }

    /** The project's own Redis access, set up as the nodes are (the caller closes it). */
    private RedisStore openStore() {
        Map<String, String> settings = new LinkedHashMap<>(redisSettings());
        settings.put("rush.stock.key", STOCK_KEY);
        return RedisStore.open(StoreSettings.from(settings::get));
    }

    /**
     * Creates sale {@code id} of {@code tickets}, open at once, one ticket a buyer (as the
     * article's), and waits until every node lists it open.
     */
    /** The admin token's file (0600), written once. */
    private Path adminTokenFile() {
        Path file = dir.resolve("admin-token");
        try {
            if (!Files.exists(file)) {
                Files.writeString(file, ADMIN_TOKEN);
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    void createSale(String id, int tickets) {
        try (RedisStore store = openStore()) {
            store.admin().create(new Sale(id, "chaos " + id, tickets, 0, 0, 1, 300_000, 0));
        }
        awaitListedOpen(id);
    }

    /**
     * Creates sale {@code id} of {@code tickets} split into {@code buckets} buckets (a hot sale:
     * bucket b is sale {@code ID--b} in Redis) as an operator does, with {@code POST /admin/sales?...&buckets=K}
     * on a node's admin connector (Nginx never forwards {@code /admin/}); waits until every node lists it open.
     */
    void createSale(String id, int tickets, int buckets) {
        URI create = nodes.get(0).adminUri("/admin/sales?id=" + id + "&stock=" + tickets + "&buckets=" + buckets
                + "&name=chaos-" + id + "&limit=1&pay-within=300&buyers=open");
        HttpRequest request = HttpRequest.newBuilder(create).header("X-Admin-Token", ADMIN_TOKEN)
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> created;
        try {
            created = HttpCall.newClient().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException("POST " + create + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating sale " + id, e);
        }
        if (created.statusCode() != 201) {
            throw new IllegalStateException("POST " + create + " answered " + created.statusCode() + ": "
                    + created.body());
        }
        awaitListedOpen(id);
    }

    private void awaitListedOpen(String id) {
        for (Node node : nodes) {
            URI sales = node.uri("/sales");
            Deadline.await(Duration.ofSeconds(10), "node " + node.port + " to list sale " + id + " open", () -> {
                for (JsonElement sale : HttpCall.get(sales).json().getAsJsonObject("data").getAsJsonArray("sales")) {
                    if (sale.getAsJsonObject().get("id").getAsString().equals(id)) {
                        return "open".equals(sale.getAsJsonObject().get("state").getAsString());
                    }
                }
                return false;
            });
        }
    }

    /** A connection to Redis: the primary now, if replicated; the master of the article's sale, on a Redis Cluster. */
    Jedis redisClient() {
        return redisClient(STOCK_KEY);
    }

    /** A connection to the Redis that holds {@code key}: on a Redis Cluster, the master of its slot now. */
    Jedis redisClient(String key) {
        if (redisCluster != null) {
            return redisCluster.connect(redisCluster.masterOf(key));
        }
        return group != null ? group.primary() : redis.client();
    }

    List<Node> nodes() {
        return nodes;
    }

    Node nodeOfWeight(int weight) {
        return nodes.stream().filter(node -> node.weight == weight).findFirst().orElseThrow();
    }

    boolean anyNodeAlive() {
        return nodes.stream().anyMatch(Node::alive);
    }

    URI uri(String path) {
        return nginx.uri(path);
    }

    Path statLog() {
        return statLog;
    }

    /** Nginx's error log: a line per upstream that failed a request, quoting the request line. */
    Path nginxErrorLog() {
        return nginx.errorLog();
    }

    int total() {
        return total;
    }

    /** Stops the nodes gracefully, so each flushes its stat.log lines; killed ones are gone already. */
    void stopNodes() {
        CompletableFuture.allOf(nodes.stream().filter(Node::alive)
                .map(node -> CompletableFuture.runAsync(() -> node.process.stop(Duration.ofSeconds(20))))
                .toArray(CompletableFuture[]::new)).join();
    }

    @Override
    public void close() {
        List<Runnable> steps = new ArrayList<>();
        if (nginx != null) {
            steps.add(nginx::close);
        }
        steps.add(() -> CompletableFuture.allOf(nodes.stream().filter(node -> node.process != null)
                .map(node -> CompletableFuture.runAsync(() -> node.process.close()))
                .toArray(CompletableFuture[]::new)).join());
        if (writer != null) {
            steps.add(writer::close);
        }
        if (redis != null) {
            steps.add(redis::close);
        }
        if (group != null) {
            steps.add(() -> groupLogs = group.logs());
            steps.add(group::close);
        }
        if (redisCluster != null) {
            steps.add(() -> redisClusterLogs = redisCluster.logs());
            steps.add(redisCluster::close);
        }
        RuntimeException first = Steps.runAll(steps);
        if (first != null) {
            throw first;
        }
    }

    /** The nodes and the writer read RUSH_* before their defaults: a variable left set would change the sale. */
    static void requireNoRushEnvironment() {
        for (Map.Entry<String, String> variable : System.getenv().entrySet()) {
            if (variable.getKey().startsWith("RUSH_") && !variable.getValue().isBlank()) {
                throw new IllegalStateException("environment variable " + variable.getKey() + "=" + variable.getValue()
                        + " would reach the chaos cluster's processes; unset it");
            }
        }
    }

    /** A jetty.base with the modules ./rush uses, made once and copied for each node. */
    static Path prepareJettyBase(Path base) throws IOException {
        return Distributions.newJettyBase(base);
    }

    /**
     * A free port no node of this cluster has: nodes in network namespaces (MultiHostIT) listen in
     * their own namespace, so a port one of them has is still free here and may be found again for
     * another; two nodes with one port would be one node in every answer's {@code node}.
     */
    private int distinctPort() {
        for (;;) {
            int port = FreePort.find();
            if (nodes.stream().noneMatch(node -> node.port == port)) {
                return port;
            }
        }
    }

    /** The WAR's WEB-INF unpacked, as ./rush runs the order writer from it. */
    static Path unpackWar(Path into) throws IOException {
        try (ZipFile war = new ZipFile(Distributions.war().toFile())) {
            for (ZipEntry entry : java.util.Collections.list(war.entries())) {
                if (!entry.getName().startsWith("WEB-INF/") || entry.isDirectory()) {
                    continue;
                }
                Path target = into.resolve(entry.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new IOException("WAR entry outside the folder: " + entry.getName());
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = war.getInputStream(entry)) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        return into;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(no " + file + ")";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
