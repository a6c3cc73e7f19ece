package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real Nginx in front of the nodes, configured from the project's own template
 * ({@code nginx-conf/nginx.conf}) by {@code nginx-conf/render.sh}, run in the foreground as a
 * child of the test JVM (on loopback, or on a {@link NetHost} of its own) and stopped by its own
 * process handle.
 */
public final class NginxServer implements AutoCloseable {
    /** What writes the config from the project's template, for ./rush and these tests alike. */
    public static final Path RENDER = Path.of("nginx-conf", "render.sh").toAbsolutePath();

    /** One upstream server: a node at {@code host:port} and its weight. */
    public record Upstream(String host, int port, int weight) {
        @Override
        public String toString() {
            return host + ":" + port + "=" + weight;
        }
    }

    private final NetHost host;
    private final Path prefix;
    private final int port;
    private final Process process;

    private NginxServer(NetHost host, Path prefix, int port, Process process) {
        this.host = host;
        this.prefix = prefix;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts Nginx on a free loopback port with one upstream server per entry of {@code upstream}
     * (node port on 127.0.0.1 -> weight, in that order), and waits until it answers.
     */
    public static NginxServer start(Map<Integer, Integer> upstream) {
        return start(upstream, List.of());
    }

    /**
     * As {@link #start(Map)}, with more of render.sh's options ({@code --trusted}, {@code --rate},
     * {@code --burst}, {@code --conn}: as ./rush passes RUSH_TRUSTED and the RUSH_NGINX_ limits).
     */
    public static NginxServer start(Map<Integer, Integer> upstream, List<String> options) {
        List<Upstream> servers = new ArrayList<>();
        upstream.forEach((port, weight) -> servers.add(new Upstream(NetHost.LOOPBACK.address(), port, weight)));
        return start(NetHost.LOOPBACK, servers, options);
    }

    /**
     * Starts Nginx on {@code host}, listening on its address, in front of {@code upstream}, in that
     * order. On a host of a {@link NamespaceHosts} network, every address of that network is trusted
     * (not limited, may read the operator endpoints): they are the test's own buyers and tools.
     */
    public static NginxServer start(NetHost host, List<Upstream> upstream) {
        if (host.loopback()) {
            return start(host, upstream, List.of());
        }
        String network = host.address().substring(0, host.address().lastIndexOf('.')) + ".0/24";
        return start(host, upstream, List.of("--trusted", "127.0.0.1 ::1 " + network));
    }

    private static NginxServer start(NetHost host, List<Upstream> upstream, List<String> options) {
        Path prefix;
        try {
            prefix = Files.createTempDirectory("rush-nginx-");
            Files.createDirectories(prefix.resolve("tmp"));
            Files.createDirectories(prefix.resolve("logs"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            return start(host, prefix, List.copyOf(upstream), List.copyOf(options));
        } catch (RuntimeException | AssertionError e) {
            // the failure message carries the config and the logs; the folder is not needed
            TempFiles.deleteRecursively(prefix);
            throw e;
        }
    }

    private static NginxServer start(NetHost host, Path prefix, List<Upstream> upstream, List<String> options) {
        int port = FreePort.find();
        Path conf = prefix.resolve("nginx.conf");
        writeConfig(conf, prefix, host.address() + ":" + port, upstream, options);
        Path errorLog = prefix.resolve("logs/nginx-error.log");

        List<String> test = List.of("nginx", "-t", "-p", prefix + "/", "-e", errorLog.toString(), "-c", conf.toString());
        ChildProcess.Result checked = ChildProcess.run(host.command(test), Duration.ofSeconds(20));
        if (checked.exitCode() != 0) {
            throw new IllegalStateException("nginx -t rejected " + conf + " (exit " + checked.exitCode() + "):\n"
                    + checked.output() + "\n--- config ---\n" + read(conf));
        }

        Process process;
        try {
            process = new ProcessBuilder(host.command(List.of("nginx", "-p", prefix + "/", "-e", errorLog.toString(),
                    "-c", conf.toString(), "-g", "daemon off;")))
                    .redirectErrorStream(true)
                    .redirectOutput(prefix.resolve("logs/nginx.out").toFile())
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start nginx (is it installed? ./rush test installs it)", e);
        }
        NginxServer nginx = new NginxServer(host, prefix, port, process);
        try {
            nginx.awaitAnswer();
        } catch (RuntimeException | AssertionError e) {
            String log = nginx.log();
            nginx.stop();
            throw new IllegalStateException("nginx did not come up on " + host + " port " + port + ":\n" + log, e);
        }
        return nginx;
    }

    /** The project's own config, written by the same {@code nginx-conf/render.sh} that ./rush runs. */
    private static void writeConfig(Path conf, Path prefix, String listen, List<Upstream> upstream,
            List<String> options) {
        String servers = String.join(" ", upstream.stream().map(Upstream::toString).toList());
        List<String> render = new ArrayList<>(List.of("bash", RENDER.toString(), "--listen", listen,
                "--upstream", servers, "--prefix", prefix.toString(), "--logs",
                prefix.resolve("logs").toString(), "--workers", "2"));
        render.addAll(options);
        if (isRoot()) {
            render.addAll(List.of("--user", "root"));
        }
        ChildProcess.Result rendered = ChildProcess.run(render, Duration.ofSeconds(20));
        if (rendered.exitCode() != 0) {
            throw new IllegalStateException("nginx-conf/render.sh failed (exit " + rendered.exitCode() + "):\n"
                    + rendered.output());
        }
        try {
            Files.writeString(conf, rendered.output());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Nginx's own location, so waiting for it never touches (and never shifts) the upstream rotation. */
    private void awaitAnswer() {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        URI ok = uri("/nginx-ok");
        Deadline.await(Duration.ofSeconds(15), "nginx to answer " + ok, () -> {
            if (!process.isAlive()) {
                throw new IllegalStateException("nginx exited with " + process.exitValue());
            }
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(ok).timeout(Duration.ofSeconds(2))
                        .build(), HttpResponse.BodyHandlers.discarding());
                return response.statusCode() == 200;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
    }

    public int port() {
        return port;
    }

    public URI uri(String path) {
        return host.uri(port, path);
    }

    public Path prefix() {
        return prefix;
    }

    /** The master's output and the error log, for a failing test's report. */
    public String log() {
        return "--- nginx.out ---\n" + readIfExists(prefix.resolve("logs/nginx.out"))
                + "--- nginx-error.log ---\n" + readIfExists(prefix.resolve("logs/nginx-error.log"));
    }

    public Path errorLog() {
        return prefix.resolve("logs/nginx-error.log");
    }

    /** SIGTERM to the master (it stops its workers), then waits for the master and the workers to exit. */
    public void stop() {
        List<ProcessHandle> workers = process.descendants().toList();
        ChildProcess.terminate(process.toHandle(), Duration.ofSeconds(10));
        for (ProcessHandle worker : workers) {
            ChildProcess.terminate(worker, Duration.ofSeconds(5));
        }
    }

    @Override
    public void close() {
        stop();
        TempFiles.deleteRecursively(prefix);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String readIfExists(Path file) {
        return Files.exists(file) ? read(file) : "(none)\n";
    }
}
