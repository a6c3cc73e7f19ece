package io.ticketrush.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.connect.CircuitBreaker;
import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.connect.RedisPools;
import io.ticketrush.redis.connect.ReplicaWaits;
import io.ticketrush.sale.Buyer;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Outcome;
import io.ticketrush.sale.Reservation;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;

/**
 * The buy step alone, as the nodes run it, against the Redis of {@link StoreSettings#load()} (one server, the
 * Sentinels' primary, or a Redis Cluster): {@code --threads} callers, each sending calls of
 * {@code --batch} named buyers, for {@code --seconds}, to {@code --sales} fresh sales that cannot
 * sell out meanwhile. Prints the calls and tickets a second, the calls' p50/p99, and each master's
 * CPU and buy scripts run (from INFO), so that one Redis and three shards compare in one
 * invocation of {@code ab-scripts/buy-bench.sh}. The sales are dropped at the end.
 *
 * With BUCKETS, one hot sale split into that many buckets ({@link Sale#buckets()}) instead: the
 * calls go to its buckets in turn, as the nodes send each bucket's buyers in calls of their own.
 *
 * <pre>java -cp ... io.ticketrush.bench.BuyBench LABEL SALES THREADS BATCH SECONDS [BUCKETS]</pre>
 */
public final class BuyBench {
    private BuyBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5 && args.length != 6) {
            System.err.println("usage: BuyBench LABEL SALES THREADS BATCH SECONDS [BUCKETS]");
            System.exit(2);
        }
        Logger.getLogger("redis.clients.jedis").setLevel(Level.WARNING);
        String label = args[0];
        int sales = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        int batch = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        int buckets = args.length == 6 ? Integer.parseInt(args[5]) : 0;
        StoreSettings settings = StoreSettings.load();
        RedisCalls masters = new RedisCalls(RedisPools.connections(settings.redis()), new CircuitBreaker(3, 500,
                System::nanoTime), ReplicaWaits.of(settings.redis().replication()));
        try (RedisStore store = RedisStore.open(settings)) {
            run(store, masters, label, sales, threads, batch, seconds, buckets);
        } finally {
            masters.close();
        }
    }

    private static void run(RedisStore store, RedisCalls masters, String label, int saleCount, int threads, int batch, int seconds,
            int buckets) throws Exception {
        String prefix = "bench" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36) + "-";
        long now = store.catalog().now();
        List<Sale> created = new ArrayList<>();
        List<Sale> sales = new ArrayList<>();
        for (int i = 0; i < (buckets > 0 ? 1 : saleCount); i++) {
            Sale sale = store.admin().create(new Sale(prefix + i, "buy bench " + i, 4_000_000L, now - 1000, 0, 1,
                    3_600_000L, 0, buckets));
            created.add(sale);
            for (int b = 0; b < buckets; b++) {
                sales.add(store.catalog().find(sale.bucketId(b)).orElseThrow());
            }
            if (buckets == 0) {
                sales.add(sale);
            }
        }
        try {
            // warm up: every script loaded on every master, the connections made
            for (Sale sale : sales) {
                store.stockOf(sale).reserve(new Buyer("warm", null), 1, sale);
            }
            long[] cpuBefore = cpu(masters);
            long roundTripsBefore = store.roundTrips();
            AtomicLong buyers = new AtomicLong();
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            long start = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<long[]>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                results.add(pool.submit(() -> caller(store, sales, thread, batch, end, buyers)));
            }
            List<Long> latencies = new ArrayList<>();
            long tickets = 0;
            long calls = 0;
            for (Future<long[]> result : results) {
                long[] r = result.get();
                tickets += r[0];
                for (int i = 1; i < r.length; i++) {
                    latencies.add(r[i]);
                }
            }
            pool.shutdown();
            double elapsed = (System.nanoTime() - start) / 1e9;
            long[] cpuAfter = cpu(masters);
            calls = latencies.size();
            long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
            double cpu = 0;
            for (int i = 0; i < cpuAfter.length && i < cpuBefore.length; i++) {
                cpu += (cpuAfter[i] - cpuBefore[i]) / 1e6;
            }
            System.out.printf("%s: %d sales%s, %d threads, %d buyers a call, %.1f s: %.0f calls/s, %.0f tickets/s,"
                    + " call p50 %.2f ms p99 %.2f ms, Redis round trips %.2f a call, Redis CPU %.2f s a second"
                    + " over %d masters%n", label, created.size(), buckets > 0 ? " in " + buckets + " buckets" : "",
                    threads, batch, elapsed, calls / elapsed,
                    tickets / elapsed, percentile(sorted, 0.50) / 1e6, percentile(sorted, 0.99) / 1e6,
                    (double) (store.roundTrips() - roundTripsBefore) / Math.max(1, calls), cpu / elapsed,
                    cpuAfter.length);
        } finally {
            for (Sale sale : created) {
                store.admin().reset(sale.id(), sale.bucketed() ? sale.buckets() : 0);
            }
        }
    }

    /** One caller's loop: the tickets it got, then each call's time in ns. */
    private static long[] caller(RedisStore store, List<Sale> sales, int thread, int batch, long end,
            AtomicLong buyers) {
        List<GlobalStock> stocks = sales.stream().map(store::stockOf).toList();
        long[] times = new long[1 << 16];
        int n = 1;
        long tickets = 0;
        for (int i = thread; System.nanoTime() < end; i++) {
            int which = i % sales.size();
            List<GlobalStock.Request> requests = new ArrayList<>(batch);
            for (int b = 0; b < batch; b++) {
                requests.add(new GlobalStock.Request(new Buyer("b" + buyers.incrementAndGet(), null), 3001));
            }
            long sent = System.nanoTime();
            for (Reservation r : stocks.get(which).reserveAll(requests, sales.get(which))) {
                if (r.outcome() == Outcome.TICKET) {
                    tickets++;
                }
            }
            if (n == times.length) {
                times = Arrays.copyOf(times, n * 2);
            }
            times[n++] = System.nanoTime() - sent;
        }
        times[0] = tickets;
        return Arrays.copyOf(times, n);
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
    }

    /** Each master's CPU (user + system, in µs) as INFO tells it. */
    private static long[] cpu(RedisCalls masters) {
        return masters.onEachMaster(jedis -> {
            long micros = 0;
            for (String line : jedis.info("cpu").split("\r?\n")) {
                if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
                    micros += (long) (Double.parseDouble(line.substring(line.indexOf(':') + 1)) * 1e6);
                }
            }
            return micros;
        }).stream().mapToLong(Long::longValue).toArray();
    }
}
