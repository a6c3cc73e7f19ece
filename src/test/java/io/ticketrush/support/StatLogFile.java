package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.ticketrush.statlog.StatLog;

/**
 * Reads a stat.log ({@code port:3001,status:200,result:1,localSales:145,ts:...}, one line per
 * request), and the files it was rotated into, the way the tests check it: whole lines only,
 * parsed into their fields.
 */
public final class StatLogFile {
    private final Path path;

    public StatLogFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /**
     * The complete lines written so far (a line still being appended is not counted), across a
     * rotation: every file of {@link StatLog#files}, oldest first, read again if a node rotated
     * them while they were read.
     */
    public List<Line> lines() {
        List<Line> lines = new ArrayList<>();
        for (String raw : rawLines(path)) {
            lines.add(Line.parse(raw));
        }
        return lines;
    }

    /** The complete lines of the stat.log at {@code path} and its rotated files, oldest first. */
    public static List<String> rawLines(Path path) {
        for (int attempt = 0; ; attempt++) {
            Map<Path, Object> before = identities(StatLog.files(path));
            List<String> lines = new ArrayList<>();
            try {
                for (Path file : before.keySet()) {
                    String text = Files.readString(file);
                    int end = text.lastIndexOf('\n');
                    if (end >= 0) {
                        lines.addAll(List.of(text.substring(0, end).split("\n", -1)));
                    }
                }
            } catch (NoSuchFileException e) {
                continue; // rotated away meanwhile
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + path, e);
            }
            if (before.equals(identities(StatLog.files(path))) || attempt >= 100) {
                return lines;
            }
        }
    }

    /** Each file with its identity (device and inode): a rotation renames, so it changes the map. */
    private static Map<Path, Object> identities(List<Path> files) {
        Map<Path, Object> keys = new LinkedHashMap<>();
        for (Path file : files) {
            try {
                keys.put(file, Files.readAttributes(file, BasicFileAttributes.class).fileKey());
            } catch (IOException e) {
                keys.put(file, null);
            }
        }
        return keys;
    }

    public int count() {
        return lines().size();
    }

    /**
     * Waits until at least {@code expected} lines are there (the node writes them from a
     * background thread), then returns all lines, so the caller can assert the exact count.
     */
    public List<Line> awaitLines(int expected, Duration limit) {
        Deadline.await(limit, expected + " lines in " + path + " (have " + count() + ")",
                () -> count() >= expected);
        return lines();
    }

    /** Lines per node port, ordered by port. */
    public static Map<Integer, Long> countByPort(List<Line> lines) {
        return lines.stream().collect(Collectors.groupingBy(Line::port, TreeMap::new, Collectors.counting()));
    }

    /** Per node port, the highest {@code localSales} logged: what that node sold in all. */
    public static Map<Integer, Integer> maxLocalSalesByPort(List<Line> lines) {
        return lines.stream().collect(Collectors.toMap(Line::port, Line::localSales, Math::max, TreeMap::new));
    }

    public static Map<Integer, Long> countByResult(List<Line> lines) {
        return lines.stream().collect(Collectors.groupingBy(Line::result, TreeMap::new, Collectors.counting()));
    }

    /** One request's record: every {@code key:value} field, in order. */
    public record Line(String raw, Map<String, String> fields) {
        static Line parse(String raw) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String pair : raw.split(",")) {
                int colon = pair.indexOf(':');
                if (colon <= 0) {
                    throw new AssertionError("malformed stat.log line (field \"" + pair + "\"): " + raw);
                }
                fields.put(pair.substring(0, colon), pair.substring(colon + 1));
            }
            for (String required : List.of("port", "status", "result", "localSales", "ts")) {
                if (!fields.containsKey(required)) {
                    throw new AssertionError("stat.log line without " + required + ": " + raw);
                }
            }
            return new Line(raw, Collections.unmodifiableMap(fields));
        }

        public int port() {
            return number("port");
        }

        public int status() {
            return number("status");
        }

        public int result() {
            return number("result");
        }

        public int localSales() {
            return number("localSales");
        }

        public String field(String name) {
            return fields.get(name);
        }

        private int number(String name) {
            try {
                return Integer.parseInt(fields.get(name));
            } catch (NumberFormatException e) {
                throw new AssertionError("stat.log field " + name + " is not a number: " + raw, e);
            }
        }
    }
}
