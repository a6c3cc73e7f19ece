package io.ticketrush.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import io.ticketrush.order.Order;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
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
            local TOTAL, SOLD, PAID, EXPIRED, VOIDED, ID_BASE, SEQ = '%s', '%s', '%s', '%s', '%s', '%s', '%s'
            local NAME, OPENS_AT, CLOSES_AT, USER_LIMIT, PAY_MS = '%s', '%s', '%s', '%s', '%s'
            local ID, USER, NODE, CREATED, DEADLINE, STATE, CLOSED, EVENT, RID =
              '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s', '%s'
            local PENDING_STATE, PAID_STATE, EXPIRED_STATE, VOIDED_STATE = '%s', '%s', '%s', '%s'
            local CREATED_EVENT, VOID_MARK, MAX_SEQ, SEP, BATCH, SETTLED = '%s', '%s', %d, '%s', '%s', '%s'
            local TAKEN = '%s'
            """.formatted(Keys.TOTAL, Keys.SOLD, Keys.PAID, Keys.EXPIRED, Keys.VOIDED, Keys.ID_BASE, Keys.SEQ,
            Keys.NAME, Keys.OPENS_AT, Keys.CLOSES_AT, Keys.USER_LIMIT, Keys.PAY_MS, Keys.ID, Keys.USER, Keys.NODE,
            Keys.CREATED, Keys.DEADLINE, Keys.STATE, Keys.CLOSED, Keys.EVENT, Keys.RID, Order.PENDING, Order.PAID,
            Order.EXPIRED, Order.VOIDED, Keys.CREATED_EVENT, Keys.VOID_MARK, OrderIds.MAX_SEQ, Keys.ORDER_SEPARATOR,
            Keys.BATCH, Keys.SETTLED, Keys.TAKEN);

    /**
     * Redis's clock in milliseconds; an order as the sale's orders hash holds it ({@link Keys#ORDER},
     * fields by their names) and back; a user's order ids (comma separated) with one more or one less.
     */
    private static final String COMMON = NAMES + """
            local function now_ms()
              local t = redis.call('TIME')
              return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            end
            local ORDER = {%s}
            local ORDER_PATTERN = '%s'
            local function unpack_order(packed)
              if not packed then return nil end
              local values, o = {string.match(packed, ORDER_PATTERN)}, {}
              for i, field in ipairs(ORDER) do o[field] = values[i] end
              return o
            end
            local function pack_order(o)
              local values = {}
              for i, field in ipairs(ORDER) do values[i] = o[field] or '' end
              return table.concat(values, SEP)
            end
            local function ids_of(list)
              local ids = {}
              if list then for id in string.gmatch(list, '[^,]+') do ids[#ids + 1] = id end end
              return ids
            end
            local function with_id(list, id)
              if list and list ~= '' then return list .. ',' .. id end
              return id
            end
            local function without_id(key, user, id)
              local left = {}
              for _, other in ipairs(ids_of(redis.call('HGET', key, user))) do
                if other ~= id then left[#left + 1] = other end
              end
              if #left == 0 then redis.call('HDEL', key, user) else redis.call('HSET', key, user, table.concat(left, ',')) end
            end
            local function event(stream, name, id, o)
              redis.call('XADD', stream, '*', EVENT, name, ID, id, USER, o[USER], NODE, o[NODE], CREATED, o[CREATED],
                DEADLINE, o[DEADLINE], STATE, o[STATE], RID, o[RID])
            end
            """.formatted(String.join(", ", Keys.ORDER.stream().map(f -> "'" + f + "'").toList()),
            "^" + String.join(Keys.ORDER_SEPARATOR, Collections.nCopies(Keys.ORDER.size(),
                    "([^" + Keys.ORDER_SEPARATOR + "]*)")) + "$");

    /**
     * Takes a pending order's ticket back: state -> {@code state} (expired or voided), the ticket
     * back to the stock, off its user's held orders and the pending index, an event for the
     * writer. Voiding a call: each of its orders still pending goes back and frees its request id,
     * and the call's entry in the batches goes. The keys are the sale's ({@link #SALE_KEYS}).
     * The entry of a call whose answer may not have reached its node yet ({@link Keys#batches()}).
     */
    private static final String GIVE_BACK = """
            local function give_back(id, o, state, counter, now)
              o[STATE], o[CLOSED] = state, string.format('%d', now)
              redis.call('HSET', KEYS[4], id, pack_order(o))
              redis.call('HINCRBY', KEYS[1], SOLD, -1)
              redis.call('HINCRBY', KEYS[1], counter, 1)
              if o[USER] ~= '' then without_id(KEYS[5], o[USER], id) end
              redis.call('ZREM', KEYS[3], id)
              event(KEYS[2], state, id, o)
            end
            local function void_batch(token, ids, now)
              local n = 0
              for _, id in ipairs(ids_of(ids)) do
                local o = unpack_order(redis.call('HGET', KEYS[4], id))
                if o and o[STATE] == PENDING_STATE and redis.call('SISMEMBER', KEYS[9], id) == 0 then
                  give_back(id, o, VOIDED_STATE, VOIDED, now)
                  local request = o[USER] .. ':' .. o[RID]
                  if o[RID] ~= '' and redis.call('HGET', KEYS[7], request) == id then
                    redis.call('HDEL', KEYS[7], request)
                  end
                  n = n + 1
                end
              end
              redis.call('HDEL', KEYS[8], token)
              redis.call('ZREM', KEYS[10], token)
              return n
            end
            -- a call's entry: {give_up = n, ids = ...} while unsettled, {settled = true, ids = ...} once
            -- settled, nil when there is none (voided before it ran, or no call)
            local function call_of(token)
              if not token or token == '' then return nil end
              local entry = redis.call('HGET', KEYS[8], token)
              if not entry or entry == VOID_MARK then return nil end
              local head, ids = string.match(entry, '^([^|]*)|(.*)$')
              if head == SETTLED then return {settled = true, ids = ids} end
              return {give_up = tonumber(head), ids = ids}
            end
            -- voids the calls whose nodes have given up on them (their buyers heard 503, or nothing);
            -- answers how many tickets came back
            local function reclaim(now)
              local n = 0
              for _, token in ipairs(redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', '(' .. string.format('%d', now))) do
                local call = call_of(token)
                if call and not call.settled then
                  n = n + void_batch(token, call.ids, now)
                else
                  redis.call('ZREM', KEYS[10], token)
                end
              end
              return n
            end
            """;

    /**
     * What a buyer who already has an order is told of it, on behalf of the scripts that find it
     * (BUY's repeats, EXISTING): {code, id, deadline}, code 2 it is theirs, 3 it expired. An order
     * whose call's answer has not reached its node yet is nobody's to tell of: code 4 (try again)
     * while the node may still answer its buyer; once the node has given up on the call, the call is
     * voided here (its buyer heard 503) and the order answers nil: there is none. Telling writes
     * every time (a set member added again writes nothing): {@code WAIT} covers only the writes of
     * the teller's own connection, and the order must be on a replica before anyone is told of it.
     */
    private static final String TELL = """
            local function tell(id, now)
              local o = unpack_order(redis.call('HGET', KEYS[4], id))
              if not o then return nil, 0 end
              local call = call_of(o[BATCH])
              if call and not call.settled then
                if now <= call.give_up then return {4, id, 0}, 0 end
                return nil, void_batch(o[BATCH], call.ids, now)
              end
              -- told now: a void of its call (its node lost the answer to the settling) leaves it be. Put
              -- back if it was there: telling is always a write, so the teller's WAIT covers the order
              if redis.call('SADD', KEYS[9], id) == 0 then
                redis.call('SREM', KEYS[9], id)
                redis.call('SADD', KEYS[9], id)
              end
              return {o[STATE] == EXPIRED_STATE and 3 or 2, id, tonumber(o[DEADLINE]) or 0}, 0
            end
            """;

    /**
     * KEYS of every script that changes orders, in this order ({@link Keys#forScripts()}):
     * 1 stock hash, 2 event stream, 3 pending index, 4 orders, 5 holders, 6 history, 7 requests,
     * 8 batches, 9 seen, 10 unsettled.
     */
    static final String SALE_KEYS = "stock, order stream, pending, orders, holders, history, requests, batches, seen, unsettled";

    /**
     * The buy, for one or more buyers in turn (the requests that queued on a node's lock while the
     * previous call ran), each as if alone: check the request id and the buyer's limit, check and
     * deduct the global stock, create the pending order and append its "created" event. The whole
     * call is one atomic step; the stock counter and the order sequence are written once per call.
     *
     * <p>The sale decides: nothing before it opens or once it closes, on Redis's clock; nothing if
     * it was reset since the node read it (ARGV[5], its generation).
     *
     * <p>A call the node has given up on must sell nothing, since its buyers hear 503. So it does
     * nothing when Redis's clock is past ARGV[3] (the node's deadline for it) or when the node has
     * voided it already (VOID below). A call that sells leaves an entry in the batches: its orders
     * are nobody's until the node, having the answer, takes the entry out (before it tells its
     * buyers). A call whose answer was lost (Redis stalled after running it, a broken link) is
     * voided by its node, or by the first script that meets one of its orders after ARGV[4], the
     * moment the node gives up on it. A buy that finds the stock gone voids the calls past that moment first
     * (the unsettled index, KEYS[10], finds them without a scan).
     *
     * <p>KEYS: the sale's ({@link #SALE_KEYS}). ARGV: 1 time to pay in ms, 2 per-user limit,
     * 3 deadline ('' = none), 4 give-up moment, 5 the sale's generation ('' = any), 6 batch token,
     * then per buyer i (from 0) 7+3i user ('' = anonymous), 8+3i request id ('' = none), 9+3i node.
     * Answers {code, order id, deadline} per buyer, flat: 1 new order, 2 the buyer's existing
     * order, 3 the request's order expired unpaid, 4 try again (the buyer's order is being
     * confirmed, or the stock is gone while calls still being settled hold tickets that may come
     * back: "sold out" must be final), 0 sold out, -1 no such sale; or for the whole call a code and a number: -2 past the
     * deadline, -3 voided, -4 no order id base, -5 order numbers used up, -6 not open yet (opens
     * at), -7 closed (closed at), -8 reset since (the new generation). {@code sold < total} is the
     * exact bound.
     */
    static final Script BUY = new Script("buy", COMMON + GIVE_BACK + TELL + """
            local pay_ms, limit, too_late = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local give_up, generation, token = ARGV[4], ARGV[5], ARGV[6]
            local now = now_ms()
            if too_late and now > too_late then return {-2, 0} end
            if redis.call('HGET', KEYS[8], token) == VOID_MARK then
              redis.call('HDEL', KEYS[8], token)
              return {-3, 0}
            end
            local s = redis.call('HMGET', KEYS[1], TOTAL, SOLD, ID_BASE, SEQ, OPENS_AT, CLOSES_AT)
            local total, sold, base, seq = tonumber(s[1]), tonumber(s[2]) or 0, s[3], tonumber(s[4]) or 0
            local opens, closes = tonumber(s[5]) or 0, tonumber(s[6]) or 0
            local buyers = (#ARGV - 6) / 3
            if total then
              if not base then return {-4, 0} end
              if generation ~= '' and generation ~= base then return {-8, tonumber(base)} end
              if now < opens then return {-6, opens} end
              if closes > 0 and now >= closes then return {-7, closes} end
            end
            if seq + buyers > MAX_SEQ then return {-5, 0} end
            local deadline = now + pay_ms
            local created, due = string.format('%d', now), string.format('%d', deadline)
            local taken, made, answer = 0, {}, {}
            local reclaimed = false
            local function push(three)
              for _, v in ipairs(three) do answer[#answer + 1] = v end
            end
            -- an order the buyer already has, if any: told of it, true
            local function existing(user, rid)
              for _ = 1, 2 do
                local id = rid ~= '' and redis.call('HGET', KEYS[7], user .. ':' .. rid)
                if not id and user ~= '' then
                  local held = ids_of(redis.call('HGET', KEYS[5], user))
                  if #held >= limit then id = held[#held] end
                end
                if not id then return false end
                local told, voided = tell(id, now)
                sold = sold - voided
                if told then push(told) return true end
                -- its call was voided: look again, the buyer may hold another
              end
              return false
            end
            for i = 0, buyers - 1 do
              local user, rid, node = ARGV[7 + 3 * i], ARGV[8 + 3 * i], ARGV[9 + 3 * i]
              local told = existing(user, rid)
              if not told and total and sold >= total and not reclaimed then
                -- the stock looks gone: first take back what calls their nodes gave up on hold
                reclaimed = true
                sold = sold - reclaim(now)
              end
              if told then
                -- told of the order it has
              elseif total == nil then
                push({-1, '', 0})
              elseif sold >= total then
                -- gone, unless a call still being settled gives tickets back: then try again
                push({redis.call('ZCARD', KEYS[10]) > 0 and 4 or 0, '', 0})
              else
                sold, taken = sold + 1, taken + 1
                local id = base .. string.format('%07d', seq + taken)
                local o = {[STATE] = PENDING_STATE, [USER] = user, [NODE] = node, [CREATED] = created,
                  [DEADLINE] = due, [CLOSED] = '', [RID] = rid, [BATCH] = token}
                redis.call('HSET', KEYS[4], id, pack_order(o))
                redis.call('ZADD', KEYS[3], deadline, id)
                if user ~= '' then
                  redis.call('HSET', KEYS[5], user, with_id(redis.call('HGET', KEYS[5], user), id))
                  redis.call('HSET', KEYS[6], user, with_id(redis.call('HGET', KEYS[6], user), id))
                end
                if rid ~= '' then redis.call('HSET', KEYS[7], user .. ':' .. rid, id) end
                event(KEYS[2], CREATED_EVENT, id, o)
                made[#made + 1] = id
                push({1, id, deadline})
              end
            end
            if taken > 0 then
              redis.call('HSET', KEYS[1], SOLD, sold, SEQ, seq + taken)
              redis.call('HSET', KEYS[8], token, give_up .. '|' .. table.concat(made, ','))
              redis.call('ZADD', KEYS[10], give_up, token)
            end
            return answer
            """);

    /**
     * Voids a buy call whose answer never reached its node (a timeout, a broken link: its buyers
     * were told 503). If the call has not run yet, it is marked so that it sells nothing when it
     * does; if it ran, each of its orders still pending goes back: state -> voided, ticket back
     * to the stock, off its user's orders, the pending index and its request id, a "voided" event
     * for the order writer. Safe to run twice, and writes every time (the mark again if nothing
     * else), so that a {@code WAIT} after it tells whether a replica has the void.
     * KEYS: the sale's ({@link #SALE_KEYS}). ARGV: 1 batch token. Answers how many tickets came back.
     */
    static final Script VOID = new Script("void", COMMON + GIVE_BACK + """
            local entry = redis.call('HGET', KEYS[8], ARGV[1])
            if not entry or entry == VOID_MARK then
              -- not run yet (it must sell nothing when it does), or voided already: marked
              redis.call('HSET', KEYS[8], ARGV[1], VOID_MARK)
              return 0
            end
            -- unsettled, or settled by a settling whose answer its node lost: either way its buyers
            -- heard 503; its orders go back but those a buyer has been told of since
            local _, ids = string.match(entry, '^([^|]*)|(.*)$')
            return void_batch(ARGV[1], ids, now_ms())
            """);

    /**
     * Settles a buy call whose answer reached its node, before the node tells its buyers: from now
     * on its orders are theirs. Like the buy, it does nothing past ARGV[2] (the node's deadline for
     * this call, on Redis's clock): a settling stuck behind a stalled Redis must not make orders
     * real whose buyers the node has told 503 meanwhile. KEYS: the sale's ({@link #SALE_KEYS}).
     * ARGV: 1 batch token, 2 deadline. Answers 1 settled, 0 not (too late, or voided).
     */
    static final Script SETTLE = new Script("settle", COMMON + """
            if now_ms() > tonumber(ARGV[2]) then return 0 end
            local entry = redis.call('HGET', KEYS[8], ARGV[1])
            if not entry or entry == VOID_MARK then return 0 end
            local head, ids = string.match(entry, '^([^|]*)|(.*)$')
            if head ~= SETTLED then redis.call('HSET', KEYS[8], ARGV[1], SETTLED .. '|' .. ids) end
            redis.call('ZREM', KEYS[10], ARGV[1])
            return 1
            """);

    /**
     * The order a buyer already has (a sold-out node asks when it cannot rule it out from memory):
     * by the request id, else the user's latest held order. KEYS: the sale's ({@link #SALE_KEYS}).
     * ARGV: 1 user ('' = anonymous), 2 request id ('' = none). Answers {code, order id, deadline}:
     * as BUY's per buyer (2, 3, 4), or 0 for none.
     */
    static final Script EXISTING = new Script("existing", COMMON + GIVE_BACK + TELL + """
            local now, user, rid = now_ms(), ARGV[1], ARGV[2]
            for _ = 1, 2 do
              local id = rid ~= '' and redis.call('HGET', KEYS[7], user .. ':' .. rid)
              if not id and user ~= '' then
                local held = ids_of(redis.call('HGET', KEYS[5], user))
                id = held[#held]
              end
              if not id then return {0, '', 0} end
              local told = tell(id, now)
              if told then return told end
            end
            return {0, '', 0}
            """);

    /**
     * Pays a pending order if and only if its deadline has not passed; an order found past its
     * deadline is expired right here, so pay and expire can never both win.
     * KEYS: the sale's ({@link #SALE_KEYS}). ARGV: 1 the order id, 2 user who pays ('' = anyone).
     * Answers 1 paid, 2 already paid, -1 unknown order, -2 expired, -3 someone else's order,
     * -4 voided.
     */
    static final Script PAY = new Script("pay", COMMON + GIVE_BACK + """
            local id = ARGV[1]
            local o = unpack_order(redis.call('HGET', KEYS[4], id))
            if not o then return -1 end
            if ARGV[2] ~= '' and ARGV[2] ~= o[USER] then return -3 end
            if o[STATE] == PAID_STATE then return 2 end
            if o[STATE] == VOIDED_STATE then return -4 end
            if o[STATE] ~= PENDING_STATE then return -2 end
            local now = now_ms()
            if now > tonumber(o[DEADLINE]) then
              give_back(id, o, EXPIRED_STATE, EXPIRED, now)
              return -2
            end
            o[STATE], o[CLOSED] = PAID_STATE, string.format('%d', now)
            redis.call('HSET', KEYS[4], id, pack_order(o))
            redis.call('ZREM', KEYS[3], id)
            redis.call('HINCRBY', KEYS[1], PAID, 1)
            event(KEYS[2], PAID_STATE, id, o)
            return 1
            """);

    /**
     * Expires up to ARGV[1] pending orders whose deadline has passed. Safe to run on every node
     * at once: each order is expired, and its ticket returned, by exactly one call.
     * KEYS: the sale's ({@link #SALE_KEYS}). Answers how many orders this call expired.
     */
    static final Script EXPIRE = new Script("expire", COMMON + GIVE_BACK + """
            local now = now_ms()
            local due = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%d', now),
              'LIMIT', 0, tonumber(ARGV[1]))
            local expired = 0
            for _, id in ipairs(due) do
              local o = unpack_order(redis.call('HGET', KEYS[4], id))
              if o and o[STATE] == PENDING_STATE then
                give_back(id, o, EXPIRED_STATE, EXPIRED, now)
                expired = expired + 1
              else
                redis.call('ZREM', KEYS[3], id)
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
     * Creates a sale unless its stock hash exists ({@code ./rush up} after a crash must continue
     * the sale, never start it again; a sale cannot be created twice). KEYS: 1 stock hash.
     * ARGV: 1 total, 2 order id base, 3 name, 4 opens at (ms), 5 closes at (ms, 0 never), 6 per-user
     * limit, 7 time to pay (ms). Answers 1 created, 0 already there.
     */
    static final Script CREATE_SALE = new Script("create-sale", NAMES + """
            if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
            redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0, ID_BASE, ARGV[2], SEQ, 0, NAME, ARGV[3],
              OPENS_AT, ARGV[4], CLOSES_AT, ARGV[5], USER_LIMIT, ARGV[6], PAY_MS, ARGV[7])
            return 1
            """);

    /**
     * Lists a sale and moves the sales' version on, so that every node reloads them.
     * KEYS: 1 the sale ids, 2 the version. ARGV: 1 the sale id ('' = list nothing). Answers the new version.
     */
    static final Script SALES_CHANGED = new Script("sales-changed", """
            if ARGV[1] ~= '' then redis.call('SADD', KEYS[1], ARGV[1]) end
            return redis.call('INCR', KEYS[2])
            """);

    /**
     * Closes a sale now (on Redis's clock), or keeps an earlier closing. KEYS: 1 stock hash.
     * Answers when it closes (ms), or -1 when there is no such sale.
     */
    static final Script CLOSE_SALE = new Script("close-sale", COMMON + """
            if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
            local now, closes = now_ms(), tonumber(redis.call('HGET', KEYS[1], CLOSES_AT)) or 0
            if closes == 0 or closes > now then
              closes = now
              redis.call('HSET', KEYS[1], CLOSES_AT, closes)
            end
            return closes
            """);

    /**
     * A fresh start of a sale (a hot sale's bucket: its transfers too): ARGV[1] tickets, order id base ARGV[2], nothing sold, and its orders
     * (their stream, index, users, requests) dropped with it, so that a pending order of before
     * cannot expire into it and hand back a ticket it never took. Its definition stays.
     * KEYS: the sale's ({@link #SALE_KEYS}), then 11 the orders in the database, 12 its transfers,
     * 13 the transfers it received. Answers the orders dropped.
     */
    static final Script RESET_SALE = new Script("reset-sale", NAMES + """
            local dropped = redis.call('HLEN', KEYS[4])
            for i = 2, #KEYS do redis.call('UNLINK', KEYS[i]) end
            redis.call('HDEL', KEYS[1], PAID, EXPIRED, VOIDED)
            redis.call('HSET', KEYS[1], TOTAL, ARGV[1], SOLD, 0, ID_BASE, ARGV[2], SEQ, 0)
            return dropped
            """);

    /**
     * Takes up to ARGV[3] unsold tickets out of a hot sale's bucket, to give them to the bucket
     * ARGV[2] ({@link #GIVE_STOCK}): its total goes down now, and the transfer ARGV[1] is recorded
     * until the receiving bucket has them. Never more than it has unsold, so the two steps can
     * undersell for a moment but never oversell. Counts them in {@link Keys#TAKEN}. KEYS: 1 the
     * giving bucket's stock hash, 2 its {@link Keys#transfers()}. Answers the tickets taken (0: none left).
     */
    static final Script TAKE_STOCK = new Script("take-stock", COMMON + """
            local s = redis.call('HMGET', KEYS[1], TOTAL, SOLD)
            local total, sold = tonumber(s[1]), tonumber(s[2]) or 0
            if not total then return 0 end
            local n = math.min(tonumber(ARGV[3]), total - sold)
            if n <= 0 then return 0 end
            redis.call('HSET', KEYS[1], TOTAL, total - n)
            redis.call('HINCRBY', KEYS[1], TAKEN, n)
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. SEP .. n .. SEP .. now_ms())
            return n
            """);

    /**
     * Gives the tickets of transfer ARGV[1] (ARGV[2] of them) to a hot sale's bucket, once however
     * often it is asked. KEYS: 1 the receiving bucket's stock hash, 2 its {@link Keys#received()}.
     * Answers 1 given now, 0 given before.
     */
    static final Script GIVE_STOCK = new Script("give-stock", NAMES + """
            if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
            redis.call('HINCRBY', KEYS[1], TOTAL, ARGV[2])
            return 1
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

    /**
     * Runs {@code script} once per key list, all in one pipelined round trip (one per server in a
     * cluster), loading it first on every master if one of them does not know it; the answers in
     * the same order. Only for scripts safe to run twice.
     */
    static List<Object> runAll(RedisCalls redis, Script script, List<List<String>> keysOfEach, List<String> args) {
        for (int attempt = 0;; attempt++) {
            List<Response<Object>> replies = redis.pipelined(pipeline -> {
                List<Response<Object>> each = new ArrayList<>(keysOfEach.size());
                for (List<String> keys : keysOfEach) {
                    each.add(pipeline.evalsha(script.sha(), keys, args));
                }
                pipeline.sync();
                return each;
            });
            try {
                List<Object> answers = new ArrayList<>(replies.size());
                for (Response<Object> reply : replies) {
                    answers.add(reply.get());
                }
                return answers;
            } catch (JedisNoScriptException e) {
                if (attempt > 0) {
                    throw e;
                }
                redis.onEachMaster(jedis -> jedis.scriptLoad(script.source()));
            }
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
