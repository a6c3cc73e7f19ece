package io.ticketrush.chaos;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.ticketrush.settings.NodeSettings;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.NamespaceHosts;
import io.ticketrush.support.NetHost;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment on separate hosts (issue 12 C), simulated on this machine with network namespaces
 * ({@link NamespaceHosts}): Nginx on one host, two nodes on each of hosts "b" (weights 1, 2) and
 * "c" (3, 4), Redis and the order writer on a fourth, every part listening on its own host's
 * address and reaching the others at theirs, as on separate machines (docs/hosts.md). One sale
 * through Nginx, every second buyer anonymous, with two faults while tickets are left:
 *
 * <ol>
 *   <li>host b loses its link to Redis, silently (iptables DROP both ways inside b), while Nginx
 *       still reaches it. Buyers sent straight to b's nodes meanwhile must be answered 503, never
 *       "sold out", each within the Redis timeout plus the lock wait; host c sells on; once the
 *       link is back b sells again.</li>
 *   <li>Nginx loses its link to the weight-4 node (a TCP reset from Nginx's host for each packet it
 *       sends there): Nginx routes around it, and no buyer waits longer than a node may take.</li>
 * </ol>
 *
 * The sale must end as every chaos sale does (see {@link SaleResult}): sold == total, every ticket
 * answered one order of its buyer in Redis and in the database, nothing oversold, duplicated or
 * sold behind a 503, no early "sold out". Skipped, saying why, where network namespaces cannot be
 * made (not root).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MultiHostIT {
    static final int STOCK = 400;
    static final int USERS = 2 * STOCK;
    static final int CLIENTS = 40;
    /** New buyers a second until the stock is gone: both faults come while tickets are left. */
    static final int ARRIVALS = 40;
    static final int MAX_TRIES = 100;
    /** The first fault comes once this much is sold. */
    static final double FAULT_AT = 0.15;
    /** How long host b stays cut off Redis: the fault itself, not a wait for a condition. */
    static final Duration REDIS_CUT = Duration.ofSeconds(3);
    static final Duration SALE_LIMIT = TimeScale.of(Duration.ofMinutes(2));
    /** The nodes run with the product's defaults. */
    static final NodeSettings DEFAULTS = NodeSettings.from(name -> null);
    /**
     * The longest a node cut off Redis may take to answer: a buyer waits at most the lock wait for
     * its turn, its batch's Redis call at most the Redis timeout, and the call's void, tried before
     * its buyers hear 503, at most the Redis timeout again; plus 1 s for two shared cores (each
     * bound here stretched by {@link TimeScale}, 1 by default, on a slow machine).
     */
    static final long ANSWER_LIMIT_MS = TimeScale.ms(DEFAULTS.lockWaitMillis()
            + 2L * DEFAULTS.store().redis().timeoutMillis() + 1000);
    /**
     * Once the link is back, b sells within the circuit breaker's open period (the probe that
     * closes it), the lock wait, and the 1 s of two shared cores.
     */
    static final long RESUME_LIMIT_MS = TimeScale.ms(DEFAULTS.store().breakerOpenMillis() + DEFAULTS.lockWaitMillis()
            + 1000);
    /**
     * How Nginx loses the weight-4 node: REJECT (a reset at once) in {@code mvn verify};
     * {@code -Drush.multihost.nginx.cut=drop} makes it silent, to measure what that costs
     * (docs/hosts.md).
     */
    static final NamespaceHosts.CutKind NGINX_CUT = NamespaceHosts.CutKind.valueOf(
            System.getProperty("rush.multihost.nginx.cut", "reject").toUpperCase(Locale.ROOT));
    /**
     * How long a buyer may wait once Nginx lost a node. A reset: Nginx sends the request to the
     * next node at once, so as long as a node may take. Silent: a request Nginx sent on a kept-alive
     * connection waits out its proxy_read_timeout (10 s, nginx-conf/nginx.conf), plus 1 s.
     */
    static final long AFTER_NGINX_CUT_LIMIT_MS = NGINX_CUT == NamespaceHosts.CutKind.REJECT ? ANSWER_LIMIT_MS
            : TimeScale.ms(10_000 + 1000);

    private static Path shared;
    private static Path baseTemplate;
    private static Path writerApp;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    @TempDir
    Path dir;

    /** One buy sent straight to a node of b while b is cut off Redis; times on the buyers' clock. */
    record Probe(int node, long startMs, long endMs, int status, Integer code, String body) {
        long millis() {
            return endMs - startMs;
        }

        boolean unavailable() {
            return status == 503 && code != null && code == 0;
        }
    }

    /** What the two faults did and when (ms on the buyers' clock). */
    record Faults(long redisCutAt, long redisCutEnd, long redisHealedAt, long soldAtRedisCut, long soldAtRedisHeal,
            List<Probe> probes, long nginxCutAt, long soldAtNginxCut) {
    }

    @BeforeAll
    static void prepare() throws IOException {
        ChaosCluster.requireNoRushEnvironment();
        shared = Files.createTempDirectory("rush-multihost-");
        baseTemplate = ChaosCluster.prepareJettyBase(shared.resolve("jetty-base"));
        writerApp = ChaosCluster.unpackWar(shared.resolve("writer-app"));
    }

    @AfterAll
    static void cleanUp() {
        TempFiles.deleteRecursively(shared);
    }

    @Test
    void a_sale_on_four_hosts_sells_exactly_while_a_node_host_loses_redis_and_nginx_loses_a_node() throws Exception {
        try (NamespaceHosts hosts = NamespaceHosts.create("nginx", "b", "c", "redis")) {
            NetHost b = hosts.host("b");
            NetHost c = hosts.host("c");
            NetHost redis = hosts.host("redis");
            ChaosCluster.Placement placement = new ChaosCluster.Placement(hosts.host("nginx"), redis, redis,
                    List.of(b, b, c, c));
            try (ChaosCluster cluster = ChaosCluster.start(dir, STOCK, baseTemplate, writerApp, logs, placement)) {
                sell(hosts, cluster, placement);
            }
        }
    }

    private void sell(NamespaceHosts hosts, ChaosCluster cluster, ChaosCluster.Placement placement) throws Exception {
        NetHost b = hosts.host("b");
        List<ChaosCluster.Node> onB = cluster.nodes().stream().filter(node -> node.host.equals(b)).toList();
        ChaosCluster.Node four = cluster.nodeOfWeight(4);
        Buyers buyers = new Buyers(cluster.uri("/buy/ticket"), USERS, "mh-", CLIENTS, MAX_TRIES);
        long clockZeroWallMs = System.currentTimeMillis() - buyers.now();
        buyers.pace(ARRIVALS);
        ExecutorService faultThread = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "faults"));
        Faults faults;
        List<Buyers.Buyer> answered;
        try {
            Future<Faults> injecting = faultThread.submit(() -> {
                try {
                    return injectFaults(hosts, cluster, placement, buyers, onB, four);
                } finally {
                    buyers.pace(0);
                }
            });
            answered = buyers.run(SALE_LIMIT);
            faults = awaitFaults(injecting);
        } finally {
            faultThread.shutdownNow();
        }

        ChaosIT.awaitWriterCaughtUp(cluster);
        long writerCaughtUp = buyers.now();
        Map<String, SaleResult.RedisOrder> redisOrders = new HashMap<>();
        long[] soldAndLast = ChaosIT.redisState(cluster, redisOrders);
        assertTrue(cluster.stopWriter(), "the order writer stops on SIGTERM");
        Map<String, String> dbOrders = ChaosIT.dbOrders(cluster.dbUrl());
        cluster.stopNodes();
        List<SaleResult.LogLine> lines = new ArrayList<>();
        int malformed = ChaosIT.readStatLog(cluster.statLog(), lines);
        Map<String, Set<Integer>> retries = ChaosIT.nginxRetries(cluster.nginxErrorLog());
        // a failure is reported once the cluster is gone: keep Nginx's error log for it
        Path nginxLog = dir.resolve("nginx-error.log");
        if (Files.exists(cluster.nginxErrorLog())) {
            Files.copy(cluster.nginxErrorLog(), nginxLog);
        }
        logs.watch("nginx", () -> ChaosCluster.read(nginxLog));
        SaleResult.Window window = new SaleResult.Window(faults.redisCutAt(), faults.redisHealedAt(),
                "host b cut off Redis (DROP) " + REDIS_CUT.toMillis() + " ms; then Nginx cut off node " + four.port
                        + " (" + NGINX_CUT + ")", false, -1, four.port);
        SaleResult sale = new SaleResult("multi-host", STOCK, answered, window, new SaleResult.Limits(
                RESUME_LIMIT_MS, 0, "checked per host below"), soldAndLast[0], redisOrders, dbOrders, lines, malformed,
                true, retries, clockZeroWallMs, soldAndLast[1], true, writerCaughtUp);
        System.out.println("multi-host: " + sale.details());
        verify(sale, faults, onB, four);
    }

    /** Fault 1 once {@link #FAULT_AT} is sold, then fault 2 as soon as b sells again; the second lasts to the end. */
    private static Faults injectFaults(NamespaceHosts hosts, ChaosCluster cluster, ChaosCluster.Placement placement,
            Buyers buyers, List<ChaosCluster.Node> onB, ChaosCluster.Node four) throws Exception {
        long trigger = (long) Math.ceil(STOCK * FAULT_AT);
        Deadline.await(SALE_LIMIT, trigger + " tickets sold", () -> ChaosIT.sold(cluster) >= trigger);

        long soldAtRedisCut = ChaosIT.sold(cluster);
        NamespaceHosts.Cut cut = hosts.cut(onB.get(0).host, placement.redis(), cluster.redis().port(),
                NamespaceHosts.CutKind.DROP);
        // the fault's window: from the moment the rules are in until the moment before they go
        long redisCutAt = buyers.now();
        long redisCutEnd;
        List<Probe> probes;
        try (cut) {
            long until = redisCutAt + REDIS_CUT.toMillis();
            List<CompletableFuture<List<Probe>>> probing = onB.stream()
                    .map(node -> CompletableFuture.supplyAsync(() -> probe(node, buyers, until))).toList();
            probes = probing.stream().flatMap(future -> future.join().stream()).toList();
            redisCutEnd = buyers.now();
        }
        long redisHealedAt = buyers.now();
        long soldAtRedisHeal = ChaosIT.sold(cluster);
        Deadline.await(TimeScale.of(Duration.ofSeconds(20)), "a node of host b to answer a buyer again once its link"
                + " to Redis was back", () -> onB.stream().anyMatch(node -> buyers.lastAnswerFrom(node.port) > redisHealedAt));

        long soldAtNginxCut = ChaosIT.sold(cluster);
        // healed when the namespaces are removed, after the sale has been checked
        hosts.cut(placement.nginx(), four.host, four.port, NGINX_CUT);
        long nginxCutAt = buyers.now();
        Deadline.await(SALE_LIMIT, "every ticket sold", () -> ChaosIT.sold(cluster) >= STOCK);
        return new Faults(redisCutAt, redisCutEnd, redisHealedAt, soldAtRedisCut, soldAtRedisHeal, probes, nginxCutAt,
                soldAtNginxCut);
    }

    /**
     * Buys straight from {@code node} one at a time until {@code untilMs}, each a new named buyer,
     * each sent once on a connection of its own; 50 ms apart, so a node failing fast is not flooded.
     */
    private static List<Probe> probe(ChaosCluster.Node node, Buyers buyers, long untilMs) {
        List<Probe> probes = new ArrayList<>();
        for (int i = 0; buyers.now() < untilMs; i++) {
            long start = buyers.now();
            HttpCall.Answer answer = HttpCall.getOnce(node.uri("/buy/ticket?user=probe-" + node.port + "-" + i));
            probes.add(new Probe(node.port, start, buyers.now(), answer.status(), answer.code(), answer.body()));
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return probes;
    }

    private static Faults awaitFaults(Future<Faults> injecting) throws Exception {
        try {
            return injecting.get(SALE_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static void verify(SaleResult sale, Faults faults, List<ChaosCluster.Node> onB, ChaosCluster.Node four) {
        Set<Integer> bPorts = Set.copyOf(onB.stream().map(node -> node.port).toList());
        List<Buyers.Attempt> attempts = sale.buyers.stream().flatMap(buyer -> buyer.attempts().stream()).toList();

        // fault 1: b cut off Redis
        List<Probe> probes = faults.probes();
        List<Probe> notUnavailable = probes.stream().filter(probe -> !probe.unavailable()).toList();
        long slowestProbe = probes.stream().mapToLong(Probe::millis).max().orElse(-1);
        Map<Integer, Long> firstProbe = new HashMap<>();
        probes.forEach(probe -> firstProbe.putIfAbsent(probe.node(), probe.millis()));
        long slowestDuringCut = longest(attempts, a -> a.startMs() >= faults.redisCutAt()
                && a.startMs() < faults.redisCutEnd());
        long soldByCDuringCut = attempts.stream().filter(a -> a.ticket() && !a.existing() && a.node() != null
                && !bPorts.contains(a.node()) && a.startMs() >= faults.redisCutAt()
                && a.endMs() <= faults.redisCutEnd()).count();
        List<Buyers.Attempt> bAnswered = attempts.stream().filter(a -> a.node() != null && bPorts.contains(a.node())
                && a.startMs() >= faults.redisCutAt() && a.endMs() <= faults.redisCutEnd()).toList();
        long bAnswersDuringCut = bAnswered.size();
        // a node answers buyers (a ticket, or sold out) only once it reaches Redis again
        long resumed = attempts.stream().filter(a -> a.node() != null && bPorts.contains(a.node())
                && a.endMs() > faults.redisHealedAt()).mapToLong(Buyers.Attempt::endMs).min().orElseThrow()
                - faults.redisHealedAt();

        // fault 2: Nginx cut off the weight-4 node
        long fromFourAfterCut = attempts.stream().filter(a -> a.node() != null && a.node() == four.port
                && a.startMs() > faults.nginxCutAt()).count();
        long lastFromFour = attempts.stream().filter(a -> a.node() != null && a.node() == four.port)
                .mapToLong(Buyers.Attempt::endMs).max().orElse(-1) - faults.nginxCutAt();
        long slowestAfterNginxCut = longest(attempts, a -> a.startMs() >= faults.nginxCutAt());
        long slowestRightAfterNginxCut = longest(attempts, a -> a.startMs() >= faults.nginxCutAt()
                && a.startMs() < faults.nginxCutAt() + 2000);
        long retriedOffFour = sale.nginxRetries.values().stream().filter(ports -> ports.contains(four.port)).count();

        System.out.printf("multi-host: host b cut off Redis (DROP) at %d ms with %d of %d sold, for %d ms: %d buys"
                + " sent straight to its nodes, all 503: %s; first answers %s ms, slowest %d ms (limit %d); %d answers"
                + " from b's nodes through Nginx; host c sold %d tickets meanwhile; the slowest answer through Nginx"
                + " %d ms; %d sold at the heal; b answered again %d ms after the heal (limit %d)%n",
                faults.redisCutAt(), faults.soldAtRedisCut(), STOCK, faults.redisCutEnd() - faults.redisCutAt(),
                probes.size(), notUnavailable.isEmpty(), firstProbe, slowestProbe, ANSWER_LIMIT_MS, bAnswersDuringCut,
                soldByCDuringCut, slowestDuringCut, faults.soldAtRedisHeal(), resumed, RESUME_LIMIT_MS);
        System.out.printf("multi-host: Nginx cut off node %d (%s) at %d ms with %d of %d sold: its last answer"
                + " came %d ms after the cut, %d answers from it to buys sent after; Nginx retried %d requests off it;"
                + " slowest answer in the 2 s after the cut %d ms, after it at all %d ms (limit %d)%n", four.port,
                NGINX_CUT, faults.nginxCutAt(), faults.soldAtNginxCut(), STOCK, lastFromFour, fromFourAfterCut,
                retriedOffFour, slowestRightAfterNginxCut, slowestAfterNginxCut, AFTER_NGINX_CUT_LIMIT_MS);

        // every check of a chaos sale (SaleResult.checks), and more of this one
        List<Executable> checks = new ArrayList<>(sale.checks());
        checks.addAll(List.of(
                () -> assertEquals(STOCK, sale.sold, () -> sale.why("sold == total")),
                // stricter than a chaos sale: no buyer told of an order late at all (none was, so far)
                () -> assertEquals(0, sale.revealedLate, () -> sale.why("named buyers holding an order sold to a"
                        + " request of theirs answered 503 or an error (I7)")),
                () -> assertTrue(faults.soldAtNginxCut() < STOCK, "tickets were left when Nginx's link was cut"),

                () -> assertTrue(probes.size() >= 2 * onB.size(), "b's nodes were asked at least twice each while"
                        + " cut off Redis: " + probes),
                () -> assertEquals(List.of(), notUnavailable, "b's nodes, cut off Redis, answered every buy 503"
                        + " (code 0), never a ticket, never sold out"),
                () -> assertTrue(slowestProbe <= ANSWER_LIMIT_MS, "b's nodes answered within " + ANSWER_LIMIT_MS
                        + " ms while cut off Redis (lock wait + Redis timeout + the void's + 1 s): slowest " + slowestProbe
                        + " ms"),
                () -> assertTrue(slowestDuringCut <= ANSWER_LIMIT_MS, "no buyer through Nginx waited more than "
                        + ANSWER_LIMIT_MS + " ms while b was cut off Redis: slowest " + slowestDuringCut + " ms"),
                () -> assertEquals(0, bAnswersDuringCut, () -> "b's nodes answered no buyer through Nginx with a"
                        + " ticket or sold out while cut off Redis (" + faults.redisCutAt() + "-"
                        + faults.redisCutEnd() + " ms); the first of them: " + bAnswered.stream().limit(10).toList()),
                () -> assertTrue(soldByCDuringCut > 0, "host c sold while b was cut off Redis"),
                () -> assertTrue(resumed <= RESUME_LIMIT_MS, "b answered buyers again within " + RESUME_LIMIT_MS
                        + " ms of its link to Redis coming back: took " + resumed + " ms"),

                () -> assertEquals(0, fromFourAfterCut, "no buy sent after Nginx lost node " + four.port
                        + " was answered by it"),
                () -> assertTrue(slowestAfterNginxCut <= AFTER_NGINX_CUT_LIMIT_MS, "Nginx routed around node "
                        + four.port + " without a buyer waiting more than " + AFTER_NGINX_CUT_LIMIT_MS + " ms: slowest "
                        + slowestAfterNginxCut + " ms")));
        assertAll("multi-host sale", checks.stream());
    }

    private static long longest(List<Buyers.Attempt> attempts, Predicate<Buyers.Attempt> which) {
        return attempts.stream().filter(which).mapToLong(Buyers.Attempt::millis).max().orElse(0);
    }
}
