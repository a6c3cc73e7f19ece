package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * This JVM's limit on open files (RLIMIT_NOFILE, {@code ulimit -n}): every connection a test holds
 * is one. The JVM starts with its soft limit raised to the hard one; a test that needs more raises
 * both with {@code prlimit} when it runs as root (as {@code mvn verify} does on CI), else fails
 * naming the {@code ulimit -n} it needs.
 */
public final class OpenFiles {
    private static final Path LIMITS = Path.of("/proc/self/limits");

    private OpenFiles() {
    }

    /** The soft limit now. */
    public static long limit() {
        return limits()[0];
    }

    /** Makes sure this JVM may hold {@code needed} open files, raising its limit if it may. */
    public static void ensure(long needed) {
        long[] now = limits();
        if (now[0] >= needed) {
            return;
        }
        if ("root".equals(System.getProperty("user.name"))) {
            long hard = Math.max(now[1], needed);
            ChildProcess.Result raised = ChildProcess.run(List.of("prlimit", "--pid",
                    String.valueOf(ProcessHandle.current().pid()), "--nofile=" + needed + ":" + hard),
                    Duration.ofSeconds(10));
            if (raised.exitCode() != 0) {
                throw new IllegalStateException("prlimit could not raise the open files limit to " + needed + ": "
                        + raised.output());
            }
        }
        long after = limit();
        if (after < needed) {
            throw new IllegalStateException("this test holds about " + needed + " connections, but this JVM may open "
                    + after + " files: run it as root, or after `ulimit -n " + needed + "`");
        }
    }

    /** {soft, hard} from /proc/self/limits ("unlimited" as Long.MAX_VALUE). */
    private static long[] limits() {
        List<String> lines;
        try {
            lines = Files.readAllLines(LIMITS);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + LIMITS, e);
        }
        for (String line : lines) {
            if (line.startsWith("Max open files")) {
                String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                return new long[] {number(fields[0]), number(fields[1])};
            }
        }
        throw new IllegalStateException("no \"Max open files\" in " + LIMITS);
    }

    private static long number(String field) {
        return "unlimited".equals(field) ? Long.MAX_VALUE : Long.parseLong(field);
    }
}
