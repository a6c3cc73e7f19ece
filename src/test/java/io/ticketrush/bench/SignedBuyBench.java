package io.ticketrush.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TestTokens;

/**
 * The buy path with and without tokens in one run (issue 18 aims at a ratio of 0.95 or more): one
 * node (Jetty on a free port, the WAR's web app) and its own Redis, two sales of the same size, one
 * {@code buyers=open} (each request names a new buyer, {@code user=}) and one {@code signed} (each
 * request a new buyer's HS256 token, verified for the first time, and the per-user rate checked),
 * bought from {@code THREADS} keep-alive connections in alternating rounds of {@code SECONDS}
 * (open, signed, open, ...) after two warm-up rounds of each. Every request is a new buyer, so every
 * answer should be a ticket; the other answers are counted and printed. The tokens are signed
 * before the rounds (the client's cost is not the node's). Prints each round's requests a second
 * and the ratio signed / open of their sums and of each pair; printed, not asserted (the machine
 * is shared: the alternation is what makes the ratio fair).
 *
 * <pre>ab-scripts/token-bench.sh [ROUNDS] [SECONDS] [THREADS]</pre>
 */
public final class SignedBuyBench {
    private static final String ADMIN = "signed-buy-bench-admin-token";
    private static final String OPEN = "BENCHOPEN";
    private static final String SIGNED = "BENCHSIGNED";

    private SignedBuyBench() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        Logger.getLogger("").setLevel(Level.WARNING);
        Path dir = Files.createTempDirectory("rush-signed-bench-");
        try (RedisServer redis = RedisServer.start()) {
            OctetSequenceKey key = TestTokens.secret("k1");
            Path keys = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(key));
            Map<String, String> settings = new HashMap<>(redis.asNode(Map.of("rush.stock.total", "100",
                    "rush.node.weight", "10", "rush.statlog", dir.resolve("stat.log").toString(),
                    "rush.admin.token", ADMIN)));
            settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
            settings.put("rush.admin.audit", dir.resolve("admin-audit.log").toString());
            settings.put("rush.auth.keys.file", keys.toString());
            EmbeddedNode node = EmbeddedNode.start(settings);
            try {
                int stock = 4_999_999; // Sale.MAX_TOTAL: more than the rounds sell
                admin(node, "/admin/sales?id=" + OPEN + "&stock=" + stock + "&buyers=open");
                admin(node, "/admin/sales?id=" + SIGNED + "&stock=" + stock + "&buyers=signed");
                run(node, key, rounds, seconds, threads);
            } finally {
                node.stop();
            }
        } finally {
            TempFiles.deleteRecursively(dir);
        }
    }

    private static void run(EmbeddedNode node, OctetSequenceKey key, int rounds, int seconds, int threads)
            throws Exception {
        System.out.printf("SignedBuyBench: %d pairs of %d s rounds (open, signed), %d keep-alive connections,"
                + " one node and its Redis on this machine (%d cores), %s %s%n", rounds, seconds, threads,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        // the tokens first, every round's (a round that sends more repeats its buyers, and says so)
        long t0 = System.nanoTime();
        int perRound = 40_000;
        int warmRounds = 2;
        List<String> tokens = new ArrayList<>((rounds + warmRounds) * perRound);
        for (int i = 0; i < (rounds + warmRounds) * perRound; i++) {
            tokens.add(TestTokens.hs256(key, "s" + i));
        }
        System.out.printf("  %,d tokens signed in %.1f s (not timed)%n", tokens.size(), (System.nanoTime() - t0) / 1e9);
        for (int w = 0; w < warmRounds; w++) {
            Round open = round(node, OPEN, null, "w" + w, seconds, threads);
            Round signed = round(node, SIGNED, tokens.subList((rounds + w) * perRound, (rounds + w + 1) * perRound),
                    "w" + w, seconds, threads);
            System.out.printf("  warm-up %d: open %s | signed %s%n", w + 1, open, signed);
        }
        double openSum = 0;
        double signedSum = 0;
        List<Double> pairs = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            Round open = round(node, OPEN, null, "o" + r, seconds, threads);
            Round signed = round(node, SIGNED, tokens.subList((r - 1) * perRound, r * perRound), "s" + r, seconds,
                    threads);
            openSum += open.perSecond();
            signedSum += signed.perSecond();
            pairs.add(signed.perSecond() / open.perSecond());
            System.out.printf("  round %d: open %s | signed %s | signed/open %.3f%n", r, open, signed,
                    signed.perSecond() / open.perSecond());
        }
        List<Double> sorted = new ArrayList<>(pairs);
        sorted.sort(null);
        System.out.printf("SignedBuyBench: open %.0f req/s, signed %.0f req/s (means of %d rounds); signed/open %.3f"
                + " (of the sums), median of the pairs %.3f%n", openSum / rounds, signedSum / rounds, rounds,
                signedSum / openSum, sorted.get(sorted.size() / 2));
    }

    /** Requests answered in one round, by answer. */
    private record Round(int requests, int tickets, int other, int repeated, long nanos) {
        double perSecond() {
            return requests * 1e9 / nanos;
        }

        @Override
        public String toString() {
            return String.format("%,.0f req/s (%,d requests, %,d tickets%s%s)", perSecond(), requests, tickets,
                    other == 0 ? "" : ", " + other + " other answers",
                    repeated == 0 ? "" : ", " + repeated + " from buyers asking again: more requests than tokens");
        }
    }

    /**
     * {@code threads} connections buying in {@code sale} for {@code seconds}: each request a new
     * buyer, {@code PREFIX-N} by {@code user=} in an open sale, the N-th of {@code tokens} in a signed one.
     */
    private static Round round(EmbeddedNode node, String sale, List<String> tokens, String prefix,
            int seconds, int threads) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger tickets = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                while (System.nanoTime() < end) {
                    int n = next.getAndIncrement();
                    String path = "/buy/ticket?sale=" + sale + (tokens == null ? "&user=" + prefix + "-" + n : "");
                    String token = tokens == null ? null : tokens.get(n % tokens.size());
                    if (buy(node.uri(path), token)) {
                        tickets.incrementAndGet();
                    } else {
                        other.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> thread : done) {
            thread.get();
        }
        long nanos = System.nanoTime() - start;
        pool.shutdownNow();
        int requests = tickets.get() + other.get();
        int repeated = tokens == null ? 0 : Math.max(0, requests - tokens.size());
        return new Round(requests, tickets.get(), other.get(), repeated, nanos);
    }

    /** One buy on a kept-alive connection; whether it was a ticket. */
    private static boolean buy(URI uri, String token) throws IOException {
        HttpURLConnection http = (HttpURLConnection) uri.toURL().openConnection();
        http.setRequestMethod("POST");
        http.setDoOutput(true);
        http.setFixedLengthStreamingMode(0);
        if (token != null) {
            http.setRequestProperty("Authorization", "Bearer " + token);
        }
        try (OutputStream body = http.getOutputStream()) {
            body.flush();
        }
        int status = http.getResponseCode();
        try (InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream()) {
            String answer = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return status == 200 && answer.contains("\"code\":1");
        }
    }

    private static void admin(EmbeddedNode node, String path) throws IOException {
        HttpURLConnection http = (HttpURLConnection) node.adminUri(path).toURL().openConnection();
        http.setRequestMethod("POST");
        http.setRequestProperty("X-Admin-Token", ADMIN);
        int status = http.getResponseCode();
        if (status != 201) {
            throw new IllegalStateException(path + ": " + status);
        }
        http.getInputStream().readAllBytes();
    }
}
