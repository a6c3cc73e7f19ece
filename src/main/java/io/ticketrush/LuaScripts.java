package io.ticketrush;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

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

    /** Redis's clock in milliseconds. */
    private static final String NOW = """
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
              local o = redis.call('HMGET', order_key, 'state', 'user', 'node', 'created', 'deadline')
              if o[1] ~= 'pending' then return false end
              redis.call('HSET', order_key, 'state', 'expired', 'closed', string.format('%d', now))
              redis.call('HINCRBY', stock_key, 'ticket_sold_nums', -1)
              redis.call('HINCRBY', stock_key, 'ticket_expired_nums', 1)
              if o[2] ~= '' then redis.call('ZREM', user_prefix .. o[2], id) end
              redis.call('ZREM', pending_key, id)
              redis.call('XADD', stream_key, '*', 'event', 'expired', 'id', id, 'user', o[2], 'node', o[3],
                'created', o[4], 'deadline', o[5], 'state', 'expired')
              return true
            end
            """;

    /**
     * The buy: in one atomic step, check the request id and the buyer's limit, check and deduct
     * the global stock, create the pending order and append its "created" event.
     * KEYS: 1 stock hash, 2 order seq, 3 event stream, 4 pending index, 5 user's active set,
     * 6 user's orders, 7 request id key. ARGV: 1 user ('' = anonymous), 2 node, 3 time to pay
     * in ms, 4 per-user limit, 5 request id ('' = none), 6 order key prefix, 7 request id TTL s.
     * Answers {code, order id, deadline}: 1 new order, 2 the buyer's existing order,
     * 0 sold out, -1 stock not initialised. {@code sold < total} is the exact bound.
     */
    static final Script BUY = new Script("buy", NOW + """
            local user, prefix, rid = ARGV[1], ARGV[6], ARGV[5]
            local function existing(id)
              return {2, id, tonumber(redis.call('HGET', prefix .. id, 'deadline'))}
            end
            if rid ~= '' then
              local previous = redis.call('GET', KEYS[7])
              if previous then return existing(previous) end
            end
            if user ~= '' and redis.call('ZCARD', KEYS[5]) >= tonumber(ARGV[4]) then
              return existing(redis.call('ZRANGE', KEYS[5], -1, -1)[1])
            end
            local stock = redis.call('HMGET', KEYS[1], 'ticket_total_nums', 'ticket_sold_nums')
            local total = tonumber(stock[1])
            if total == nil then return {-1, '', 0} end
            local sold = tonumber(stock[2]) or 0
            if sold >= total then return {0, '', 0} end
            redis.call('HINCRBY', KEYS[1], 'ticket_sold_nums', 1)
            local now = now_ms()
            local deadline = now + tonumber(ARGV[3])
            local id = redis.call('INCR', KEYS[2])
            local created, due = string.format('%d', now), string.format('%d', deadline)
            redis.call('HSET', prefix .. id, 'id', id, 'user', user, 'node', ARGV[2], 'created', created,
              'deadline', due, 'state', 'pending')
            redis.call('ZADD', KEYS[4], deadline, id)
            if user ~= '' then
              redis.call('ZADD', KEYS[5], id, id)
              redis.call('ZADD', KEYS[6], id, id)
            end
            if rid ~= '' then redis.call('SET', KEYS[7], id, 'EX', tonumber(ARGV[7])) end
            redis.call('XADD', KEYS[3], '*', 'event', 'created', 'id', id, 'user', user, 'node', ARGV[2],
              'created', created, 'deadline', due, 'state', 'pending')
            return {1, tostring(id), deadline}
            """);

    /**
     * Pays a pending order if and only if its deadline has not passed; an order found past its
     * deadline is expired right here, so pay and expire can never both win.
     * KEYS: 1 order hash, 2 pending index, 3 stock hash, 4 event stream.
     * ARGV: 1 user who pays ('' = anyone), 2 order key prefix, 3 user active-set prefix, 4 order id.
     * Answers 1 paid, 2 already paid, -1 unknown order, -2 expired, -3 someone else's order.
     */
    static final Script PAY = new Script("pay", NOW + EXPIRE_ONE + """
            local o = redis.call('HMGET', KEYS[1], 'state', 'user', 'node', 'created', 'deadline')
            if not o[1] then return -1 end
            if ARGV[1] ~= '' and ARGV[1] ~= o[2] then return -3 end
            if o[1] == 'paid' then return 2 end
            if o[1] ~= 'pending' then return -2 end
            local now = now_ms()
            if now > tonumber(o[5]) then
              expire_one(ARGV[2], ARGV[3], KEYS[2], KEYS[3], KEYS[4], ARGV[4], now)
              return -2
            end
            redis.call('HSET', KEYS[1], 'state', 'paid', 'closed', string.format('%d', now))
            redis.call('ZREM', KEYS[2], ARGV[4])
            redis.call('HINCRBY', KEYS[3], 'ticket_paid_nums', 1)
            redis.call('XADD', KEYS[4], '*', 'event', 'paid', 'id', ARGV[4], 'user', o[2], 'node', o[3],
              'created', o[4], 'deadline', o[5], 'state', 'paid')
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
