package io.ticketrush.redis;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.Standing;
import io.ticketrush.sale.StockUnavailableException;
import io.ticketrush.settings.StoreSettings;
import redis.clients.jedis.Response;

/**
 * Creating, closing and resetting sales: the one place it is done, for the nodes' admin
 * endpoints, {@code ./rush}, the load scripts and the tests alike. Each change moves the sales'
 * version on, so every node reloads them. Also a command line for the scripts, run with the
 * WAR's classes ({@code ./rush} uses it before any node runs):
 *
 * <pre>
 * java -cp WEB-INF/classes:WEB-INF/lib/* io.ticketrush.redis.SaleAdmin COMMAND
 *   create-default TOTAL   the article's sale of TOTAL tickets unless there is one;
 *                          prints "created|continuing SOLD TOTAL"
 *   reset [SALE] TOTAL     a fresh start of the sale (default: the article's), its orders dropped;
 *                          prints how many orders it dropped
 *   stock [SALE]           prints "SOLD TOTAL", or exits 3 when there is no such sale
 *   orders [SALE]          prints "CREATED IN_DATABASE LAST_WRITE" (orders numbered so far, orders
 *                          the writer has put in the database, when it last wrote, ms; 0: never)
 *   list                   every sale, a line each: id, state, sold/total, opens, closes, name
 * </pre>
 *
 * Settings: {@link StoreSettings} ({@code rush.redis.host}, {@code rush.redis.port}, {@code rush.stock.key}, ...),
 * from system properties and the environment.
 */
public final class SaleAdmin {
    /** Held here: java.util.logging keeps loggers only weakly, with the level set on them. */
    private static final Logger JEDIS_LOG = Logger.getLogger("redis.clients.jedis");

    /** The most tickets a sale may have: every order of it must have a number ({@link OrderIds}). */
    public static final long MAX_TOTAL = OrderIds.MAX_SEQ / 2;

    private final RedisCalls redis;
    private final StoreSettings settings;
    private final SaleCatalog catalog;

    SaleAdmin(RedisCalls redis, StoreSettings settings, SaleCatalog catalog) {
        this.redis = redis;
        this.settings = settings;
        this.catalog = catalog;
    }

    /** Why a sale cannot be created or changed as asked: the message says what and which rule. */
    public static final class Refused extends RuntimeException {
        private final boolean conflict;

        Refused(String message, boolean conflict) {
            super(message);
            this.conflict = conflict;
        }

        /** True if the sale's state forbids it (it exists, say); false if the request itself is wrong. */
        public boolean conflict() {
            return conflict;
        }
    }

    private Keys keys(String id) {
        return Keys.of(id, settings.stockKey());
    }

    /**
     * Creates {@code sale} (its generation is handed out here, the one given is ignored).
     *
     * @throws Refused the definition breaks a rule, or a sale with that id exists
     */
    public Sale create(Sale sale) {
        check(sale);
        if (sale.bucketed()) {
            return createBucketed(sale);
        }
        Keys k = keys(sale.id());
        String base = nextIdBase();
        List<String> args = List.of(String.valueOf(sale.total()), base, sale.name(), String.valueOf(sale.opensAt()),
                String.valueOf(sale.closesAt()), String.valueOf(sale.perUserLimit()),
                String.valueOf(sale.payWithinMillis()));
        long created = redis.call(k.stock(), jedis -> (Long) LuaScripts.run(jedis, LuaScripts.CREATE_SALE,
                List.of(k.stock()), args));
        changed(sale.id()); // listed even when it existed: a creation that failed half way is completed
        if (created == 0) {
            throw new Refused("sale " + sale.id() + " exists already; a sale cannot be created twice", true);
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
            List<String> args = List.of(String.valueOf(bucketShare(sale.total(), sale.buckets(), b)), nextIdBase(),
                    sale.name() + " (bucket " + (b + 1) + " of " + sale.buckets() + ")",
                    String.valueOf(sale.opensAt()), String.valueOf(sale.closesAt()),
                    String.valueOf(sale.perUserLimit()), String.valueOf(sale.payWithinMillis()));
            redis.call(bucket.stock(), jedis -> LuaScripts.run(jedis, LuaScripts.CREATE_SALE, List.of(bucket.stock()),
                    args));
            changed(sale.bucketId(b));
        }
        Keys k = keys(sale.id());
        List<String> args = List.of(String.valueOf(sale.total()), nextIdBase(), sale.name(),
                String.valueOf(sale.opensAt()), String.valueOf(sale.closesAt()), String.valueOf(sale.perUserLimit()),
                String.valueOf(sale.payWithinMillis()));
        long created = redis.call(k.stock(), jedis -> {
            long made = (Long) LuaScripts.run(jedis, LuaScripts.CREATE_SALE, List.of(k.stock()), args);
            jedis.hsetnx(k.stock(), Keys.BUCKETS, String.valueOf(sale.buckets()));
            return made;
        });
        changed(sale.id());
        if (created == 0) {
            throw new Refused("sale " + sale.id() + " exists already; a sale cannot be created twice", true);
        }
        return catalog.find(sale.id()).orElseThrow();
    }

    /** Bucket {@code b}'s share of {@code total} tickets over {@code buckets}. */
    static long bucketShare(long total, int buckets, int b) {
        return total / buckets + (b < total % buckets ? 1 : 0);
    }

    /** The rules a new sale must keep; each broken one is named with the value. */
    private void check(Sale sale) {
        List<String> problems = new ArrayList<>();
        if (!Sale.ID.matcher(sale.id()).matches()) {
            problems.add("id '" + sale.id() + "' must be 1 to 32 letters, digits, _ or -");
        } else if (Sale.DEFAULT.equals(sale.id()) || sale.id().equals(settings.stockKey())) {
            problems.add("id '" + sale.id() + "' is the article's sale's; choose another");
        } else if (Sale.isBucket(sale.id())) {
            problems.add("id '" + sale.id() + "' holds '" + Sale.BUCKET_SEPARATOR + "', kept for a hot sale's buckets");
        } else if (sale.bucketed() && sale.bucketId(sale.buckets() - 1).length() > 32) {
            problems.add("id '" + sale.id() + "' is too long for a sale in buckets (its buckets' ids add "
                    + (Sale.BUCKET_SEPARATOR.length() + String.valueOf(sale.buckets() - 1).length()) + " characters)");
        }
        if (sale.buckets() < 0 || sale.buckets() == 1 || sale.buckets() > Sale.MAX_BUCKETS) {
            problems.add("buckets " + sale.buckets() + " must be 0 (none) or 2 to " + Sale.MAX_BUCKETS);
        } else if (sale.bucketed() && sale.total() < sale.buckets()) {
            problems.add("stock " + sale.total() + " must be at least one ticket a bucket (" + sale.buckets() + ")");
        }
        if (sale.total() < 0 || sale.total() > MAX_TOTAL) {
            problems.add("stock " + sale.total() + " must be between 0 and " + MAX_TOTAL);
        }
        if (sale.name().isBlank() || sale.name().length() > Sale.MAX_NAME
                || sale.name().chars().anyMatch(Character::isISOControl)) {
            problems.add("name must be 1 to " + Sale.MAX_NAME + " characters, none of them control characters");
        }
        if (sale.opensAt() < 0) {
            problems.add("opens " + sale.opensAt() + " must not be before 1970");
        }
        if (sale.closesAt() != 0 && sale.closesAt() <= sale.opensAt()) {
            problems.add("closes " + Instant.ofEpochMilli(sale.closesAt()) + " must be after opens "
                    + Instant.ofEpochMilli(sale.opensAt()));
        }
        if (sale.perUserLimit() < 1 || sale.perUserLimit() > 1000) {
            problems.add("limit " + sale.perUserLimit() + " must be between 1 and 1000");
        }
        if (sale.payWithinMillis() < 1000 || sale.payWithinMillis() > 86_400_000L) {
            problems.add("pay-within " + sale.payWithinMillis() / 1000 + " s must be between 1 s and a day");
        }
        if (!problems.isEmpty()) {
            throw new Refused("sale refused: " + String.join("; ", problems), false);
        }
    }

    /** The article's sale of {@code total} tickets unless there is one already; true if it made it. */
    public boolean createDefaultIfAbsent(long total) {
        List<String> args = List.of(String.valueOf(total), nextIdBase(), Sale.DEFAULT, "0", "0",
                String.valueOf(settings.perUserLimit()), String.valueOf(settings.orderTtlMillis()));
        String stock = keys(Sale.DEFAULT).stock();
        boolean created = redis.call(stock, jedis -> (Long) LuaScripts.run(jedis, LuaScripts.CREATE_SALE,
                List.of(stock), args)) == 1;
        changed("");
        return created;
    }

    /**
     * Closes the sale now, on Redis's clock (an earlier closing stays); answers the sale.
     *
     * @throws Refused there is no such sale
     */
    public Sale close(String id) {
        catalog.find(id).filter(Sale::bucketed).ifPresent(hot -> {
            for (int b = 0; b < hot.buckets(); b++) {
                String bucket = keys(hot.bucketId(b)).stock();
                redis.call(bucket, jedis -> LuaScripts.run(jedis, LuaScripts.CLOSE_SALE, List.of(bucket), List.of()));
            }
        });
        String stock = keys(id).stock();
        long closes = redis.call(stock, jedis -> (Long) LuaScripts.run(jedis, LuaScripts.CLOSE_SALE,
                List.of(stock), List.of()));
        if (closes < 0) {
            throw new Refused("no sale " + id, true);
        }
        changed("");
        return catalog.find(id).orElseThrow();
    }

    /**
     * A fresh start of the sale: {@code total} tickets, a new order id base, nothing sold, its orders
     * dropped with it (its definition stays). Answers how many orders it dropped.
     *
     * @throws Refused there is no such sale, or the total breaks the rule
     */
    public long reset(String id, long total) {
        if (total < 0 || total > MAX_TOTAL) {
            throw new Refused("stock " + total + " must be between 0 and " + MAX_TOTAL, false);
        }
        Optional<Sale> sale = Sale.DEFAULT.equals(id) ? Optional.empty() : catalog.find(id);
        if (!Sale.DEFAULT.equals(id) && sale.isEmpty()) {
            throw new Refused("no sale " + id, true);
        }
        long dropped = 0;
        if (sale.isPresent() && sale.get().bucketed()) {
            Sale hot = sale.get();
            if (total < hot.buckets()) {
                throw new Refused("stock " + total + " must be at least one ticket a bucket (" + hot.buckets() + ")",
                        false);
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
        List<String> args = List.of(String.valueOf(total), nextIdBase());
        long dropped = redis.call(k.stock(), jedis -> (Long) LuaScripts.run(jedis, LuaScripts.RESET_SALE, scriptKeys,
                args));
        changed("");
        return dropped;
    }

    /** Gives the sale an order id base if it has none (a sale made by the article's bare HMSET). */
    void ensureIdBase(Keys keys) {
        List<String> args = List.of(nextIdBase());
        redis.call(keys.stock(), jedis -> LuaScripts.run(jedis, LuaScripts.SET_ID_BASE, List.of(keys.stock()), args));
        changed("");
    }

    /** A new order id base, never handed out before ({@link OrderIds}). */
    private String nextIdBase() {
        return String.valueOf((Long) redis.call(Keys.idBases(), jedis -> LuaScripts.run(jedis, LuaScripts.NEXT_ID_BASE,
                List.of(Keys.idBases()), List.of())));
    }

    /** Lists sale {@code id} ('' = none) and moves the sales' version on: every node reloads them. */
    private void changed(String id) {
        redis.call(Keys.sales(), jedis -> LuaScripts.run(jedis, LuaScripts.SALES_CHANGED, List.of(Keys.sales(),
                Keys.salesVersion()), List.of(id)));
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
     * @throws Refused it is none of these
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
            throw new Refused(name + " '" + value + "' is none of +SECONDS, an ISO-8601 instant"
                    + " (2026-12-01T08:00:00Z) or ms since the epoch", false);
        }
    }

    private static long number(String value) {
        return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            usage();
        }
        // the scripts read what this prints; Jedis's notes on finding the primary through the Sentinels are noise there
        JEDIS_LOG.setLevel(Level.WARNING);
        StoreSettings settings = StoreSettings.load();
        try (RedisStore store = RedisStore.open(settings)) {
            run(store.admin(), args);
        } catch (StockUnavailableException e) {
            System.err.println("error: " + e.getMessage() + " (redis " + settings.redis().address() + ")");
            System.exit(1);
        } catch (Refused e) {
            System.err.println("error: " + e.getMessage());
            System.exit(e.conflict() ? 4 : 2);
        }
    }

    private static void run(SaleAdmin admin, String[] args) {
        String sale = args.length == 3 || args.length == 2 && !"reset".equals(args[0]) ? args[1] : Sale.DEFAULT;
        switch (args[0]) {
            case "create-default" -> {
                boolean created = admin.createDefaultIfAbsent(total(args, 1));
                GlobalStock.Snapshot stock = admin.stock(Sale.DEFAULT).orElseThrow();
                System.out.println((created ? "created " : "continuing ") + stock.sold() + " " + stock.total());
            }
            case "reset" -> System.out.println(admin.reset(sale, total(args, args.length - 1)));
            case "stock" -> {
                Optional<GlobalStock.Snapshot> stock = admin.stock(sale);
                if (stock.isEmpty()) {
                    System.err.println("no sale " + sale);
                    System.exit(3);
                }
                System.out.println(stock.get().sold() + " " + stock.get().total());
            }
            case "orders" -> {
                OrderCounts orders = admin.orders(sale);
                System.out.println(orders.created() + " " + orders.inDatabase() + " " + orders.lastWrite());
            }
            case "list" -> admin.list(System.out);
            default -> usage();
        }
    }

    /** Every sale, a line each, for people: {@code ./rush sale list}. */
    void list(java.io.PrintStream out) {
        long now = catalog.now();
        out.printf("%-32s %-9s %17s  %-24s %-24s %s%n", "SALE", "STATE", "SOLD/TOTAL", "OPENS", "CLOSES", "NAME");
        for (Standing standing : catalog.standings()) {
            Sale sale = standing.sale();
            out.printf("%-32s %-9s %17s  %-24s %-24s %s%n", sale.id(), standing.state(now).name().toLowerCase(),
                    standing.sold() + "/" + sale.total(), Instant.ofEpochMilli(sale.opensAt()),
                    sale.closesAt() == 0 ? "-" : Instant.ofEpochMilli(sale.closesAt()), sale.name());
        }
    }

    private static long total(String[] args, int at) {
        if (args.length <= at || !args[at].matches("[0-9]{1,10}")) {
            System.err.println(args[0] + " needs a whole number of tickets");
            System.exit(2);
        }
        return Long.parseLong(args[at]);
    }

    private static void usage() {
        System.err.println("usage: SaleAdmin create-default TOTAL | reset [SALE] TOTAL | stock [SALE] | orders [SALE]"
                + " | list");
        System.exit(2);
    }
}
