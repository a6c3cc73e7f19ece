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
 * both with {@code prlimit} when it runs as root with CAP_SYS_RESOURCE, else fails naming the
 * limit it needs (a container's root often lacks that capability: its hard limit is the
 * container's {@code nofile}).
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
                throw new IllegalStateException(tooFew(needed, now) + "; prlimit could not raise it ("
                        + raised.output().strip() + "): raise the hard limit of what starts mvn (`ulimit -Hn " + needed
                        + "` with CAP_SYS_RESOURCE, docker run --ulimit nofile=" + needed + ")");
            }
        }
        long[] after = limits();
        if (after[0] < needed) {
            throw new IllegalStateException(tooFew(needed, after) + ": run it as root, or after `ulimit -n " + needed
                    + "`");
        }
    }

    private static String tooFew(long needed, long[] limits) {
        return "this test needs " + needed + " open files (its connections), but this JVM may open " + limits[0]
                + " files (hard limit " + limits[1] + ")";
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
