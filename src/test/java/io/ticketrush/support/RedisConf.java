package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The config of one Redis process, written by the same {@code redis-conf/render.sh} that
 * {@code ./rush up} runs: the project's Redis settings (append-only file, {@code min-replicas-*},
 * the Sentinels' timings, {@code cluster-node-timeout}) are written there only, so the tests run
 * what users run.
 */
public final class RedisConf {
    /** What writes every Redis config, for ./rush and these tests alike. */
    public static final Path RENDER = Path.of("redis-conf", "render.sh").toAbsolutePath();

    private RedisConf() {
    }

    /**
     * Writes into {@code file} the config of kind {@code kind} (single, replicated, cluster or
     * sentinel) with render.sh's {@code options}; fails with render.sh's message if it refuses them.
     *
     * @return the config written
     */
    public static String write(Path file, String kind, List<String> options) {
        List<String> command = new ArrayList<>(List.of("bash", RENDER.toString(), kind));
        command.addAll(options);
        ChildProcess.Result rendered = ChildProcess.run(command, Duration.ofSeconds(20));
        if (rendered.exitCode() != 0) {
            throw new IllegalStateException("redis-conf/render.sh failed (exit " + rendered.exitCode() + "): "
                    + String.join(" ", command) + "\n" + rendered.output());
        }
        try {
            Files.writeString(file, rendered.output());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return rendered.output();
    }

    /**
     * Fails unless {@code conf} has the line {@code line}: a constant a test relies on (a lag, a
     * timeout) must be the one render.sh writes.
     */
    public static void require(String conf, String line) {
        if (conf.lines().noneMatch(line::equals)) {
            throw new IllegalStateException("redis-conf/render.sh no longer writes '" + line
                    + "', which the tests rely on:\n" + conf);
        }
    }
}
