package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.SafeEncoder;

/**
 * The passwords of a test Redis, as {@code ./rush up} makes them: Redis's {@code default} user
 * (the operator's, every command; the tests' own clients), and the ACL users {@code rush-node}
 * (the nodes, the sale tool) and {@code rush-writer} (the order writer), whose commands
 * {@code redis-conf/render.sh} writes. Random for each server or group, each in a file of its own
 * (readable by its owner only) that the processes are pointed at with {@code
 * rush.redis.password.file}, as ./rush points them at {@code run/redis-node-password}.
 */
public final class RedisUsers {
    public static final String NODE = "rush-node";
    public static final String WRITER = "rush-writer";

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String adminPassword;
    private final Path adminFile;
    private final Path nodeFile;
    private final Path writerFile;

    private RedisUsers(String adminPassword, Path adminFile, Path nodeFile, Path writerFile) {
        this.adminPassword = adminPassword;
        this.adminFile = adminFile;
        this.nodeFile = nodeFile;
        this.writerFile = writerFile;
    }

    /** New random passwords, written into {@code dir} (redis-password, rush-node.password, rush-writer.password). */
    public static RedisUsers create(Path dir) {
        String admin = newPassword();
        return new RedisUsers(admin, write(dir.resolve("redis-password"), admin),
                write(dir.resolve(NODE + ".password"), newPassword()),
                write(dir.resolve(WRITER + ".password"), newPassword()));
    }

    /** 24 random bytes, url-safe base64 (32 characters), as ./rush makes them. */
    private static String newPassword() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static Path write(Path file, String password) {
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, password + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** redis-conf/render.sh's options for these passwords: requirepass (and masterauth ...) and the two ACL users. */
    public List<String> renderOptions() {
        return List.of("--password-file", adminFile.toString(), "--user", NODE + "=" + nodeFile,
                "--user", WRITER + "=" + writerFile);
    }

    /** A node's (and the sale tool's) settings: its ACL user and the file of its password. */
    public Map<String, String> node() {
        return Map.of("rush.redis.user", NODE, "rush.redis.password.file", nodeFile.toString());
    }

    /** The order writer's settings: its ACL user and the file of its password. */
    public Map<String, String> writer() {
        return Map.of("rush.redis.user", WRITER, "rush.redis.password.file", writerFile.toString());
    }

    /** The operator's settings: the default user, every command (the file ./rush calls run/redis-password). */
    public Map<String, String> admin() {
        return Map.of("rush.redis.password.file", adminFile.toString());
    }

    /** The password of the node's ACL user (a test that connects as it with Jedis). */
    public String nodePassword() {
        return read(nodeFile);
    }

    /** The password of the writer's ACL user. */
    public String writerPassword() {
        return read(writerFile);
    }

    /** The default user's password: the tests' own clients, redis-cli. */
    public String adminPassword() {
        return adminPassword;
    }

    /** A client as the default user (every command), reads waiting up to {@code timeoutMillis}. */
    public JedisClientConfig adminClient(int timeoutMillis) {
        return DefaultJedisClientConfig.builder().password(adminPassword).connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis).build();
    }

    /** A client as {@code user} with {@code password}. */
    public static JedisClientConfig client(String user, String password, int timeoutMillis) {
        return DefaultJedisClientConfig.builder().user(user).password(password).connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis).build();
    }

    /** redis-cli's environment: the default user's password as REDISCLI_AUTH, never {@code -a} on its command line. */
    public Map<String, String> cliEnvironment() {
        return Map.of("REDISCLI_AUTH", adminPassword);
    }

    /**
     * What Redis answers {@code command} on {@code jedis}: its reply as text, or {@code "ERROR: "}
     * and the error (a refusal: {@code NOPERM}, {@code NOAUTH}), or {@code "CLOSED: "} if the
     * connection ended (a SHUTDOWN that was let through).
     */
    public static String reply(Jedis jedis, String... command) {
        String[] args = java.util.Arrays.copyOfRange(command, 1, command.length);
        try {
            Object reply = jedis.sendCommand(() -> SafeEncoder.encode(command[0]), args);
            return reply instanceof byte[] bytes ? SafeEncoder.encode(bytes) : String.valueOf(reply);
        } catch (JedisDataException e) {
            return "ERROR: " + e.getMessage();
        } catch (JedisConnectionException e) {
            return "CLOSED: " + e.getMessage();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
