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
 * loaded again when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH). Scripts take only
 * KEYS and ARGV and answer small integers.
 */
final class LuaScripts {

    /** A script's source and its SHA1, computed here so the first call needs no SCRIPT LOAD. */
    record Script(String name, String source, String sha) {
        Script(String name, String source) {
            this(name, source, sha1(source));
        }
    }

    /**
     * Takes one ticket from the global stock. KEYS[1] = stock hash.
     * Answers 1 = taken, 0 = sold out, -1 = stock not initialised.
     * {@code sold < total} is the exact bound: a total of T sells exactly T.
     */
    static final Script TAKE = new Script("take", """
            local stock = redis.call('HMGET', KEYS[1], 'ticket_total_nums', 'ticket_sold_nums')
            local total = tonumber(stock[1])
            if total == nil then return -1 end
            local sold = tonumber(stock[2]) or 0
            if sold < total then
              redis.call('HINCRBY', KEYS[1], 'ticket_sold_nums', 1)
              return 1
            end
            return 0
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
