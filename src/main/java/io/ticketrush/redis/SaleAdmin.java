package io.ticketrush.redis;

import java.util.List;

import io.ticketrush.Config;
import io.ticketrush.sale.GlobalStock;
import io.ticketrush.sale.StockUnavailableException;

/**
 * Creating and resetting a sale: the one place it is done, for {@code ./rush}, the load scripts
 * and the tests alike. Also a command line for the scripts, run with the WAR's classes:
 *
 * <pre>
 * java -cp WEB-INF/classes:WEB-INF/lib/* io.ticketrush.redis.SaleAdmin COMMAND
 *   create TOTAL   a sale of TOTAL tickets unless there is one; prints "created|continuing SOLD TOTAL"
 *   reset TOTAL    a fresh sale of TOTAL tickets, the orders of the last one dropped; prints "DROPPED"
 *   stock          prints "SOLD TOTAL", or exits 3 when there is no sale
 *   orders         prints "CREATED IN_DATABASE LAST_WRITE" (orders numbered so far, orders the
 *                  writer has put in the database, when it last wrote, ms; 0 for none)
 * </pre>
 *
 * Settings as for a node ({@code rush.redis.host}, {@code rush.redis.port}, {@code rush.stock.key}, ...).
 */
public final class SaleAdmin {
    private final RedisCalls redis;
    private final Keys keys;

    SaleAdmin(RedisCalls redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    /** Creates a sale of {@code total} tickets unless there is one already; true if it did. */
    public boolean createIfAbsent(long total) {
        List<String> args = List.of(String.valueOf(total), nextIdBase());
        return redis.call(jedis -> (Long) LuaScripts.run(jedis, LuaScripts.CREATE_SALE, List.of(keys.stock()), args))
                == 1;
    }

    /** Gives the sale an order id base if it has none (a sale made by the article's bare HMSET). */
    public void ensureIdBase() {
        List<String> args = List.of(nextIdBase());
        redis.call(jedis -> LuaScripts.run(jedis, LuaScripts.SET_ID_BASE, List.of(keys.stock()), args));
    }

    /** A new order id base, never handed out before ({@link OrderIds}). */
    private String nextIdBase() {
        return String.valueOf((Long) redis.call(jedis -> LuaScripts.run(jedis, LuaScripts.NEXT_ID_BASE,
                List.of(keys.idBases()), List.of())));
    }

    /**
     * A fresh sale of {@code total} tickets: the last sale's orders and books are dropped with it.
     * Returns how many keys it dropped besides the stock hash.
     */
    public long reset(long total) {
        List<String> args = List.of(String.valueOf(total), Keys.everythingOfTheOrders(), nextIdBase());
        return redis.call(jedis -> (Long) LuaScripts.run(jedis, LuaScripts.RESET_SALE,
                List.of(keys.stock(), keys.idBases()), args));
    }

    /** The stock as Redis holds it, or null when there is no sale. */
    public GlobalStock.Snapshot stock() {
        List<String> values = redis.call(jedis -> jedis.hmget(keys.stock(), Keys.TOTAL, Keys.SOLD));
        if (values.get(0) == null) {
            return null;
        }
        return new GlobalStock.Snapshot(Long.parseLong(values.get(0)), number(values.get(1)));
    }

    /** Orders numbered so far, orders in the database, and when the writer last wrote (ms, 0: never). */
    public record OrderCounts(long created, long inDatabase, long lastWrite) {
    }

    public OrderCounts orders() {
        return redis.call(jedis -> {
            String created = jedis.get(keys.orderSeq());
            List<String> writer = jedis.hmget(keys.writerStats(), Keys.IN_DATABASE, Keys.LAST_WRITE);
            return new OrderCounts(number(created), number(writer.get(0)), number(writer.get(1)));
        });
    }

    private static long number(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            usage();
        }
        Config config = Config.load(name -> null);
        try (RedisStore store = RedisStore.open(config)) {
            run(store.sales(), config, args);
        } catch (StockUnavailableException e) {
            System.err.println("error: " + e.getMessage() + " (redis " + config.redisHost() + ":" + config.redisPort()
                    + ")");
            System.exit(1);
        }
    }

    private static void run(SaleAdmin admin, Config config, String[] args) {
        switch (args[0]) {
            case "create" -> {
                long total = total(args);
                boolean created = admin.createIfAbsent(total);
                GlobalStock.Snapshot stock = admin.stock();
                System.out.println((created ? "created " : "continuing ") + stock.sold() + " " + stock.total());
            }
            case "reset" -> System.out.println(admin.reset(total(args)));
            case "stock" -> {
                GlobalStock.Snapshot stock = admin.stock();
                if (stock == null) {
                    System.err.println("no sale in " + config.stockKey());
                    System.exit(3);
                }
                System.out.println(stock.sold() + " " + stock.total());
            }
            case "orders" -> {
                OrderCounts orders = admin.orders();
                System.out.println(orders.created() + " " + orders.inDatabase() + " " + orders.lastWrite());
            }
            default -> usage();
        }
    }

    private static long total(String[] args) {
        if (args.length != 2 || !args[1].matches("[0-9]{1,10}") || Long.parseLong(args[1]) > Integer.MAX_VALUE) {
            System.err.println(args[0] + " needs a whole number of tickets (0 to " + Integer.MAX_VALUE + ")");
            System.exit(2);
        }
        return Long.parseLong(args[1]);
    }

    private static void usage() {
        System.err.println("usage: SaleAdmin create TOTAL | reset TOTAL | stock | orders");
        System.exit(2);
    }
}
