package io.ticketrush.redis.sales;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

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
            -1L, Readiness.NO_SALE, -2L, Readiness.NOT_DUE, -3L, Readiness.UNFINISHED, -4L, Readiness.UNWRITTEN);

    /** Between a hot sale's home's fingerprint and each bucket's in its fingerprint; a bucket gone is {@link #GONE}. */
    private static final String PART_SEPARATOR = ";";
    private static final String GONE = "gone";

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
        // a hot sale's buckets go with it
        return redis.call(Keys.sales(), jedis -> jedis.smembers(Keys.sales())).stream()
                .filter(id -> !Sale.DEFAULT.equals(id) && !Sale.isBucket(id)).sorted().toList();
    }

    @Override
    public Check check(String sale, long retentionMillis) {
        if (Sale.DEFAULT.equals(sale)) {
            return Check.not(Readiness.KEPT);
        }
        if (Sale.isBucket(sale)) {
            return Check.not(Readiness.HOT);
        }
        Keys k = keys(sale);
        LuaScripts.Archiving reply = run(k, "check", retentionMillis, "");
        Readiness readiness = readiness(reply);
        if (readiness != Readiness.READY) {
            return Check.not(readiness);
        }
        Optional<Hot> hot = hot(k);
        if (hot.isEmpty()) {
            Map<Long, String> states = new HashMap<>();
            return finalStates(k, states) ? new Check(Readiness.READY, reply.fingerprint(), states, List.of(sale))
                    : Check.not(Readiness.UNFINISHED);
        }
        // a hot sale: each bucket in its own slot, checked on its own; one gone was archived by an
        // earlier round that began this archive (the home is marked), and its part of the fingerprint says so
        StringBuilder fingerprint = new StringBuilder(reply.fingerprint());
        Map<Long, String> states = new HashMap<>();
        List<String> parts = new ArrayList<>();
        for (String bucket : hot.get().buckets()) {
            LuaScripts.Archiving part = run(keys(bucket), "check", retentionMillis, "");
            Readiness ready = readiness(part);
            fingerprint.append(PART_SEPARATOR);
            if (ready == Readiness.NO_SALE && hot.get().marked()) {
                fingerprint.append(GONE);
                continue;
            }
            if (ready != Readiness.READY) {
                return Check.not(ready);
            }
            if (!finalStates(keys(bucket), states)) {
                return Check.not(Readiness.UNFINISHED);
            }
            fingerprint.append(part.fingerprint());
            parts.add(bucket);
        }
        return new Check(Readiness.READY, fingerprint.toString(), states, parts);
    }

    /** A hot sale's buckets, and whether its archiving began (some of them may be gone). */
    private record Hot(List<String> buckets, boolean marked) {
    }

    /** The sale's buckets if it is a hot sale. */
    private Optional<Hot> hot(Keys k) {
        List<String> fields = redis.call(k.stock(), jedis -> jedis.hmget(k.stock(), Keys.BUCKETS, Keys.ARCHIVING));
        if (fields.get(0) == null) {
            return Optional.empty();
        }
        List<String> buckets = new ArrayList<>();
        for (int b = 0; b < Integer.parseInt(fields.get(0)); b++) {
            buckets.add(Sale.bucketId(k.sale(), b));
        }
        return Optional.of(new Hot(buckets, fields.get(1) != null));
    }

    /** Adds the sale's orders' states to {@code states}; false if one is pending. */
    private boolean finalStates(Keys k, Map<Long, String> states) {
        Map<String, String> orders = redis.call(k.orders(), jedis -> jedis.hgetAll(k.orders()));
        for (Map.Entry<String, String> order : orders.entrySet()) {
            String state = order.getValue().substring(0, Math.max(0, order.getValue().indexOf(Keys.ORDER_SEPARATOR)));
            if (state.equals(Order.PENDING)) {
                return false;
            }
            states.put(Long.parseLong(order.getKey()), state);
        }
        return true;
    }

    @Override
    public Readiness archive(String sale, long retentionMillis, String fingerprint) {
        if (Sale.DEFAULT.equals(sale)) {
            return Readiness.KEPT;
        }
        if (Sale.isBucket(sale)) {
            return Readiness.HOT;
        }
        Optional<Sale> definition = catalog.find(sale);
        if (definition.isEmpty()) {
            return Readiness.NO_SALE;
        }
        Keys k = keys(sale);
        Optional<Hot> hot = hot(k);
        if (hot.isPresent()) {
            return archiveHot(definition.get(), hot.get(), retentionMillis, fingerprint);
        }
        List<String> counts = redis.call(k.stock(), jedis -> jedis.hmget(k.stock(), Keys.SOLD, Keys.PAID));
        String tombstone = RedisSaleCatalog.tombstone(definition.get(), number(counts.get(0)), number(counts.get(1)),
                catalog.now());
        // the tombstone first: from now on the id cannot be created again, whatever happens next
        redis.call(Keys.archivedSales(), jedis -> jedis.hset(Keys.archivedSales(), sale, tombstone));
        Readiness done = readiness(run(k, "archive", retentionMillis, fingerprint));
        if (done == Readiness.READY || done == Readiness.NO_SALE) {
            unlist(List.of(sale));
        } else {
            // still live: it is no archived sale (its id stays taken: its keys are there)
            redis.call(Keys.archivedSales(), jedis -> jedis.hdel(Keys.archivedSales(), sale));
        }
        return done;
    }

    /**
     * A hot sale, whose buckets are sales of their own in other slots (on other masters of a
     * cluster): no one script sees them all. The tombstone first; then the home is marked (only if
     * its part of the fingerprint holds): the archive has begun, no reset; then each bucket goes in
     * its own script, only if its own part holds; the home last. A bucket that changed since the check
     * stops it there: if none went yet the mark and the tombstone go again (the sale is whole and
     * live); else both stay, the buckets gone leave the list of sales, and a later round, finding the
     * home marked and a bucket gone, checks the rest again and goes on.
     */
    private Readiness archiveHot(Sale sale, Hot hot, long retentionMillis, String fingerprint) {
        String[] parts = fingerprint.split(Pattern.quote(PART_SEPARATOR), -1);
        if (parts.length != hot.buckets().size() + 1) {
            return Readiness.CHANGED; // a fingerprint of another sale's shape: checked again next round
        }
        Keys home = keys(sale.id());
        long sold = 0;
        long paid = 0;
        for (String bucket : hot.buckets()) {
            Keys b = keys(bucket);
            List<String> counts = redis.call(b.stock(), jedis -> jedis.hmget(b.stock(), Keys.SOLD, Keys.PAID));
            sold += number(counts.get(0));
            paid += number(counts.get(1));
        }
        String tombstone = RedisSaleCatalog.tombstone(sale, sold, paid, catalog.now());
        if (hot.marked()) {
            // begun by an earlier round, whose tombstone counted the buckets gone since
            redis.call(Keys.archivedSales(), jedis -> jedis.hsetnx(Keys.archivedSales(), sale.id(), tombstone));
        } else {
            redis.call(Keys.archivedSales(), jedis -> jedis.hset(Keys.archivedSales(), sale.id(), tombstone));
        }
        Readiness marked = readiness(run(home, "mark", retentionMillis, parts[0]));
        // whether every bucket is still there (none went, in this round or an earlier one)
        boolean whole = !Arrays.asList(parts).contains(GONE);
        List<String> went = new ArrayList<>();
        if (marked == Readiness.READY) {
            for (int b = 0; b < hot.buckets().size(); b++) {
                if (parts[b + 1].equals(GONE)) {
                    continue;
                }
                Readiness done = readiness(run(keys(hot.buckets().get(b)), "archive", retentionMillis, parts[b + 1]));
                if (done != Readiness.READY) {
                    marked = done;
                    break;
                }
                went.add(hot.buckets().get(b));
                whole = false;
            }
        }
        if (marked == Readiness.READY) {
            marked = readiness(run(home, "archive", retentionMillis, parts[0]));
        }
        if (marked == Readiness.READY) {
            List<String> ids = new ArrayList<>(hot.buckets());
            ids.add(sale.id());
            unlist(ids);
            return Readiness.READY;
        }
        if (whole) {
            // nothing went: the sale is whole and live again
            redis.call(home.stock(), jedis -> jedis.hdel(home.stock(), Keys.ARCHIVING));
            redis.call(Keys.archivedSales(), jedis -> jedis.hdel(Keys.archivedSales(), sale.id()));
        } else if (!went.isEmpty()) {
            // half archived: the buckets gone leave the list, and every node, reading the sales again,
            // forgets the sale (its tombstone is there) and answers its orders from the database
            unlist(went);
        }
        return marked == Readiness.READY ? Readiness.CHANGED : marked;
    }

    /** The sales leave the list of sales, and its version moves on: every node reads them again. */
    private void unlist(List<String> ids) {
        redis.call(Keys.sales(), jedis -> {
            try (Transaction multi = jedis.multi()) {
                multi.srem(Keys.sales(), ids.toArray(String[]::new));
                multi.incr(Keys.salesVersion());
                multi.exec();
            }
            return null;
        });
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
