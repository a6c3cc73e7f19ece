package io.ticketrush.redis.sales;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.ticketrush.archive.SaleArchive;
import io.ticketrush.order.Order;
import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.orders.RedisOrderStream;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.ArchivedSale;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.settings.StoreSettings;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.params.SetParams;

/**
 * The archiving's side in Redis (lua/archive_sale.lua): a sale's readiness and fingerprint, its
 * orders' states, and its going. The tombstone is a field of the hash {@link Keys#archivedSales()}
 * ({@link RedisSaleCatalog#tombstone}), written before the sale's keys go: its id
 * is then refused by {@link SaleAdmin#create} while the keys go and ever after, and {@code /sales}
 * still lists it. It stays in Redis for {@code rush.archive.tombstone.days}, then leaves it for the
 * database's {@code archived_sales} ({@link #dropTombstone}, by {@code archive.TombstonePruner}).
 */
public final class RedisSaleArchive implements SaleArchive {
    /** archive_sale.lua's codes. */
    private static final Map<Long, Readiness> CODES = Map.of(1L, Readiness.READY, 0L, Readiness.CHANGED,
            -1L, Readiness.NO_SALE, -2L, Readiness.NOT_DUE, -3L, Readiness.UNFINISHED, -4L, Readiness.UNWRITTEN,
            -5L, Readiness.HOT);

    private final RedisCalls redis;
    private final StoreSettings settings;
    private final SaleCatalog catalog;

    public RedisSaleArchive(RedisCalls redis, StoreSettings settings, SaleCatalog catalog) {
        this.redis = redis;
        this.settings = settings;
        this.catalog = catalog;
    }

    private Keys keys(String id) {
        return Keys.of(id, settings.stockKey());
    }

    @Override
    public List<String> candidates() {
        return redis.call(Keys.sales(), jedis -> jedis.smembers(Keys.sales())).stream()
                .filter(id -> !Sale.DEFAULT.equals(id) && !Sale.isBucket(id)).sorted().toList();
    }

    @Override
    public Check check(String sale, long retentionMillis) {
        Keys k = keys(sale);
        LuaScripts.Archiving reply = run(k, "check", retentionMillis, "");
        Readiness readiness = readiness(reply);
        if (readiness != Readiness.READY) {
            return new Check(readiness, "", Map.of());
        }
        Map<String, String> orders = redis.call(k.orders(), jedis -> jedis.hgetAll(k.orders()));
        Map<Long, String> states = new HashMap<>(orders.size() * 2);
        for (Map.Entry<String, String> order : orders.entrySet()) {
            String state = order.getValue().substring(0, Math.max(0, order.getValue().indexOf(Keys.ORDER_SEPARATOR)));
            if (state.equals(Order.PENDING)) {
                return new Check(Readiness.UNFINISHED, "", Map.of());
            }
            states.put(Long.parseLong(order.getKey()), state);
        }
        return new Check(Readiness.READY, reply.fingerprint(), states);
    }

    @Override
    public Readiness archive(String sale, long retentionMillis, String fingerprint) {
        Optional<Sale> definition = catalog.find(sale);
        if (definition.isEmpty()) {
            return Readiness.NO_SALE;
        }
        Keys k = keys(sale);
        List<String> counts = redis.call(k.stock(), jedis -> jedis.hmget(k.stock(), Keys.SOLD, Keys.PAID));
        String tombstone = RedisSaleCatalog.tombstone(definition.get(), number(counts.get(0)), number(counts.get(1)),
                catalog.now());
        // the tombstone first: from now on the id cannot be created again, whatever happens next
        redis.call(Keys.archivedSales(), jedis -> jedis.hset(Keys.archivedSales(), sale, tombstone));
        Readiness done = readiness(run(k, "archive", retentionMillis, fingerprint));
        if (done == Readiness.READY || done == Readiness.NO_SALE) {
            redis.call(Keys.sales(), jedis -> {
                try (Transaction multi = jedis.multi()) {
                    multi.srem(Keys.sales(), sale);
                    multi.incr(Keys.salesVersion());
                    multi.exec();
                }
                return null;
            });
        } else {
            // still live: it is no archived sale (its id stays taken: its keys are there)
            redis.call(Keys.archivedSales(), jedis -> jedis.hdel(Keys.archivedSales(), sale));
        }
        return done;
    }

    private LuaScripts.Archiving run(Keys k, String mode, long retentionMillis, String fingerprint) {
        List<String> scriptKeys = new ArrayList<>(k.forScripts());
        scriptKeys.add(k.persisted());
        scriptKeys.add(k.transfers());
        scriptKeys.add(k.received());
        scriptKeys.add(k.payments());
        scriptKeys.add(k.orderPayments());
        scriptKeys.add(k.deadLetters());
        List<String> args = List.of(mode, String.valueOf(retentionMillis), RedisOrderStream.GROUP,
                k.paymentEvent("*"), fingerprint);
        return redis.call(k.stock(), jedis -> LuaScripts.ARCHIVE_SALE.run(jedis, scriptKeys, args));
    }

    private static Readiness readiness(LuaScripts.Archiving reply) {
        Readiness readiness = CODES.get(reply.code());
        if (readiness == null) {
            throw new IllegalStateException("archive_sale answered " + reply);
        }
        return readiness;
    }

    @Override
    public Map<String, ArchivedSale> tombstones() {
        return catalog.archived();
    }

    @Override
    public void dropTombstone(String sale) {
        redis.call(Keys.archivedSales(), jedis -> {
            try (Transaction multi = jedis.multi()) {
                multi.hdel(Keys.archivedSales(), sale);
                multi.incr(Keys.salesVersion());
                multi.exec();
            }
            return null;
        });
    }

    @Override
    public long now() {
        return catalog.now();
    }

    @Override
    public boolean lead(String who, long millis) {
        String lease = Keys.archiver();
        return redis.call(lease, jedis -> {
            if ("OK".equals(jedis.set(lease, who, SetParams.setParams().nx().px(millis)))) {
                return true;
            }
            if (who.equals(jedis.get(lease))) {
                jedis.pexpire(lease, millis);
                return true;
            }
            return false;
        });
    }

    private static long number(String value) {
        return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
    }
}
