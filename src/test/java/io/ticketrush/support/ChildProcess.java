package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server run as a child of the test JVM, its output going to a log file; stopped through its
 * own process handle (SIGTERM, so shutdown hooks run, and SIGKILL only if that is not enough).
 */
public final class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command} in {@code dir} with {@code env} added to this JVM's environment. */
    public static ChildProcess start(String name, List<String> command, Path dir, Map<String, String> env, Path log) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(env);
        try {
            return new ChildProcess(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
    }

    /** Runs {@code command} to completion (killed after {@code limit}) and returns its exit code and output. */
    public static Result run(List<String> command, Duration limit) {
        return run(command, Map.of(), limit);
    }

    /** As {@link #run(List, Duration)}, with {@code env} added to this JVM's environment (a secret, not an argument). */
    public static Result run(List<String> command, Map<String, String> env, Duration limit) {
        Path output = null;
        try {
            output = Files.createTempFile("rush-cmd-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                terminate(process.toHandle(), Duration.ofSeconds(5));
                return new Result(-1, Files.readString(output) + "\n(killed after " + limit + ")");
            }
            return new Result(process.exitValue(), Files.readString(output));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    /** What a command that ran to completion left behind. */
    public record Result(int exitCode, String output) {
    }

    /**
     * Sends SIGTERM and waits up to {@code grace} for the process to exit; if it has not, kills it.
     *
     * @return true if it exited on SIGTERM alone, within the grace period
     */
    public static boolean terminate(ProcessHandle handle, Duration grace) {
        if (!handle.isAlive()) {
            return true;
        }
        handle.destroy();
        try {
            handle.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            handle.destroyForcibly();
            try {
                handle.onExit().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException again) {
                // nothing more we can do: SIGKILL was sent
            }
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handle.destroyForcibly();
            return false;
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the process gracefully; true if it exited on SIGTERM within {@code grace}. */
    public boolean stop(Duration grace) {
        return terminate(process.toHandle(), grace);
    }

    /** Kills the process with SIGKILL, as a crash would, and waits until it is gone. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Only meaningful once the process has exited. */
    public int exitCode() {
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return log;
    }

    /** Everything the process printed so far. */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    /** Fails with the process's log if it has already exited, e.g. while a test waits for it to answer. */
    public void checkAlive() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + log());
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(20));
    }
}
