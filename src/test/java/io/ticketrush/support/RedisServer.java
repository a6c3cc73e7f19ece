package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.ticketrush.redis.RedisStore;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.sale.Sale;
import io.ticketrush.settings.StoreSettings;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A real {@code redis-server} on a free loopback port (or on a {@link NetHost} of its own) with its
 * own data folder, for tests. Stopped by its own PID; {@link #stop()} / {@link #restart()} simulate
 * an outage on the same port.
 *
 * <p>Guarded as {@code ./rush up} guards its Redis: a password, and the ACL users the nodes and the
 * order writer connect as ({@link RedisUsers}, from the same {@code redis-conf/render.sh}). A
 * node's settings come from {@link #asNode}, the writer's from {@link #asWriter}; {@link #client()}
 * is the operator (every command).
 */
public final class RedisServer implements AutoCloseable {
    private final NetHost host;
    private final int port;
    private final Path dir;
    private final List<String> extraArgs;
    private final RedisUsers users;
    private Process process;

    private RedisServer(NetHost host, int port, Path dir, List<String> extraArgs) {
        this.host = host;
        this.port = port;
        this.dir = dir;
        this.extraArgs = extraArgs;
        this.users = RedisUsers.create(dir);
        RedisConf.write(dir.resolve("auth.conf"), "auth", users.renderOptions());
    }

    /** Starts a fresh server; {@code extraArgs} are redis-server options such as {@code --appendonly yes}. */
    public static RedisServer start(String... extraArgs) {
        return startOn(NetHost.LOOPBACK, extraArgs);
    }

    /** Starts a fresh server on {@code host}, listening on its address. */
    public static RedisServer startOn(NetHost host, String... extraArgs) {
        try {
            RedisServer server = new RedisServer(host, FreePort.find(), Files.createTempDirectory("rush-redis-"),
                    List.of(extraArgs));
            server.restart();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts the server process again (after {@link #stop()} or {@link #kill()}) on the same port and data folder. */
    public synchronized void restart() {
        if (process != null && process.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of("redis-server", dir.resolve("auth.conf").toString(),
                "--port", String.valueOf(port),
                "--bind", host.address(), "--dir", dir.toString(), "--save", "", "--daemonize", "no",
                "--logfile", dir.resolve("redis.log").toString()));
        if (!host.loopback()) {
            // as render.sh writes it for an address other machines reach (the password is set)
            command.addAll(List.of("--protected-mode", "no"));
        }
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(host.command(command)).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.out").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start redis-server (is it installed? ./rush test installs it)", e);
        }
        Deadline.await(Duration.ofSeconds(10), "redis-server on " + host + " port " + port + " to answer PING", () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue());
            }
            try (Jedis jedis = client()) {
                return "PONG".equals(jedis.ping());
            }
        });
    }

    /** Stops the server gracefully (SIGTERM) and waits until it has exited. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        waitForExit();
    }

    /** Kills the server with SIGKILL, as a crash would. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        waitForExit();
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int port() {
        return port;
    }

    public NetHost host() {
        return host;
    }

    public Path dir() {
        return dir;
    }

    /** A connection as the operator (Redis's default user with its password: every command). */
    public Jedis client() {
        return client(2000);
    }

    /** A connection as the operator whose reads wait up to {@code timeoutMillis}. */
    public Jedis client(int timeoutMillis) {
        return new Jedis(new HostAndPort(host.address(), port), users.adminClient(timeoutMillis));
    }

    /** The passwords of this server's users. */
    public RedisUsers users() {
        return users;
    }

    /**
     * A node's settings for this server (its address, the ACL user {@code rush-node} and its
     * password file) with {@code more} added; a setting in {@code more} wins ({@code rush.redis.port}
     * of a proxy).
     */
    public Map<String, String> asNode(Map<String, String> more) {
        return with(users.node(), more);
    }

    /** The order writer's settings for this server (the ACL user {@code rush-writer}) with {@code more} added. */
    public Map<String, String> asWriter(Map<String, String> more) {
        return with(users.writer(), more);
    }

    private Map<String, String> with(Map<String, String> user, Map<String, String> more) {
        Map<String, String> settings = new LinkedHashMap<>(Map.of("rush.redis.host", host.address(),
                "rush.redis.port", String.valueOf(port)));
        settings.putAll(user);
        settings.putAll(more);
        return Map.copyOf(settings);
    }

    /** A fresh sale of {@code total} tickets in the stock hash {@code key}, as {@code ./rush reset} makes one. */
    public void initStock(String key, long total) {
        try (RedisStore store = RedisStore.open(StoreSettings.from(asNode(Map.of("rush.stock.key", key))::get))) {
            store.admin().reset(Sale.DEFAULT, total);
        }
    }

    /** {@code ticket_sold_nums} of the stock hash {@code key}. */
    public long sold(String key) {
        try (Jedis jedis = client()) {
            String sold = jedis.hget(key, Keys.SOLD);
            return sold == null ? 0 : Long.parseLong(sold);
        }
    }

    @Override
    public void close() {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
