package io.ticketrush.statlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.ticketrush.support.Deadline;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stat.log file: every line appended is written, also while and after the node stops, and
 * across a rotation by size, by one writer or by several processes sharing the file: never split,
 * never lost, never twice, each file within its size.
 */
class StatLogTest {
    @TempDir
    Path tmp;

    /**
     * A request still being answered when the node stops (Jetty's graceful stop ran out) logs
     * after the web app was destroyed: before, its line sat in the queue of a writer that had
     * stopped, and stat.log missed a request that had made an order (JettyDistributionIT).
     */
    @Test
    void a_line_appended_after_close_is_written() throws IOException {
        Path file = tmp.resolve("stat.log");
        StatLog log = new StatLog(file);
        log.append("before");
        log.close();
        log.append("after");
        log.append("stop");
        assertEquals(List.of("before", "after", "stop"), Files.readAllLines(file),
                "each line once, in order; a line reading \"stop\" is a line like any other");
    }

    @Test
    void it_rotates_by_size_between_two_lines_and_the_files_hold_every_line_once_in_order() throws IOException {
        Path file = tmp.resolve("stat.log");
        List<String> written = new ArrayList<>();
        try (StatLog log = new StatLog(file, 1024, 1000)) {
            for (int i = 0; i < 2000; i++) {
                String line = "port:3001,status:200,result:1,localSales:" + i + ",ts:" + (1_700_000_000_000L + i);
                log.append(line);
                written.add(line);
                if (i % 100 == 0) {
                    pause(); // several batches: a rotation also between two writes
                }
            }
        }
        List<Path> files = StatLog.files(file);
        assertTrue(files.size() > 50, files.size() + " files: rotated");
        assertEquals(file, files.get(files.size() - 1), "stat.log itself last, the newest");
        assertEquals(tmp.resolve("stat.log." + (files.size() - 1)), files.get(0), "the oldest first");
        assertEquals(written, read(files), "every line once, whole, in order across the files");
        for (Path each : files) {
            assertTrue(Files.size(each) <= 1024, each + " has " + Files.size(each) + " bytes, over 1024");
        }
    }

    @Test
    void it_keeps_the_newest_rotated_files_and_deletes_older_ones() throws IOException {
        Path file = tmp.resolve("stat.log");
        List<String> written = new ArrayList<>();
        try (StatLog log = new StatLog(file, 200, 3)) {
            for (int i = 0; i < 500; i++) {
                String line = String.format("line:%04d", i);
                log.append(line);
                written.add(line);
            }
        }
        List<Path> files = StatLog.files(file);
        assertEquals(List.of(tmp.resolve("stat.log.3"), tmp.resolve("stat.log.2"), tmp.resolve("stat.log.1"), file),
                files);
        try (Stream<Path> all = Files.list(tmp)) {
            assertEquals(5, all.count(), "the 4 files and stat.log.lock, nothing else");
        }
        List<String> kept = read(files);
        assertEquals(written.subList(written.size() - kept.size(), written.size()), kept,
                "the newest lines, without a gap");
        assertTrue(kept.size() >= 3 * (200 / 10), kept.size() + " lines kept: 3 full files and the current one");
    }

    @Test
    void a_line_longer_than_the_size_has_a_file_of_its_own() throws IOException {
        Path file = tmp.resolve("stat.log");
        String longLine = "x".repeat(300);
        try (StatLog log = new StatLog(file, 100, 10)) {
            log.append("a");
            log.append(longLine);
            log.append("b");
        }
        List<Path> files = StatLog.files(file);
        assertEquals(List.of(List.of("a"), List.of(longLine), List.of("b")),
                files.stream().map(StatLogTest::lines).toList());
        Path first = tmp.resolve("first.log");
        try (StatLog log = new StatLog(first, 100, 10)) {
            log.append(longLine);
        }
        assertEquals(List.of(first), StatLog.files(first), "a long first line: no empty file rotated before it");
    }

    /**
     * Two writers of one stat.log, one after the other (as two nodes): the first line fills half
     * the file, the second writer's line does not fit and rotates it, then the first writer's
     * short line would still fit in the file it had open, now stat.log.1. It goes into the new
     * stat.log, after the second writer's: the files hold the lines in the order they were
     * written, so a count of lines taken before a write is where that write's line begins
     * (lib/common.sh stat_since).
     */
    @Test
    void a_writer_whose_file_another_rotated_writes_into_the_new_one() throws IOException {
        Path file = tmp.resolve("stat.log");
        String a1 = "a1," + "x".repeat(57);
        String b1 = "b1," + "y".repeat(57);
        String a2 = "a2,short";
        try (StatLog a = new StatLog(file, 100, 5); StatLog b = new StatLog(file, 100, 5)) {
            a.append(a1);
            awaitLines(file, List.of(a1));
            b.append(b1);
            awaitLines(file, List.of(a1, b1));
            assertEquals(List.of(tmp.resolve("stat.log.1"), file), StatLog.files(file), "b rotated");
            a.append(a2);
            awaitLines(file, List.of(a1, b1, a2));
        }
        assertEquals(List.of(List.of(a1), List.of(b1, a2)), StatLog.files(file).stream().map(StatLogTest::lines).toList());
    }

    /** Waits until the stat log's files hold as many lines as {@code expected}, then compares them. */
    private static void awaitLines(Path file, List<String> expected) {
        Deadline.await(TimeScale.of(Duration.ofSeconds(10)), expected.size() + " lines in " + file,
                () -> read(StatLog.files(file)).size() >= expected.size());
        assertEquals(expected, read(StatLog.files(file)), "in the order written");
    }

    /**
     * Four processes (as the four nodes of ./rush up) append to one stat.log that rotates every
     * 2 KiB: the files hold exactly every line of every process once, whole, each process's lines
     * in its order, and no file is over the size. The file lock is what makes this hold: without
     * it, two processes rotate at once and one's renames overwrite the other's files.
     */
    @Test
    void four_processes_sharing_a_rotating_stat_log_lose_split_or_double_no_line() throws Exception {
        Path file = tmp.resolve("stat.log");
        int processes = 4;
        int lines = 3000;
        List<Process> writers = new ArrayList<>();
        for (int w = 0; w < processes; w++) {
            writers.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), Writer.class.getName(), file.toString(), "2048",
                    "100000", "w" + w, String.valueOf(lines))
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("writer-" + w + ".out").toFile()).start());
        }
        for (int w = 0; w < processes; w++) {
            assertTrue(writers.get(w).waitFor(TimeScale.ms(120_000), TimeUnit.MILLISECONDS), "writer " + w + " ended");
            assertEquals(0, writers.get(w).exitValue(), Files.readString(tmp.resolve("writer-" + w + ".out")));
        }
        List<Path> files = StatLog.files(file);
        assertTrue(files.size() > 100, files.size() + " files: rotated");
        for (Path each : files) {
            assertTrue(Files.size(each) <= 2048, each + " has " + Files.size(each) + " bytes, over 2048");
        }
        Map<String, Integer> next = new HashMap<>();
        List<String> all = read(files);
        for (String line : all) {
            assertTrue(line.matches("writer:w[0-9],n:[0-9]+,pad:x{20}"), "a whole line: " + line);
            String writer = line.substring(7, 9);
            int n = Integer.parseInt(line.substring(12, line.indexOf(",pad:")));
            assertEquals(next.getOrDefault(writer, 0), n, "writer " + writer + "'s lines in order, none missing or twice");
            next.put(writer, n + 1);
        }
        assertEquals(Map.of("w0", lines, "w1", lines, "w2", lines, "w3", lines), next);
        assertEquals(processes * lines, all.size());
    }

    /** A process of {@link #four_processes_sharing_a_rotating_stat_log_lose_split_or_double_no_line}. */
    public static final class Writer {
        public static void main(String[] args) throws InterruptedException {
            Path file = Path.of(args[0]);
            try (StatLog log = new StatLog(file, Long.parseLong(args[1]), Integer.parseInt(args[2]))) {
                int lines = Integer.parseInt(args[4]);
                for (int i = 0; i < lines; i++) {
                    log.append("writer:" + args[3] + ",n:" + i + ",pad:" + "x".repeat(20));
                    if (i % 50 == 0) {
                        Thread.sleep(1); // many batches, interleaved with the other processes'
                    }
                }
            }
        }
    }

    private static List<String> read(List<Path> files) {
        List<String> all = new ArrayList<>();
        files.forEach(each -> all.addAll(lines(each)));
        return all;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(25);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
