package io.ticketrush.redis.script;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ticketrush.redis.connect.RedisCalls;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * One Lua script of {@code src/main/resources/lua/}, read once, called by its SHA1 and loaded again
 * when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH); its reply decoded into {@code R} in
 * one place, the decoder given with it.
 *
 * <p>Redis runs one chunk of Lua per script, without {@code require}: a line {@code --#include a b}
 * is replaced by the files {@code lua/lib/a.lua} and {@code lua/lib/b.lua}, in that order.
 * {@code ./rush lua NAME} prints the same text, to run a script alone with {@code redis-cli --eval}.
 */
public final class Script<R> {
    private static final Pattern INCLUDE = Pattern.compile("(?m)^--#include ([a-z_ ]+)\n");

    private final String name;
    private final String source;
    private final String sha;
    private final Function<Object, R> reply;

    private Script(String name, String source, Function<Object, R> reply) {
        this.name = name;
        this.source = source;
        this.sha = sha1(source);
        this.reply = reply;
    }

    /** The script {@code lua/NAME.lua}, its reply decoded by {@code reply}. */
    static <R> Script<R> load(String name, Function<Object, R> reply) {
        return new Script<>(name, source(name), reply);
    }

    /** The text Redis runs for {@code lua/NAME.lua}: the file with its includes in place. */
    static String source(String name) {
        String file = read("lua/" + name + ".lua");
        Matcher include = INCLUDE.matcher(file);
        StringBuilder out = new StringBuilder(file.length() * 4);
        while (include.find()) {
            StringBuilder libs = new StringBuilder();
            for (String lib : include.group(1).trim().split(" +")) {
                libs.append(read("lua/lib/" + lib + ".lua"));
            }
            include.appendReplacement(out, Matcher.quoteReplacement(libs.toString()));
        }
        include.appendTail(out);
        return out.toString();
    }

    String name() {
        return name;
    }

    String source() {
        return source;
    }

    public String sha() {
        return sha;
    }

    /** Runs the script by SHA, loading it first if Redis does not know it; its reply decoded. */
    public R run(Jedis jedis, List<String> keys, List<String> args) {
        Object raw;
        try {
            raw = jedis.evalsha(sha, keys, args);
        } catch (JedisNoScriptException e) {
            jedis.scriptLoad(source);
            raw = jedis.evalsha(sha, keys, args);
        }
        return decode(raw);
    }

    /**
     * Runs the script once per key list, all in one pipelined round trip (one per server in a
     * cluster), loading it first on every master if one of them does not know it; the replies in
     * the same order. Only for scripts safe to run twice.
     */
    public List<R> runAll(RedisCalls redis, List<List<String>> keysOfEach, List<String> args) {
        for (int attempt = 0;; attempt++) {
            List<Response<Object>> replies = redis.pipelined(pipeline -> {
                List<Response<Object>> each = new ArrayList<>(keysOfEach.size());
                for (List<String> keys : keysOfEach) {
                    each.add(pipeline.evalsha(sha, keys, args));
                }
                pipeline.sync();
                return each;
            });
            try {
                List<R> decoded = new ArrayList<>(replies.size());
                for (Response<Object> raw : replies) {
                    decoded.add(decode(raw.get()));
                }
                return decoded;
            } catch (JedisNoScriptException e) {
                if (attempt > 0) {
                    throw e;
                }
                redis.onEachMaster(jedis -> jedis.scriptLoad(source));
            }
        }
    }

    private R decode(Object raw) {
        try {
            return reply.apply(raw);
        } catch (ClassCastException | IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new IllegalStateException("script " + name + " answered what its reply cannot be: " + raw, e);
        }
    }

    @Override
    public String toString() {
        return "script " + name + " (" + sha + ")";
    }

    private static String read(String resource) {
        try (InputStream in = Script.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no " + resource + " on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
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
