package io.ticketrush.redis.sales;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.connect.RedisClock;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.ArchivedSale;
import io.ticketrush.sale.InvalidInputException;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.Standing;
import io.ticketrush.settings.StoreSettings;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * The sales as Redis holds them: the default sale's stock hash, and each created sale's stock hash
 * listed in {@link Keys#sales()}. Every read also reads Redis's clock ({@link RedisClock}), the
 * one the sales open and close by.
 */
public final class RedisSaleCatalog implements SaleCatalog {
    /** What a sale's stock hash holds of its definition, in this order. */
    private static final String[] FIELDS = {Keys.TOTAL, Keys.NAME, Keys.OPENS_AT, Keys.CLOSES_AT, Keys.USER_LIMIT,
        Keys.PAY_MS, Keys.ID_BASE, Keys.SOLD, Keys.BUCKETS, Keys.BUYERS, Keys.QUEUE_RATE, Keys.POW_BITS};

    private static final String TOMBSTONE_SEPARATOR = "|";

    private final RedisCalls redis;
    private final StoreSettings settings;
    private final RedisClock clock;

    public RedisSaleCatalog(RedisCalls redis, StoreSettings settings, RedisClock clock) {
        this.redis = redis;
        this.settings = settings;
        this.clock = clock;
    }

    private Keys keys(String id) {
        return Keys.of(id, settings.stockKey());
    }

    @Override
    public long version() {
        return redis.call(Keys.salesVersion(), jedis -> {
            long sent = System.nanoTime();
            Pipeline pipeline = jedis.pipelined();
            Response<List<String>> time = pipeline.time();
            Response<String> version = pipeline.get(Keys.salesVersion());
            pipeline.sync();
            clock.observe(sent, time.get(), System.nanoTime());
            return version.get() == null ? 0L : Long.parseLong(version.get());
        });
    }

    @Override
    public List<Sale> all() {
        return standings().stream().map(Standing::sale).toList();
    }

    @Override
    public List<Standing> standings() {
        Set<String> ids = redis.call(Keys.sales(), jedis -> jedis.smembers(Keys.sales()));
        List<String> every = new ArrayList<>(ids.size() + 1);
        every.add(Sale.DEFAULT);
        ids.stream().filter(id -> !Sale.DEFAULT.equals(id)).sorted().forEach(every::add);
        return redis.pipelined(pipeline -> {
            List<Response<List<String>>> hashes = new ArrayList<>(every.size());
            for (String id : every) {
                hashes.add(pipeline.hmget(keys(id).stock(), FIELDS));
            }
            pipeline.sync();
            List<Standing> sales = new ArrayList<>(every.size());
            Map<String, Long> sold = new HashMap<>();
            for (int i = 0; i < every.size(); i++) {
                List<String> fields = hashes.get(i).get();
                sold.put(every.get(i), number(fields.get(7), 0));
                toSale(every.get(i), fields).ifPresent(sale -> sales.add(new Standing(sale, 0)));
            }
            // a hot sale has sold what its buckets have
            List<Standing> standings = new ArrayList<>(sales.size());
            for (Standing standing : sales) {
                Sale sale = standing.sale();
                long n = sold.get(sale.id());
                if (sale.bucketed()) {
                    n = 0;
                    for (int b = 0; b < sale.buckets(); b++) {
                        n += sold.getOrDefault(sale.bucketId(b), 0L);
                    }
                }
                standings.add(new Standing(sale, n));
            }
            return standings;
        });
    }

    @Override
    public Optional<Sale> find(String id) {
        String stock = keys(id).stock();
        return toSale(id, redis.call(stock, jedis -> jedis.hmget(stock, FIELDS)));
    }

    /**
     * The sale a stock hash describes; empty without a total (no such sale). The default sale,
     * set up by a bare HMSET, has only its counters: it opens at once, never closes, and takes the
     * node's own limit and time to pay, and its buyers are open. A sale without a queue rate (made
     * before the waiting room) is not queued.
     */
    private Optional<Sale> toSale(String id, List<String> fields) {
        if (fields.get(0) == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Sale(id, fields.get(1) != null ? fields.get(1) : id,
                    Long.parseLong(fields.get(0)), number(fields.get(2), 0), number(fields.get(3), 0),
                    (int) number(fields.get(4), settings.perUserLimit()),
                    number(fields.get(5), settings.orderTtlMillis()), number(fields.get(6), 0),
                    (int) number(fields.get(8), 0), fields.get(9) != null && Sale.signedBuyers(fields.get(9)),
                    (int) number(fields.get(10), 0), (int) number(fields.get(11), 0)));
        } catch (NumberFormatException e) {
            throw new IllegalStateException("sale " + id + " has a field that is not a number: " + fields, e);
        } catch (InvalidInputException e) {
            throw new IllegalStateException("sale " + id + ": " + e.getMessage() + " (" + fields + ")", e);
        }
    }

    private static long number(String value, long absent) {
        return value == null || value.isEmpty() ? absent : Long.parseLong(value);
    }

    @Override
    public Map<String, ArchivedSale> archived() {
        Map<String, String> lines = redis.call(Keys.archivedSales(), jedis -> jedis.hgetAll(Keys.archivedSales()));
        Map<String, ArchivedSale> archived = new HashMap<>(lines.size() * 2);
        lines.forEach((id, line) -> archived.put(id, fromTombstone(id, line)));
        return archived;
    }

    /** The archived sale {@code id}, if it is one. */
    public Optional<ArchivedSale> archived(String id) {
        String line = redis.call(Keys.archivedSales(), jedis -> jedis.hget(Keys.archivedSales(), id));
        return Optional.ofNullable(line).map(value -> fromTombstone(id, value));
    }

    /**
     * What {@link Keys#archivedSales()} keeps of an archived sale:
     * {@code archivedAt|total|sold|paid|opensAt|closesAt|userLimit|payMs|generation|buyers|name}.
     */
    static String tombstone(Sale sale, long sold, long paid, long archivedAt) {
        return String.join(TOMBSTONE_SEPARATOR, String.valueOf(archivedAt), String.valueOf(sale.total()),
                String.valueOf(sold), String.valueOf(paid), String.valueOf(sale.opensAt()), String.valueOf(sale.closesAt()),
                String.valueOf(sale.perUserLimit()), String.valueOf(sale.payWithinMillis()),
                String.valueOf(sale.generation()), sale.buyers(), sale.name());
    }

    private static ArchivedSale fromTombstone(String id, String line) {
        String[] f = line.split("\\" + TOMBSTONE_SEPARATOR, 11);
        try {
            Sale sale = new Sale(id, f[10], Long.parseLong(f[1]), Long.parseLong(f[4]), Long.parseLong(f[5]),
                    Integer.parseInt(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]), 0, Sale.signedBuyers(f[9]));
            return new ArchivedSale(sale, Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[0]));
        } catch (RuntimeException e) {
            throw new IllegalStateException("archived sale " + id + ": a tombstone that is not one: " + line, e);
        }
    }

    @Override
    public long now() {
        if (!clock.known()) {
            version();
        }
        return clock.nowMillis();
    }
}
