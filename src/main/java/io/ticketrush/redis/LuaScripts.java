package io.ticketrush.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import io.ticketrush.order.Order;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Every Lua script ticket-rush runs in Redis, in one place. Each is called by its SHA1 and
 * loaded again when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH). Scripts take
 * their inputs from KEYS and ARGV only and answer small integers (or an integer and an order).
 *
 * <p>Every time a script needs is Redis's own clock ({@code TIME}), so pay and expire compare
 * deadlines on one clock whatever the nodes' clocks say.
 */
final class LuaScripts {

    /** A script's source and its SHA1, computed here so the first call needs no SCRIPT LOAD. */
    record Script(String name, String source, String sha) {
        Script(String name, String source) {
            this(name, source, sha1(source));
        }
    }

    /**
     * The names every script shares, from {@link Keys} and {@link Order}: hash fields, order
     * states and event names are written once, in Java.
     */
    private static final String NAMES = """
            local TOTAL, SOLD, PAID, EXPIRED = '%s', '%s', '%s', '%s'
            local ID, USER, NODE, CREATED, DEADLINE, STATE, CLOSED, EVENT = '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s'
            local PENDING_STATE, PAID_STATE, EXPIRED_STATE = '%s', '%s', '%s'
            """.formatted(Keys.TOTAL, Keys.SOLD, Keys.PAID, Keys.EXPIRED, Keys.ID, Keys.USER, Keys.NODE, Keys.CREATED,
            Keys.DEADLINE, Keys.STATE, Keys.CLOSED, Keys.EVENT, Order.PENDING, Order.PAID, Order.EXPIRED);

    /** Redis's clock in milliseconds. */
    private static final String NOW = NAMES + """
            local function now_ms()
              local t = redis.call('TIME')
              return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            """;

    /**
     * Expires one pending order: state -> expired, its ticket back to the global stock, off the
     * user's active set and the pending index, an "expired" event for the order writer.
     * Answers true only for the call that did it, so a ticket is returned exactly once.
     */
    private static final String EXPIRE_ONE = """
            local function expire_one(order_prefix, user_prefix, pending_key, stock_key, stream_key, id, now)
              local order_key = order_prefix .. id
              local o = redis.call('HMGET', order_key, STATE, USER, NODE, CREATED, DEADLINE)
              if o[1] ~= PENDING_STATE then return false end
              redis.call('HSET', order_key, STATE, EXPIRED_STATE, CLOSED, string.format('%d', now))
              redis.call('HINCRBY', stock_key, SOLD, -1)
              redis.call('HINCRBY', stock_key, EXPIRED, 1)
              if o[2] ~= '' then redis.call('ZREM', user_prefix .. o[2], id) end
              redis.call('ZREM', pending_key, id)
              redis.call('XADD', stream_key, '*', EVENT, EXPIRED_STATE, ID, id, USER, o[2], NODE, o[3],
                CREATED, o[4], DEADLINE, o[5], STATE, EXPIRED_STATE)
              return true
            end
            """;

    /**
     * The buy, for one or more buyers in turn (the requests that queued on a node's lock while the
     * previous call ran), each as if alone: check the request id and the buyer's limit, check and
     * deduct the global stock, create the pending order and append its "created" event. The whole
     * call is one atomic step; the stock counter and the order sequence are written once per call.
     * KEYS: 1 stock hash, 2 order seq, 3 event stream, 4 pending index, then per buyer i (from 0)
     * 5+3i the user's active set, 6+3i the user's orders, 7+3i the request id key.
     * ARGV: 1 time to pay in ms, 2 per-user limit, 3 order key prefix, 4 request id TTL s, then per
     * buyer 5+3i user ('' = anonymous), 6+3i request id ('' = none), 7+3i node.
     * Answers {code, order id, deadline} per buyer, flat: 1 new order, 2 the buyer's existing
     * order, 0 sold out, -1 stock not initialised. {@code sold < total} is the exact bound.
     */
    static final Script BUY = new Script("buy", NOW + """
            local pay_ms, limit, prefix, rid_ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
            local stock = redis.call('HMGET', KEYS[1], TOTAL, SOLD)
            local total = tonumber(stock[1])
            local sold = tonumber(stock[2]) or 0
            local taken, seq, now, deadline, created, due = 0
            local answer = {}
            local function answer_existing(id)
              local d = redis.call('HGET', prefix .. id, DEADLINE)
              answer[#answer + 1] = 2
              answer[#answer + 1] = id
              answer[#answer + 1] = tonumber(d) or 0
            end
            for i = 0, (#ARGV - 4) / 3 - 1 do
              local user, rid, node = ARGV[5 + 3 * i], ARGV[6 + 3 * i], ARGV[7 + 3 * i]
              local active, orders, request = KEYS[5 + 3 * i], KEYS[6 + 3 * i], KEYS[7 + 3 * i]
              local previous = rid ~= '' and redis.call('GET', request)
              if previous then
                answer_existing(previous)
              elseif user ~= '' and redis.call('ZCARD', active) >= limit then
                answer_existing(redis.call('ZRANGE', active, -1, -1)[1])
              elseif total == nil then
                answer[#answer + 1] = -1; answer[#answer + 1] = ''; answer[#answer + 1] = 0
              elseif sold >= total then
                answer[#answer + 1] = 0; answer[#answer + 1] = ''; answer[#answer + 1] = 0
              else
                if not now then
                  now = now_ms()
                  deadline = now + pay_ms
                  created, due = string.format('%d', now), string.format('%d', deadline)
                  seq = tonumber(redis.call('GET', KEYS[2]) or '0')
                end
                sold, taken = sold + 1, taken + 1
                local id = string.format('%d', seq + taken)
                redis.call('HSET', prefix .. id, ID, id, USER, user, NODE, node, CREATED, created,
                  DEADLINE, due, STATE, PENDING_STATE)
                redis.call('ZADD', KEYS[4], deadline, id)
                if user ~= '' then
                  redis.call('ZADD', active, id, id)
                  redis.call('ZADD', orders, id, id)
                end
                if rid ~= '' then redis.call('SET', request, id, 'EX', rid_ttl) end
                redis.call('XADD', KEYS[3], '*', EVENT, 'created', ID, id, USER, user, NODE, node,
                  CREATED, created, DEADLINE, due, STATE, PENDING_STATE)
                answer[#answer + 1] = 1; answer[#answer + 1] = id; answer[#answer + 1] = deadline
              end
            end
            if taken > 0 then
              redis.call('HINCRBY', KEYS[1], SOLD, taken)
              redis.call('INCRBY', KEYS[2], taken)
            end
            return answer
            """);

    /**
     * Pays a pending order if and only if its deadline has not passed; an order found past its
     * deadline is expired right here, so pay and expire can never both win.
     * KEYS: 1 order hash, 2 pending index, 3 stock hash, 4 event stream.
     * ARGV: 1 user who pays ('' = anyone), 2 order key prefix, 3 user active-set prefix, 4 order id.
     * Answers 1 paid, 2 already paid, -1 unknown order, -2 expired, -3 someone else's order.
     */
    static final Script PAY = new Script("pay", NOW + EXPIRE_ONE + """
            local o = redis.call('HMGET', KEYS[1], STATE, USER, NODE, CREATED, DEADLINE)
            if not o[1] then return -1 end
            if ARGV[1] ~= '' and ARGV[1] ~= o[2] then return -3 end
            if o[1] == PAID_STATE then return 2 end
            if o[1] ~= PENDING_STATE then return -2 end
            local now = now_ms()
            if now > tonumber(o[5]) then
              expire_one(ARGV[2], ARGV[3], KEYS[2], KEYS[3], KEYS[4], ARGV[4], now)
              return -2
            end
            redis.call('HSET', KEYS[1], STATE, PAID_STATE, CLOSED, string.format('%d', now))
            redis.call('ZREM', KEYS[2], ARGV[4])
            redis.call('HINCRBY', KEYS[3], PAID, 1)
            redis.call('XADD', KEYS[4], '*', EVENT, PAID_STATE, ID, ARGV[4], USER, o[2], NODE, o[3],
              CREATED, o[4], DEADLINE, o[5], STATE, PAID_STATE)
            return 1
            """);

    /**
     * Expires up to ARGV[1] pending orders whose deadline has passed. Safe to run on every node
     * at once: each order is expired, and its ticket returned, by exactly one call.
     * KEYS: 1 pending index, 2 stock hash, 3 event stream. ARGV: 1 batch size, 2 order key prefix,
     * 3 user active-set prefix. Answers how many orders this call expired.
     */
    static final Script EXPIRE = new Script("expire", NOW + EXPIRE_ONE + """
            local now = now_ms()
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now),
              'LIMIT', 0, tonumber(ARGV[1]))
            local expired = 0
            for _, id in ipairs(due) do
              if expire_one(ARGV[2], ARGV[3], KEYS[1], KEYS[2], KEYS[3], id, now) then
                expired = expired + 1
              else
                redis.call('ZREM', KEYS[1], id)
              end
            end
            return expired
            """);

    /**
     * Creates a sale of ARGV[1] tickets unless the stock hash exists: {@code ./rush up} after a
     * crash must continue the sale, never start it again. KEYS: 1 stock hash. Answers 1 created,
     * 0 already there.
     */
    static final Script CREATE_SALE = new Script("create-sale", NAMES + """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0)
            return 1
            """);

    /**
     * A fresh sale of ARGV[1] tickets: drops every key matching ARGV[2] (the orders, their
     * stream, the per-user sets) together with the stock hash, so that a pending order of the last
     * sale cannot expire into this one and hand back a ticket it never took. KEYS: 1 stock hash.
     * Answers how many keys it dropped besides the stock hash.
     */
    static final Script RESET_SALE = new Script("reset-sale", NAMES + """
            local cursor, n = '0', 0
            repeat
              local page = redis.call('SCAN', cursor, 'MATCH', ARGV[2], 'COUNT', 1000)
              cursor = page[1]
              for _, key in ipairs(page[2]) do redis.call('UNLINK', key) n = n + 1 end
            until cursor == '0'
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0)
            return n
            """);

    private LuaScripts() {
    }

    /** Runs {@code script} by SHA, loading it first if Redis does not know it. */
    static Object run(Jedis jedis, Script script, List<String> keys, List<String> args) {
        try {
            return jedis.evalsha(script.sha(), keys, args);
        } catch (JedisNoScriptException e) {
            jedis.scriptLoad(script.source());
            return jedis.evalsha(script.sha(), keys, args);
        }
    }

    private static String sha1(String source) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JVM", e);
        }
    }
}
