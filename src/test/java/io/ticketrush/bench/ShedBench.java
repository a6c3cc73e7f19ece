package io.ticketrush.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ticketrush.redis.keys.Keys;
import io.ticketrush.shed.NodeAdmission;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.RedisOrders;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import redis.clients.jedis.Jedis;

/**
 * The issue's own measurement of shedding: {@code ab -n REQUESTS -c CONCURRENCY} straight at ONE
 * node's {@code /buy/ticket}, on the open default sale of 10,000 tickets (fresh before each run),
 * once per admission setting and round, the settings alternating so that the machine's other load
 * falls on all of them alike. The node is an embedded Jetty (port 0) on a redis-server of its own
 * (a free port, {@code appendfsync always} as {@code ./rush up}); the setting is changed between
 * runs as an operator does ({@code POST /admin/shed}). Prints per run: p50, p99, longest, req/s,
 * the 503s ab saw, the node's shed count, and Redis sold == orders == tickets answered.
 *
 * <pre>java -cp ... io.ticketrush.bench.ShedBench ROUNDS REQUESTS CONCURRENCY SETTING...</pre>
 * a SETTING is the query of {@code /admin/shed}, e.g. {@code limit=0} (no bound) or {@code limit=128}, or
 * {@code noop}: the same ab on {@code /noop}, the node's floor on this machine at that moment.
 * Orders are counted without the voided ones (a call answered 503 whose order was voided sold nothing).
 * Run it with {@code ulimit -n 65536}: ab needs a descriptor per connection.
 */
public final class ShedBench {
    private static final String TOKEN = "shed-bench-admin-token";
    private static final String KEY = "ticket_hash_key";
    private static final int STOCK = 10_000;

    private ShedBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: ShedBench ROUNDS REQUESTS CONCURRENCY SETTING...");
            System.exit(2);
        }
        Logger.getLogger("").setLevel(Level.WARNING);
        int rounds = Integer.parseInt(args[0]);
        int requests = Integer.parseInt(args[1]);
        int concurrency = Integer.parseInt(args[2]);
        List<String> settings = List.of(args).subList(3, args.length);
        Path dir = Files.createTempDirectory("rush-shed-bench-");
        try (RedisServer redis = RedisServer.start("--appendonly", "yes", "--appendfsync", "always")) {
            redis.initStock(KEY, STOCK);
            Map<String, String> node = new HashMap<>(redis.asNode(Map.of("rush.stock.total", String.valueOf(STOCK),
                    "rush.node.weight", "10", "rush.node.weights.total", "10",
                    "rush.statlog", dir.resolve("stat.log").toString(), "rush.admin.token", TOKEN,
                    "rush.admin.audit", dir.resolve("audit.log").toString())));
            node.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
            try (EmbeddedNode n = EmbeddedNode.start(node)) {
                run(redis, n, rounds, requests, concurrency, settings);
            }
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    private static void run(RedisServer redis, EmbeddedNode node, int rounds, int requests, int concurrency,
            List<String> settings) throws Exception {
        String url = node.uri("/buy/ticket").toString();
        System.out.println("warm-up: a whole sale and its sold-out answers, ab -n " + requests + " -c 100");
        admin(node, "/admin/shed?limit=0");
        admin(node, "/admin/sales/reset?stock=" + STOCK);
        ab(requests, 100, url);
        System.out.printf("%-28s %5s %7s %7s %8s %7s %7s %6s %6s %7s %s%n", "setting", "round", "p50", "p99", "longest",
                "req/s", "503s", "shed", "sold", "orders", "tickets answered");
        for (int round = 1; round <= rounds; round++) {
            List<String> order = new ArrayList<>(settings);
            if (round % 2 == 0) {
                java.util.Collections.reverse(order);
            }
            for (String setting : order) {
                if (setting.equals("noop")) {
                    String load = Files.readString(Path.of("/proc/loadavg")).trim();
                    AbResult ab = ab(requests, concurrency, node.uri("/noop").toString());
                    System.out.printf("%-28s %5d %5d ms %5d ms %5d ms %7.0f %7d (load before: %s)%n", "/noop", round,
                            ab.p50, ab.p99, ab.p100, ab.perSecond, ab.non2xx, load);
                    continue;
                }
                admin(node, "/admin/sales/reset?stock=" + STOCK);
                admin(node, "/admin/shed?" + setting);
                NodeAdmission admission = node.app().admission();
                long shedBefore = admission.shed();
                long ticketsBefore = metric(node, "rush_buy_requests_total{result=\"ticket\"}");
                String load = Files.readString(Path.of("/proc/loadavg")).trim();
                AbResult ab = ab(requests, concurrency, url);
                long sold = redis.sold(KEY);
                int orders;
                int voided;
                try (Jedis jedis = redis.client()) {
                    List<Map<String, String>> all = RedisOrders.all(jedis, Keys.ofDefault(KEY));
                    voided = (int) all.stream().filter(o -> "voided".equals(o.get(Keys.STATE))).count();
                    orders = all.size() - voided;
                }
                long tickets = metric(node, "rush_buy_requests_total{result=\"ticket\"}") - ticketsBefore;
                System.out.printf("%-28s %5d %5d ms %5d ms %5d ms %7.0f %7d %6d %6d %7d %d (voided %d; load before: %s)%n",
                        setting, round, ab.p50, ab.p99, ab.p100, ab.perSecond, ab.non2xx, admission.shed() - shedBefore,
                        sold, orders, tickets, voided, load);
                if (ab.failed != 0 && ab.failed != ab.lengthFailures) {
                    System.out.println("  ab: " + ab.failed + " failed requests that are not length differences");
                }
                if (sold != orders || sold != tickets) {
                    System.out.println("  NOT EXACT: sold " + sold + ", orders " + orders + ", tickets answered " + tickets);
                }
            }
        }
    }

    private record AbResult(long p50, long p99, long p100, double perSecond, long non2xx, long failed,
            long lengthFailures) {
    }

    private static AbResult ab(int requests, int concurrency, String url) throws IOException, InterruptedException {
        Process ab = new ProcessBuilder("ab", "-q", "-s", "30", "-n", String.valueOf(requests), "-c",
                String.valueOf(concurrency), url).redirectErrorStream(true).start();
        String out = new String(ab.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (ab.waitFor() != 0) {
            throw new IllegalStateException("ab failed:\n" + out);
        }
        return new AbResult(number(out, "\\n\\s*50%\\s+(\\d+)"), number(out, "\\n\\s*99%\\s+(\\d+)"),
                number(out, "\\n\\s*100%\\s+(\\d+)"), Double.parseDouble(text(out, "Requests per second:\\s+([\\d.]+)")),
                numberOr0(out, "Non-2xx responses:\\s+(\\d+)"), number(out, "Failed requests:\\s+(\\d+)"),
                numberOr0(out, "Length: (\\d+)"));
    }

    private static String text(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("no " + regex + " in ab's output:\n" + out);
        }
        return m.group(1);
    }

    private static long number(String out, String regex) {
        return Long.parseLong(text(out, regex));
    }

    private static long numberOr0(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private static long metric(EmbeddedNode node, String name) throws Exception {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(node.uri("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return (long) Double.parseDouble(line.substring(name.length() + 1).trim());
            }
        }
        throw new IllegalStateException("no " + name + " in /metrics");
    }

    private static void admin(EmbeddedNode node, String pathAndQuery) throws Exception {
        URI uri = node.adminUri(pathAndQuery);
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri)
                .header("X-Admin-Token", TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException(uri + ": " + answer.statusCode() + " " + answer.body());
        }
    }
}
