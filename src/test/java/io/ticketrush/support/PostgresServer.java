package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (Debian's {@code postgresql} package) in a temp folder on a free
 * loopback port, for tests. As root it runs as the {@code postgres} user, as PostgreSQL demands.
 */
public final class PostgresServer implements AutoCloseable {
    private final Path bin;
    private final Path dir;
    private final int port;
    private ChildProcess process; // guarded by this
    /** What the server printed before its last restart (a restart starts its log file afresh). */
    private String earlierLog = ""; // guarded by this

    private PostgresServer(Path bin, Path dir, int port) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
    }

    /** The newest installed server's bin folder; fails saying how to install it. */
    static Path binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        try (Stream<Path> versions = Files.isDirectory(root) ? Files.list(root) : Stream.empty()) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(Path::toString))
                    .orElseThrow(() -> new IllegalStateException(
                            "no PostgreSQL server under /usr/lib/postgresql: apt-get install -y postgresql"
                                    + " (./rush test installs it)"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static List<String> asPostgres(String... command) {
        List<String> full = new ArrayList<>();
        if (root()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        return full;
    }

    public static PostgresServer start() {
        Path bin = binaries();
        try {
            Path dir = Files.createTempDirectory("rush-pg-");
            Path data = dir.resolve("data");
            Files.createDirectories(data);
            if (root()) {
                ChildProcess.Result chown = ChildProcess.run(List.of("chown", "-R", "postgres:postgres", dir.toString()),
                        Duration.ofSeconds(30));
                if (chown.exitCode() != 0) {
                    throw new IllegalStateException("chown failed: " + chown.output());
                }
            }
            ChildProcess.Result init = ChildProcess.run(asPostgres(bin.resolve("initdb").toString(), "-D",
                    data.toString(), "-U", "rush", "--auth=trust", "-E", "UTF8", "--no-sync"), Duration.ofSeconds(120));
            if (init.exitCode() != 0) {
                throw new IllegalStateException("initdb failed:\n" + init.output());
            }
            PostgresServer server = new PostgresServer(bin, dir, FreePort.find());
            server.restart();
            try (Connection c = DriverManager.getConnection(server.url("postgres"), "rush", "")) {
                c.createStatement().execute("CREATE DATABASE orders");
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot create the orders database", e);
        }
    }

    /**
     * Starts the server process again (after {@link #stop()}) on the same port and data folder,
     * and waits until it accepts connections.
     */
    public synchronized void restart() {
        if (process != null && process.isAlive()) {
            return;
        }
        ChildProcess started = ChildProcess.start("postgres", asPostgres(bin.resolve("postgres").toString(), "-D",
                data().toString(), "-p", String.valueOf(port), "-c", "listen_addresses=127.0.0.1", "-c",
                "unix_socket_directories=" + dir, "-c", "fsync=on"), dir, Map.of(), dir.resolve("postgres.log"));
        process = started;
        Deadline.await(Duration.ofSeconds(60), "PostgreSQL on port " + port + " to accept connections", () -> {
            started.checkAlive();
            try (Connection c = DriverManager.getConnection(url("postgres"), "rush", "")) {
                return c.isValid(2);
            } catch (java.sql.SQLException notYet) {
                return false;
            }
        });
    }

    /**
     * Stops the server as an administrator restarting it would: a fast shutdown, which ends every
     * session at once ({@code pg_ctl stop -m fast}, which signals the PID of this data folder's
     * server), then waits until the process has exited.
     */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        ChildProcess.Result stop = ChildProcess.run(asPostgres(bin.resolve("pg_ctl").toString(), "stop", "-D",
                data().toString(), "-m", "fast", "-w", "-t", "60"), Duration.ofSeconds(90));
        if (stop.exitCode() != 0) {
            throw new IllegalStateException("pg_ctl stop failed:\n" + stop.output());
        }
        if (!process.stop(Duration.ofSeconds(30))) {
            throw new IllegalStateException("postgres had not exited 30 s after pg_ctl stop:\n" + process.log());
        }
        earlierLog += process.log() + "--- stopped (pg_ctl stop -m fast) ---\n";
    }

    private Path data() {
        return dir.resolve("data");
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Everything the server printed, across restarts. */
    public synchronized String log() {
        return earlierLog + process.log();
    }

    @Override
    public synchronized void close() {
        process.stop(Duration.ofSeconds(30));
        TempFiles.deleteRecursively(dir);
    }
}
