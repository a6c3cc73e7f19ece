package io.ticketrush.statlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import io.ticketrush.support.Deadline;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logs as ./rush and the ab-scripts handle them (lib/common.sh): the scripts count and read
 * stat.log's lines across the nodes' rotations; every other log of RUSH_LOG_DIR is rotated past
 * RUSH_LOG_MAX_KB, the newest RUSH_LOG_KEEP kept, a log a process holds open emptied in place so
 * that the process writes on at its start; ./rush's log keeper does it until it is stopped.
 */
class LogScriptsTest {
    @TempDir
    Path tmp;
    private Path logs;

    @BeforeEach
    void folders() throws IOException {
        logs = Files.createDirectories(tmp.resolve("logs"));
    }

    @Test
    void the_scripts_count_and_read_stat_log_across_the_nodes_rotations() throws Exception {
        Path file = logs.resolve("stat.log");
        List<String> written = new ArrayList<>();
        append(file, written, 0, 200);
        assertEquals("200", bash("stat_lines").strip());
        append(file, written, 200, 500);
        assertTrue(StatLog.files(file).size() > 10, StatLog.files(file) + ": rotated");
        assertEquals("500", bash("stat_lines").strip(), "every line of every file");
        assertEquals(written, lines(bash("stat_all")), "in order, across the files");
        assertEquals(written.subList(200, 500), lines(bash("stat_since 200")), "the lines after a count");
    }

    /** Lines {@code from} to {@code to}, appended as a node does, rotated every KiB. */
    private static void append(Path file, List<String> written, int from, int to) {
        try (StatLog log = new StatLog(file, 1024, 1000)) {
            for (int i = from; i < to; i++) {
                String line = "port:3001,status:200,result:1,n:" + i;
                log.append(line);
                written.add(line);
            }
        }
    }

    @Test
    void rotate_logs_rotates_every_log_past_its_size_but_stat_log_and_keeps_the_newest() throws Exception {
        Path node = logs.resolve("jetty-3001.log");
        Path audit = logs.resolve("admin-audit.log");
        Path stat = logs.resolve("stat.log");
        Path small = logs.resolve("nginx-error.log");
        Files.writeString(stat, "s".repeat(3000) + "\n");
        Files.writeString(small, "small\n");
        // a node's output: a file it holds open in append mode all along, as ./rush starts it
        try (OutputStream held = new FileOutputStream(node.toFile(), true)) {
            for (int g = 0; g < 4; g++) {
                held.write(generation("node", g).getBytes(StandardCharsets.UTF_8));
                held.flush();
                Files.writeString(audit, generation("audit", g), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                bash("rotate_logs");
                assertEquals(0, Files.size(node), "the node's log emptied in place, round " + g);
                assertFalse(Files.exists(audit), "the audit log moved away, round " + g);
            }
            held.write("on\n".getBytes(StandardCharsets.UTF_8));
            held.flush();
            assertEquals("on\n", Files.readString(node), "the node writes on at the start of its emptied log");
        }
        assertEquals(generation("node", 3), Files.readString(logs.resolve("jetty-3001.log.1")), "the newest first");
        assertEquals(generation("node", 2), Files.readString(logs.resolve("jetty-3001.log.2")));
        assertEquals(generation("audit", 3), Files.readString(logs.resolve("admin-audit.log.1")));
        assertEquals(generation("audit", 2), Files.readString(logs.resolve("admin-audit.log.2")));
        assertEquals("s".repeat(3000) + "\n", Files.readString(stat), "stat.log is the nodes' to rotate");
        assertEquals("small\n", Files.readString(small), "a log under the size stays");
        assertEquals(new TreeSet<>(Set.of("jetty-3001.log", "jetty-3001.log.1", "jetty-3001.log.2", "admin-audit.log.1",
                "admin-audit.log.2", "stat.log", "nginx-error.log")), names(), "RUSH_LOG_KEEP=2 rotated files of each");
    }

    /** More than RUSH_LOG_MAX_KB=1 of lines naming their writer and round. */
    private static String generation(String who, int round) {
        return (who + " round " + round + "\n").repeat(100);
    }

    @Test
    void the_log_keeper_rotates_while_it_runs_and_ends_on_term() throws Exception {
        Path writer = logs.resolve("order-writer.log");
        Files.writeString(writer, generation("writer", 0));
        // a round at once, then a nap longer than the test: TERM must end the nap too
        ProcessBuilder command = command("bash", "rush", "log-keeper");
        command.environment().put("RUSH_LOG_CHECK_SECONDS", "600");
        Path out = tmp.resolve("keeper.out");
        command.redirectOutput(out.toFile());
        Process keeper = command.start();
        List<ProcessHandle> children;
        try {
            Deadline.await(TimeScale.of(Duration.ofSeconds(15)), "the keeper rotating order-writer.log",
                    () -> Files.exists(logs.resolve("order-writer.log.1")) && writer.toFile().length() == 0);
            assertEquals(generation("writer", 0), Files.readString(logs.resolve("order-writer.log.1")));
            Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the keeper napping",
                    () -> keeper.descendants().findAny().isPresent());
            assertTrue(keeper.isAlive(), "it goes on after a round");
            children = keeper.descendants().toList();
        } finally {
            keeper.destroy(); // SIGTERM, as ./rush down sends it
        }
        assertTrue(keeper.waitFor(TimeScale.ms(10_000), TimeUnit.MILLISECONDS), "the keeper ends on TERM");
        assertEquals(0, keeper.exitValue(), Files.readString(out));
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), "the keeper's nap ending with it",
                () -> children.stream().noneMatch(ProcessHandle::isAlive));
    }

    /** Runs {@code script} after sourcing lib/common.sh as the scripts do; returns its output. */
    private String bash(String script) throws Exception {
        Process process = command("bash", "-c", "set -euo pipefail; source lib/common.sh; " + script).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(TimeScale.ms(30_000), TimeUnit.MILLISECONDS), script + " did not end");
        assertEquals(0, process.exitValue(), script + ": " + out);
        return out;
    }

    private ProcessBuilder command(String... command) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(name -> name.startsWith("RUSH_"));
        builder.environment().put("RUSH_RUN_DIR", tmp.resolve("run").toString());
        builder.environment().put("RUSH_LOG_DIR", logs.toString());
        builder.environment().put("RUSH_LOG_MAX_KB", "1");
        builder.environment().put("RUSH_LOG_KEEP", "2");
        return builder;
    }

    private Set<String> names() throws IOException {
        try (Stream<Path> files = Files.list(logs)) {
            return files.map(f -> f.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static List<String> lines(String text) {
        return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }
}
