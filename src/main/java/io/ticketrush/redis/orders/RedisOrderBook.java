package io.ticketrush.redis.orders;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.order.Payment;
import io.ticketrush.redis.connect.RedisCalls;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.keys.OrderIds;
import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.StockUnavailableException;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Orders as each sale's orders hash holds them ({@link Keys#ORDER}), and their payments
 * ({@link Keys#PAYMENT}), paid and expired by Lua so every change is atomic. An order id's base
 * names its sale ({@link OrderIds}), and so does a payment id ({@link Payment#ID}).
 */
public final class RedisOrderBook implements OrderBook {
    private final RedisCalls redis;
    private final Function<String, Keys> keys;
    private final Supplier<List<Sale>> sales;

    /**
     * @param keys the keys of a sale, by id
     * @param sales the sales there are (their generations name their orders)
     */
    public RedisOrderBook(RedisCalls redis, Function<String, Keys> keys, Supplier<List<Sale>> sales) {
        this.redis = redis;
        this.keys = keys;
        this.sales = sales;
    }

    /** The keys of the sale whose orders are numbered from the id's base, if there is such a sale. */
    private Optional<Keys> saleOf(String orderId) {
        if (orderId.length() <= OrderIds.SEQ_DIGITS) {
            return Optional.empty();
        }
        long generation = Long.parseLong(orderId.substring(0, orderId.length() - OrderIds.SEQ_DIGITS));
        return sales.get().stream().filter(s -> s.generation() == generation).findFirst()
                .map(s -> keys.apply(s.id()));
    }

    @Override
    public Optional<Order> find(String orderId) {
        return saleOf(orderId).map(k -> redis.call(k.stock(), jedis -> read(jedis, k, List.of(orderId))))
                .flatMap(found -> found.stream().findFirst());
    }

    @Override
    public List<Order> ofUser(String user) {
        List<Sale> all = sales.get();
        List<String> histories = redis.pipelined(pipeline -> {
            List<Response<String>> each = new ArrayList<>(all.size());
            for (Sale sale : all) {
                each.add(pipeline.hget(keys.apply(sale.id()).history(), user));
            }
            pipeline.sync();
            return each.stream().map(Response::get).toList();
        });
        List<Order> orders = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            String ids = histories.get(i);
            if (ids != null) {
                Keys k = keys.apply(all.get(i).id());
                orders.addAll(redis.call(k.stock(), jedis -> read(jedis, k, List.of(ids.split(",")))));
            }
        }
        orders.sort(Comparator.comparingLong(Order::created).thenComparing(Order::id));
        return orders;
    }

    @Override
    public List<Order> ofUser(String user, String sale) {
        Keys k = keys.apply(sale);
        return redis.call(k.stock(), jedis -> {
            String ids = jedis.hget(k.history(), user);
            return ids == null ? List.of() : read(jedis, k, List.of(ids.split(",")));
        });
    }

    /** The orders {@code ids} of one sale, in that order (ids it has not are left out). */
    private static List<Order> read(Jedis jedis, Keys keys, List<String> ids) {
        Pipeline pipeline = jedis.pipelined();
        Response<List<String>> packed = pipeline.hmget(keys.orders(), ids.toArray(String[]::new));
        List<Response<Boolean>> persisted = new ArrayList<>(ids.size());
        for (String id : ids) {
            persisted.add(pipeline.sismember(keys.persisted(), id));
        }
        pipeline.sync();
        List<Order> orders = new ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            Order order = toOrder(keys.sale(), ids.get(i), packed.get().get(i), persisted.get(i).get());
            if (order != null) {
                orders.add(order);
            }
        }
        return orders;
    }

    /** The one place an order as the orders hash holds it ({@link Keys#ORDER}) becomes an Order; null: none. */
    static Order toOrder(String sale, String id, String packed, boolean persisted) {
        if (packed == null) {
            return null;
        }
        String[] f = packed.split(java.util.regex.Pattern.quote(Keys.ORDER_SEPARATOR), -1);
        if (f.length != Keys.ORDER.size()) {
            throw new IllegalStateException("order " + id + " of sale " + sale + " is not " + Keys.ORDER + ": "
                    + packed);
        }
        String user = f[Keys.ORDER.indexOf(Keys.USER)];
        return new Order(id, sale, user.isEmpty() ? null : user, (int) number(f[Keys.ORDER.indexOf(Keys.NODE)]),
                number(f[Keys.ORDER.indexOf(Keys.CREATED)]), number(f[Keys.ORDER.indexOf(Keys.DEADLINE)]),
                f[Keys.ORDER.indexOf(Keys.STATE)], number(f[Keys.ORDER.indexOf(Keys.CLOSED)]), persisted, false);
    }

    @Override
    public Payment.Started startPayment(String orderId, String user, long amount) {
        Optional<Keys> sale = saleOf(orderId);
        if (sale.isEmpty()) {
            return new Payment.Started(Payment.Start.UNKNOWN, null);
        }
        Keys k = sale.get();
        List<String> scriptKeys = new ArrayList<>(k.forScripts());
        scriptKeys.add(k.payments());
        scriptKeys.add(k.orderPayments());
        List<String> args = List.of(orderId, user == null ? "" : user, Payment.newId(k.sale()), String.valueOf(amount));
        LuaScripts.PaymentStart started = redis.call(k.stock(), jedis -> {
            LuaScripts.PaymentStart reply = LuaScripts.START_PAYMENT.run(jedis, scriptKeys, args);
            if (reply.outcome() == Payment.Start.STARTED && !redis.waits().reached(jedis)) {
                // a failover now could lose the payment, and the provider's word would find none
                throw new StockUnavailableException("no replica of the ticket store had the payment within "
                        + redis.waits().timeoutMillis() + " ms");
            }
            return reply;
        });
        return new Payment.Started(started.outcome(), started.paymentId() == null ? null
                : new Payment(started.paymentId(), orderId, started.amount(), Payment.STARTED));
    }

    @Override
    public Cancel cancel(String orderId, String user) {
        Optional<Keys> sale = saleOf(orderId);
        if (sale.isEmpty()) {
            return Cancel.UNKNOWN;
        }
        Keys k = sale.get();
        List<String> args = List.of(orderId, user);
        return redis.call(k.stock(), jedis -> {
            Cancel cancelled = LuaScripts.CANCEL_ORDER.run(jedis, k.forScripts(), args);
            if (cancelled == Cancel.CANCELLED && !redis.waits().reached(jedis)) {
                // a failover now could make the order pending again: the buyer is told to try again
                throw new StockUnavailableException("no replica of the ticket store had the cancellation within "
                        + redis.waits().timeoutMillis() + " ms");
            }
            return cancelled;
        });
    }

    @Override
    public Payment.Confirmed confirmPayment(Payment.Notice notice, long keepEventMillis) {
        Optional<Keys> sale = saleOfPayment(notice.paymentId());
        if (sale.isEmpty() || !Payment.EVENT_ID.matcher(notice.eventId()).matches()) {
            return new Payment.Confirmed(Payment.Confirmation.UNKNOWN, false);
        }
        Keys k = sale.get();
        List<String> scriptKeys = new ArrayList<>(k.forScripts());
        scriptKeys.add(k.payments());
        scriptKeys.add(k.paymentEvent(notice.eventId()));
        List<String> args = List.of(notice.eventId(), notice.paymentId(), notice.orderId(),
                String.valueOf(notice.amount()), String.valueOf(keepEventMillis));
        return redis.call(k.stock(), jedis -> {
            Payment.Confirmed confirmed = LuaScripts.CONFIRM_PAYMENT.run(jedis, scriptKeys, args);
            boolean wrote = !confirmed.repeated() && confirmed.outcome() != Payment.Confirmation.UNKNOWN
                    && confirmed.outcome() != Payment.Confirmation.MISMATCH;
            if (wrote && !redis.waits().reached(jedis)) {
                // a failover now could make the order pending again, and it would expire: the provider retries
                throw new StockUnavailableException("no replica of the ticket store had the payment's confirmation"
                        + " within " + redis.waits().timeoutMillis() + " ms");
            }
            return confirmed;
        });
    }

    @Override
    public Optional<Payment> payment(String paymentId) {
        return saleOfPayment(paymentId).flatMap(k -> Optional.ofNullable(
                redis.call(k.stock(), jedis -> toPayment(paymentId, jedis.hget(k.payments(), paymentId)))));
    }

    /** The keys of the sale a payment id names, if there is such a sale. */
    private Optional<Keys> saleOfPayment(String paymentId) {
        return Payment.saleOf(paymentId)
                .filter(sale -> sales.get().stream().anyMatch(s -> s.id().equals(sale)))
                .map(keys);
    }

    /** The one place a payment as the payments hash holds it ({@link Keys#PAYMENT}) becomes a Payment; null: none. */
    static Payment toPayment(String id, String packed) {
        if (packed == null) {
            return null;
        }
        String[] f = packed.split(java.util.regex.Pattern.quote(Keys.ORDER_SEPARATOR), -1);
        if (f.length != Keys.PAYMENT.size()) {
            throw new IllegalStateException("payment " + id + " is not " + Keys.PAYMENT + ": " + packed);
        }
        return new Payment(id, f[Keys.PAYMENT.indexOf(Keys.PAY_ORDER)], number(f[Keys.PAYMENT.indexOf(Keys.AMOUNT)]),
                f[Keys.PAYMENT.indexOf(Keys.STATE)]);
    }

    /** One pipelined round trip for every sale: a sale with nothing due costs Redis a few microseconds. */
    @Override
    public int expireDue(int max) {
        List<Sale> all = sales.get();
        List<List<String>> keysOfEach = new ArrayList<>(all.size());
        for (Sale sale : all) {
            keysOfEach.add(keys.apply(sale.id()).forScripts());
        }
        List<Long> expired = LuaScripts.EXPIRE.runAll(redis, keysOfEach, List.of(String.valueOf(max)));
        int most = 0;
        for (long n : expired) {
            most = (int) Math.max(most, n);
        }
        return most;
    }

    @Override
    public Counts counts(String sale) {
        Keys k = keys.apply(sale);
        return redis.call(k.stock(), jedis -> {
            Pipeline pipeline = jedis.pipelined();
            Response<List<String>> stock = pipeline.hmget(k.stock(), Keys.PAID, Keys.EXPIRED);
            Response<Long> inDatabase = pipeline.scard(k.persisted());
            pipeline.sync();
            return new Counts(number(stock.get().get(0)), number(stock.get().get(1)), inDatabase.get());
        });
    }

    private static long number(String value) {
        return value == null || value.isEmpty() ? 0 : Long.parseLong(value);
    }
}
