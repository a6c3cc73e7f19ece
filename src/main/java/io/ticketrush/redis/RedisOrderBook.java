package io.ticketrush.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/** Orders as Redis hashes, paid and expired by Lua so every transition is atomic. */
public final class RedisOrderBook implements OrderBook {
    private final RedisCalls redis;
    private final Keys keys;

    public RedisOrderBook(RedisCalls redis, Keys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public Optional<Order> find(String orderId) {
        return Optional.ofNullable(toOrder(redis.call(jedis -> jedis.hgetAll(keys.order(orderId)))));
    }

    @Override
    public List<Order> ofUser(String user) {
        return redis.call(jedis -> {
            List<String> ids = jedis.zrange(keys.userOrders(user), 0, -1);
            Pipeline pipeline = jedis.pipelined();
            List<Response<Map<String, String>>> hashes = new ArrayList<>(ids.size());
            for (String id : ids) {
                hashes.add(pipeline.hgetAll(keys.order(id)));
            }
            pipeline.sync();
            List<Order> orders = new ArrayList<>(ids.size());
            for (Response<Map<String, String>> hash : hashes) {
                Order order = toOrder(hash.get());
                if (order != null) {
                    orders.add(order);
                }
            }
            return orders;
        });
    }

    @Override
    public Payment pay(String orderId, String user) {
        List<String> scriptKeys = List.of(keys.order(orderId), keys.pending(), keys.stock(), keys.orderStream());
        List<String> args = List.of(user == null ? "" : user, keys.orderPrefix(), keys.userActivePrefix(), orderId);
        long code = redis.call(jedis -> (Long) LuaScripts.run(jedis, LuaScripts.PAY, scriptKeys, args));
        return toPayment(code);
    }

    /** Builds an order from its Redis hash; null when the hash is empty (no such order). */
    static Order toOrder(Map<String, String> hash) {
        if (hash == null || hash.isEmpty() || hash.get(Keys.STATE) == null) {
            return null;
        }
        String user = hash.getOrDefault(Keys.USER, "");
        return new Order(hash.get(Keys.ID), user.isEmpty() ? null : user,
                Integer.parseInt(hash.getOrDefault(Keys.NODE, "0")), Long.parseLong(hash.getOrDefault(Keys.CREATED, "0")),
                Long.parseLong(hash.getOrDefault(Keys.DEADLINE, "0")), hash.get(Keys.STATE),
                Long.parseLong(hash.getOrDefault(Keys.CLOSED, "0")), hash.containsKey(Keys.PERSISTED));
    }

    /** The one place the pay script's answers become outcomes. */
    static Payment toPayment(long code) {
        return switch ((int) code) {
            case 1 -> Payment.PAID;
            case 2 -> Payment.ALREADY_PAID;
            case -1 -> Payment.UNKNOWN;
            case -2 -> Payment.EXPIRED;
            case -3 -> Payment.NOT_YOURS;
            case -4 -> Payment.VOIDED;
            default -> throw new IllegalStateException("pay script answered " + code);
        };
    }

    @Override
    public int expireDue(int max) {
        List<String> scriptKeys = List.of(keys.pending(), keys.stock(), keys.orderStream());
        List<String> args = List.of(String.valueOf(max), keys.orderPrefix(), keys.userActivePrefix());
        return redis.call(jedis -> ((Long) LuaScripts.run(jedis, LuaScripts.EXPIRE, scriptKeys, args)).intValue());
    }

    @Override
    public Counts counts() {
        return redis.call(jedis -> {
            List<String> stock = jedis.hmget(keys.stock(), Keys.PAID, Keys.EXPIRED);
            String inDatabase = jedis.hget(keys.writerStats(), Keys.IN_DATABASE);
            return new Counts(number(stock.get(0)), number(stock.get(1)), number(inDatabase));
        });
    }

    private static long number(String value) {
        return value == null ? 0 : Long.parseLong(value);
    }
}
