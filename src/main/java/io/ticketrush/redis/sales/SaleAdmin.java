package io.ticketrush.redis.sales;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.keys.OrderIds;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.InvalidInputException;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.SaleExistsException;
import io.ticketrush.sale.SaleRules;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.sale.UnknownSaleException;
import io.ticketrush.settings.StoreSettings;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Response;

/**
 * Creating, closing and resetting sales: the one place it is done, for the nodes' admin
 * endpoints, {@code ./rush}, the load scripts and the tests alike. Each change moves the sales'
 * version on, so every node reloads them. With replicas (Sentinel, Cluster) each change is
 * answered only once a replica has it, as a buy is: a failover must not undo a close, hand an
 * order id base out twice, or bring back what a reset dropped (docs/replication.md). Also a command line for the scripts, run with the
 * WAR's classes ({@code ./rush} uses it before any node runs):
 *
 * <pre>
 * java -cp WEB-INF/classes:WEB-INF/lib/* io.ticketrush.redis.sales.SaleAdmin COMMAND
 *   create-default TOTAL   the default sale of TOTAL tickets unless there is one;
 *                          prints "created|continuing SOLD TOTAL"
 *   reset [SALE] TOTAL     a fresh start of the sale (default: the default sale), its orders dropped;
 *                          prints how many orders it dropped
 *   stock [SALE]           prints "SOLD TOTAL", or exits 3 when there is no such sale
 *   orders [SALE]          prints "CREATED IN_DATABASE LAST_WRITE" (orders numbered so far, orders
 *                          the writer has put in the database, when it last wrote, ms; 0: never)
 *   list                   every sale, a line each: id, state, sold/total, opens, closes, name
 * </pre>
 *
 * Settings: {@link StoreSettings} ({@code rush.redis.host}, {@code rush.redis.port}, {@code rush.stock.key}, ...).
 */
public final class SaleAdmin {
    private final RedisCalls redis;
    private final StoreSettings settings;
    private final SaleCatalog catalog;

    public SaleAdmin(RedisCalls redis, StoreSettings settings, SaleCatalog catalog) {
        this.redis = redis;
        this.settings = settings;
        this.catalog = catalog;
    }

    private Keys keys(String id) {
        return Keys.of(id, settings.stockKey());
    }

    /**
     * Creates {@code sale} (its generation is handed out here, the one given is ignored).
     *
     * @throws InvalidInputException the definition breaks a rule
     * @throws SaleExistsException a sale with that id exists
     */
    public Sale create(Sale sale) {
        SaleRules.check(sale, settings.stockKey());
        refuseArchived(sale.id());
        if (sale.bucketed()) {
            return createBucketed(sale);
        }
        Keys k = keys(sale.id());
        String base = nextIdBase();
        List<String> args = createArgs(sale, sale.total(), base, sale.name());
        boolean created = durably(k.stock(), jedis -> LuaScripts.CREATE_SALE.run(jedis, List.of(k.stock()),
                args));
        if (created && archived(sale.id())) {
            // archived between the check above and the creation (the archive's tombstone comes before its
            // keys go): what was just made is no sale, and no node has listed it
            redis.call(k.stock(), jedis -> jedis.unlink(k.stock()));
            throw SaleExistsException.archived(sale.id());
        }
        changed(sale.id()); // listed even when it existed: a creation that failed half way is completed
        if (!created) {
            throw new SaleExistsException(sale.id());
        }
        return catalog.find(sale.id()).orElseThrow();
    }

    /**
     * A hot sale split into buckets: each bucket a sale of its own with its share of the stock
     * (the first ones one more when it does not divide), listed first; then the hot sale itself,
     * whose stock hash holds its definition, its total and its bucket count: nodes that see it
     * see its buckets. A creation that failed half way is completed by asking again.
     */
    private Sale createBucketed(Sale sale) {
        for (int b = 0; b < sale.buckets(); b++) {
            Keys bucket = keys(sale.bucketId(b));
            // a bucket's buyers are its hot sale's: its orders are looked up, and guarded, by the bucket
            List<String> args = createArgs(sale, bucketShare(sale.total(), sale.buckets(), b), nextIdBase(),
                    sale.name() + " (bucket " + (b + 1) + " of " + sale.buckets() + ")");
            durably(bucket.stock(), jedis -> LuaScripts.CREATE_SALE.run(jedis, List.of(bucket.stock()), args));
            changed(sale.bucketId(b));
        }
        Keys k = keys(sale.id());
        List<String> args = createArgs(sale, sale.total(), nextIdBase(), sale.name());
        boolean created = durably(k.stock(), jedis -> {
            boolean made = LuaScripts.CREATE_SALE.run(jedis, List.of(k.stock()), args);
            jedis.hsetnx(k.stock(), Keys.BUCKETS, String.valueOf(sale.buckets()));
            return made;
        });
        changed(sale.id());
        if (!created) {
            throw new SaleExistsException(sale.id());
        }
        return catalog.find(sale.id()).orElseThrow();
    }

    /** create_sale.lua's ARGV for {@code sale} (or a bucket of it) of {@code total} tickets. */
    private static List<String> createArgs(Sale sale, long total, String idBase, String name) {
        return List.of(String.valueOf(total), idBase, name, String.valueOf(sale.opensAt()),
                String.valueOf(sale.closesAt()), String.valueOf(sale.perUserLimit()),
                String.valueOf(sale.payWithinMillis()), sale.buyers(), String.valueOf(sale.queueRate()),
                String.valueOf(sale.powBits()));
    }

    /** Bucket {@code b}'s share of {@code total} tickets over {@code buckets}. */
    static long bucketShare(long total, int buckets, int b) {
        return total / buckets + (b < total % buckets ? 1 : 0);
    }

    /** @throws SaleExistsException {@code id} is an archived sale's */
    private void refuseArchived(String id) {
        if (archived(id)) {
            throw SaleExistsException.archived(id);
        }
    }

    private boolean archived(String id) {
        return redis.call(Keys.archivedSales(), jedis -> jedis.hexists(Keys.archivedSales(), id));
    }

    /** The default sale of {@code total} tickets unless there is one already; true if it made it. */
    public boolean createDefaultIfAbsent(long total) {
        // the article's sale: its buyers are whoever the request names, so its ab demo runs as it did
        List<String> args = List.of(String.valueOf(total), nextIdBase(), Sale.DEFAULT, "0", "0",
                String.valueOf(settings.perUserLimit()), String.valueOf(settings.orderTtlMillis()), Sale.OPEN, "0", "0");
        String stock = keys(Sale.DEFAULT).stock();
        boolean created = durably(stock, jedis -> LuaScripts.CREATE_SALE.run(jedis, List.of(stock), args));
        changed("");
        return created;
    }

    /**
     * Closes the sale now, on Redis's clock (an earlier closing stays); answers the sale.
     *
     * @throws UnknownSaleException there is no such sale
     */
    public Sale close(String id) {
        catalog.find(id).filter(Sale::bucketed).ifPresent(hot -> {
            for (int b = 0; b < hot.buckets(); b++) {
                String bucket = keys(hot.bucketId(b)).stock();
                durably(bucket, jedis -> LuaScripts.CLOSE_SALE.run(jedis, List.of(bucket), List.of()));
            }
        });
        String stock = keys(id).stock();
        long closes = durably(stock, jedis -> LuaScripts.CLOSE_SALE.run(jedis, List.of(stock), List.of()));
        if (closes < 0) {
            throw new UnknownSaleException(id);
        }
        changed("");
        return catalog.find(id).orElseThrow();
    }

    /**
     * A fresh start of the sale: {@code total} tickets, a new order id base, nothing sold, its orders
     * dropped with it (its definition stays). Answers how many orders it dropped.
     *
     * @throws UnknownSaleException there is no such sale
     * @throws InvalidInputException the total breaks the rule
     */
    public long reset(String id, long total) {
        if (total < 0 || total > Sale.MAX_TOTAL) {
            throw new InvalidInputException("stock " + total + " must be between 0 and " + Sale.MAX_TOTAL);
        }
        Optional<Sale> sale = Sale.DEFAULT.equals(id) ? Optional.empty() : catalog.find(id);
        if (!Sale.DEFAULT.equals(id) && sale.isEmpty()) {
            throw new UnknownSaleException(id);
        }
        long dropped = 0;
        String home = keys(id).stock();
        if (sale.isPresent() && sale.get().bucketed()
                && redis.call(home, jedis -> jedis.hexists(home, Keys.ARCHIVING))) {
            // its archive began: buckets of it may be gone, and a reset would make them again (docs/archive.md)
            throw SaleExistsException.archived(id);
        }
        if (sale.isPresent() && sale.get().bucketed()) {
            Sale hot = sale.get();
            if (total < hot.buckets()) {
                throw new InvalidInputException("stock " + total + " must be at least one ticket a bucket ("
                        + hot.buckets() + ")");
            }
            for (int b = 0; b < hot.buckets(); b++) {
                dropped += resetOne(hot.bucketId(b), bucketShare(total, hot.buckets(), b));
            }
        }
        return dropped + resetOne(id, total);
    }

    private long resetOne(String id, long total) {
        Keys k = keys(id);
        List<String> scriptKeys = new ArrayList<>(k.forScripts());
        scriptKeys.add(k.persisted());
        scriptKeys.add(k.transfers());
        scriptKeys.add(k.received());
        scriptKeys.add(k.payments());
        scriptKeys.add(k.orderPayments());
        List<String> args = List.of(String.valueOf(total), nextIdBase());
        long dropped = durably(k.stock(), jedis -> LuaScripts.RESET_SALE.run(jedis, scriptKeys, args));
        changed("");
        return dropped;
    }

    /** Gives the sale an order id base if it has none (a sale made by a bare HMSET, as the article does). */
    public void ensureIdBase(Keys keys) {
        List<String> args = List.of(nextIdBase());
        durably(keys.stock(), jedis -> LuaScripts.SET_ID_BASE.run(jedis, List.of(keys.stock()), args));
        changed("");
    }

    /** A new order id base, never handed out before ({@link OrderIds}). */
    private String nextIdBase() {
        long base = durably(Keys.idBases(), jedis -> LuaScripts.NEXT_ID_BASE.run(jedis, List.of(Keys.idBases()),
                List.of()));
        return String.valueOf(base);
    }

    /** Lists sale {@code id} ('' = none) and moves the sales' version on: every node reloads them. */
    private void changed(String id) {
        List<String> keys = List.of(Keys.sales(), Keys.salesVersion());
        durably(Keys.sales(), jedis -> LuaScripts.SALES_CHANGED.run(jedis, keys, List.of(id)));
    }

    /**
     * Runs {@code change} on the Redis that holds {@code key}, then, with replicas, waits until one
     * has it (on the same connection: {@code WAIT} counts its own writes). A change no replica had
     * in time is a 503 (the operator asks again: each change here may be made twice), never
     * answered as made: a failover could undo it.
     */
    private <T> T durably(String key, Function<Jedis, T> change) {
        return redis.call(key, jedis -> {
            T result = change.apply(jedis);
            if (!redis.waits().reached(jedis)) {
                throw new StockUnavailableException("no replica of the ticket store had the change of " + key
                        + " within " + redis.waits().timeoutMillis() + " ms; ask again");
            }
            return result;
        });
    }

    /** The sale's stock as Redis holds it, or empty when there is no such sale. */
    public Optional<GlobalStock.Snapshot> stock(String id) {
        String stock = keys(id).stock();
        List<String> values = redis.call(stock, jedis -> jedis.hmget(stock, Keys.TOTAL, Keys.SOLD, Keys.BUCKETS));
        if (values.get(0) == null) {
            return Optional.empty();
        }
        if (values.get(2) == null) {
            return Optional.of(new GlobalStock.Snapshot(Long.parseLong(values.get(0)), number(values.get(1))));
        }
        // a hot sale: its total as created, its buckets' tickets sold
        long sold = 0;
        for (int b = 0; b < Integer.parseInt(values.get(2)); b++) {
            sold += stock(Sale.bucketId(id, b)).map(GlobalStock.Snapshot::sold).orElse(0L);
        }
        return Optional.of(new GlobalStock.Snapshot(Long.parseLong(values.get(0)), sold));
    }

    /** A sale's orders numbered so far, those in the database, and when the writer last wrote (ms, 0: never). */
    public record OrderCounts(long created, long inDatabase, long lastWrite) {
    }

    public OrderCounts orders(String id) {
        Optional<Sale> hot = Sale.DEFAULT.equals(id) ? Optional.empty() : catalog.find(id).filter(Sale::bucketed);
        if (hot.isPresent()) {
            long created = 0;
            long inDatabase = 0;
            long lastWrite = 0;
            for (int b = 0; b < hot.get().buckets(); b++) {
                OrderCounts bucket = orders(hot.get().bucketId(b));
                created += bucket.created();
                inDatabase += bucket.inDatabase();
                lastWrite = Math.max(lastWrite, bucket.lastWrite());
            }
            return new OrderCounts(created, inDatabase, lastWrite);
        }
        Keys k = keys(id);
        return redis.pipelined(pipeline -> {
            Response<String> created = pipeline.hget(k.stock(), Keys.SEQ);
            Response<Long> inDatabase = pipeline.scard(k.persisted());
            Response<String> lastWrite = pipeline.hget(Keys.writerStats(), Keys.LAST_WRITE);
            pipeline.sync();
            return new OrderCounts(number(created.get()), inDatabase.get(), number(lastWrite.get()));
        });
    }

    /**
     * A moment given as {@code +SECONDS} (from now, on Redis's clock), ISO-8601
     * ({@code 2026-12-01T08:00:00Z}) or milliseconds since the epoch.
     *
     * @throws InvalidInputException it is none of these
     */
    public long moment(String name, String value) {
        try {
            if (value.startsWith("+")) {
                return catalog.now() + Math.multiplyExact(Long.parseLong(value.substring(1)), 1000L);
            }
            if (value.matches("[0-9]{1,15}")) {
                return Long.parseLong(value);
            }
            return Instant.parse(value).toEpochMilli();
        } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
            throw new InvalidInputException(name + " '" + value + "' is none of +SECONDS, an ISO-8601 instant"
                    + " (2026-12-01T08:00:00Z) or ms since the epoch");
        }
    }

    private static long number(String value) {
        return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
    }
}
