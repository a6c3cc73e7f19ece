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
            local TOTAL, SOLD, PAID, EXPIRED, VOIDED, ID_BASE = '%s', '%s', '%s', '%s', '%s', '%s'
            local ID, USER, NODE, CREATED, DEADLINE, STATE, CLOSED, EVENT, RID, SEEN =
              '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s'
            local PENDING_STATE, PAID_STATE, EXPIRED_STATE, VOIDED_STATE = '%s', '%s', '%s', '%s'
            local CREATED_EVENT, VOID_MARK, MAX_SEQ = '%s', '%s', %d
            """.formatted(Keys.TOTAL, Keys.SOLD, Keys.PAID, Keys.EXPIRED, Keys.VOIDED, Keys.ID_BASE, Keys.ID, Keys.USER,
            Keys.NODE, Keys.CREATED, Keys.DEADLINE, Keys.STATE, Keys.CLOSED, Keys.EVENT, Keys.RID, Keys.SEEN,
            Order.PENDING, Order.PAID, Order.EXPIRED, Order.VOIDED, Keys.CREATED_EVENT, Keys.VOID_MARK,
            OrderIds.MAX_SEQ);

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
     *
     * <p>A call the node has given up on must sell nothing, so it does nothing when Redis's clock is
     * past ARGV[5] (the node's deadline for it, on Redis's clock) or when the node has voided its
     * batch key already (VOID below). A call that sells records its orders under its batch key,
     * so that the node can void them if the answer never reached it.
     *
     * <p>KEYS: 1 stock hash, 2 order seq, 3 event stream, 4 pending index, 5 batch key, then per
     * buyer i (from 0) 6+3i the user's active set, 7+3i the user's orders, 8+3i the request id key.
     * ARGV: 1 time to pay in ms, 2 per-user limit, 3 order key prefix, 4 request id TTL s,
     * 5 deadline ('' = none), 6 batch key TTL s, then per buyer 7+3i user ('' = anonymous),
     * 8+3i request id ('' = none), 9+3i node.
     * Answers {code, order id, deadline} per buyer, flat: 1 new order, 2 the buyer's existing
     * order, 3 the request's order expired unpaid, 0 sold out, -1 stock not initialised; or for the
     * whole call a single code: -2 past the deadline, -3 voided, -4 no order id base, -5 order
     * numbers used up. {@code sold < total} is the exact bound.
     */
    static final Script BUY = new Script("buy", NOW + """
            local pay_ms, limit, prefix, rid_ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
            local too_late, batch_ttl = tonumber(ARGV[5]), tonumber(ARGV[6])
            local now = now_ms()
            if too_late and now > too_late then return {-2} end
            if redis.call('EXISTS', KEYS[5]) == 1 then return {-3} end
            local stock = redis.call('HMGET', KEYS[1], TOTAL, SOLD, ID_BASE)
            local total, sold, base = tonumber(stock[1]), tonumber(stock[2]) or 0, stock[3]
            local buyers = (#ARGV - 6) / 3
            if total and not base then return {-4} end
            local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
            if seq + buyers > MAX_SEQ then return {-5} end
            local deadline = now + pay_ms
            local created, due = string.format('%d', now), string.format('%d', deadline)
            local taken, made, answer = 0, {}, {}
            local function answer_existing(id)
              local o = redis.call('HMGET', prefix .. id, STATE, DEADLINE)
              if o[1] == EXPIRED_STATE then
                answer[#answer + 1] = 3
              else
                -- a buyer has now been told of this order: voiding its batch must leave it alone
                redis.call('HSET', prefix .. id, SEEN, '1')
                answer[#answer + 1] = 2
              end
              answer[#answer + 1] = id
              answer[#answer + 1] = tonumber(o[2]) or 0
            end
            for i = 0, buyers - 1 do
              local user, rid, node = ARGV[7 + 3 * i], ARGV[8 + 3 * i], ARGV[9 + 3 * i]
              local active, orders, request = KEYS[6 + 3 * i], KEYS[7 + 3 * i], KEYS[8 + 3 * i]
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
                sold, taken = sold + 1, taken + 1
                local id = base .. string.format('%07d', seq + taken)
                redis.call('HSET', prefix .. id, ID, id, USER, user, NODE, node, CREATED, created,
                  DEADLINE, due, STATE, PENDING_STATE, RID, rid)
                redis.call('ZADD', KEYS[4], deadline, id)
                if user ~= '' then
                  redis.call('ZADD', active, id, id)
                  redis.call('ZADD', orders, id, id)
                end
                if rid ~= '' then redis.call('SET', request, id, 'EX', rid_ttl) end
                redis.call('XADD', KEYS[3], '*', EVENT, CREATED_EVENT, ID, id, USER, user, NODE, node,
                  CREATED, created, DEADLINE, due, STATE, PENDING_STATE, RID, rid)
                made[#made + 1] = id
                answer[#answer + 1] = 1; answer[#answer + 1] = id; answer[#answer + 1] = deadline
              end
            end
            if taken > 0 then
              redis.call('HINCRBY', KEYS[1], SOLD, taken)
              redis.call('INCRBY', KEYS[2], taken)
              redis.call('SET', KEYS[5], table.concat(made, ','), 'EX', batch_ttl)
            end
            return answer
            """);

    /**
     * Voids a buy call whose answer never reached its node (a timeout: the buyers were told 503).
     * If the call has not run yet, its batch key is marked so that it sells nothing when it does;
     * if it ran, each of its orders still pending that no buyer has been told of goes back: state
     * -> voided, ticket back to the stock, off the user's set, the pending index and the request
     * id, a "voided" event for the order writer. Safe to run twice.
     * KEYS: 1 batch key, 2 stock hash, 3 event stream, 4 pending index, then per buyer of the call
     * 5+2i the user's active set, 6+2i the request id key. ARGV: 1 order key prefix, 2 batch key
     * TTL s, then per buyer 3+i user. Answers how many tickets came back.
     */
    static final Script VOID = new Script("void", NOW + """
            local batch = redis.call('GET', KEYS[1])
            redis.call('SET', KEYS[1], VOID_MARK, 'EX', tonumber(ARGV[2]))
            if not batch or batch == VOID_MARK then return 0 end
            local active_of = {}
            for i = 0, (#KEYS - 4) / 2 - 1 do
              if ARGV[3 + i] ~= '' then active_of[ARGV[3 + i]] = KEYS[5 + 2 * i] end
            end
            local now, voided, n = string.format('%d', now_ms()), {}, 0
            for id in string.gmatch(batch, '[^,]+') do
              local key = ARGV[1] .. id
              local o = redis.call('HMGET', key, STATE, USER, NODE, CREATED, DEADLINE, SEEN, RID)
              if o[1] == PENDING_STATE and not o[6] then
                redis.call('HSET', key, STATE, VOIDED_STATE, CLOSED, now)
                redis.call('HINCRBY', KEYS[2], SOLD, -1)
                redis.call('HINCRBY', KEYS[2], VOIDED, 1)
                if active_of[o[2]] then redis.call('ZREM', active_of[o[2]], id) end
                redis.call('ZREM', KEYS[4], id)
                redis.call('XADD', KEYS[3], '*', EVENT, VOIDED_STATE, ID, id, USER, o[2], NODE, o[3],
                  CREATED, o[4], DEADLINE, o[5], STATE, VOIDED_STATE, RID, o[7] or '')
                voided[id] = true
                n = n + 1
              end
            end
            for i = 0, (#KEYS - 4) / 2 - 1 do
              local id = redis.call('GET', KEYS[6 + 2 * i])
              if id and voided[id] then redis.call('DEL', KEYS[6 + 2 * i]) end
            end
            return n
            """);

    /**
     * Pays a pending order if and only if its deadline has not passed; an order found past its
     * deadline is expired right here, so pay and expire can never both win.
     * KEYS: 1 order hash, 2 pending index, 3 stock hash, 4 event stream.
     * ARGV: 1 user who pays ('' = anyone), 2 order key prefix, 3 user active-set prefix, 4 order id.
     * Answers 1 paid, 2 already paid, -1 unknown order, -2 expired, -3 someone else's order,
     * -4 voided.
     */
    static final Script PAY = new Script("pay", NOW + EXPIRE_ONE + """
            local o = redis.call('HMGET', KEYS[1], STATE, USER, NODE, CREATED, DEADLINE)
            if not o[1] then return -1 end
            if ARGV[1] ~= '' and ARGV[1] ~= o[2] then return -3 end
            if o[1] == PAID_STATE then return 2 end
            if o[1] == VOIDED_STATE then return -4 end
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
     * Hands out the next order id base ({@link OrderIds}): Redis's clock in hundredths of a
     * second, or one more than the last base handed out if that is later. KEYS: 1 the last base.
     * Answers the base.
     */
    static final Script NEXT_ID_BASE = new Script("next-id-base", """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 100 + math.floor(tonumber(t[2]) / 10000)
            local base = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
            redis.call('SET', KEYS[1], string.format('%d', base))
            return base
            """);

    /**
     * Gives a sale without one (made by the article's HMSET) the id base ARGV[1]; a sale that has
     * one keeps it. KEYS: 1 stock hash. Answers 1 if set, 0 if not (it had one, or no sale).
     */
    static final Script SET_ID_BASE = new Script("set-id-base", NAMES + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
            return redis.call('HSETNX', KEYS[1], ID_BASE, ARGV[1])
            """);

    /**
     * Creates a sale of ARGV[1] tickets with order id base ARGV[2] unless the stock hash exists:
     * {@code ./rush up} after a crash must continue the sale, never start it again. KEYS: 1 stock
     * hash. Answers 1 created, 0 already there.
     */
    static final Script CREATE_SALE = new Script("create-sale", NAMES + """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0, ID_BASE, ARGV[2])
            return 1
            """);

    /**
     * A fresh sale of ARGV[1] tickets with order id base ARGV[3]: drops every key matching ARGV[2]
     * (the orders, their stream, the per-user sets) but KEYS[2] (the last id base handed out)
     * together with the stock hash, so that a pending order of the last sale cannot expire into
     * this one and hand back a ticket it never took. KEYS: 1 stock hash, 2 the last id base.
     * Answers how many keys it dropped besides the stock hash.
     */
    static final Script RESET_SALE = new Script("reset-sale", NAMES + """
            local cursor, n = '0', 0
            repeat
              local page = redis.call('SCAN', cursor, 'MATCH', ARGV[2], 'COUNT', 1000)
              cursor = page[1]
              for _, key in ipairs(page[2]) do
                if key ~= KEYS[2] then redis.call('UNLINK', key) n = n + 1 end
              end
            until cursor == '0'
            redis.call('DEL', KEYS[1])
            redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0, ID_BASE, ARGV[3])
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
