package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Reads a stat.log ({@code port:3001,status:200,result:1,localSales:145,ts:...}, one line per
 * request) the way the tests check it: whole lines only, parsed into their fields.
 */
public final class StatLogFile {
    private final Path path;

    public StatLogFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** The complete lines written so far (a line still being appended is not counted). */
    public List<Line> lines() {
        if (!Files.exists(path)) {
            return List.of();
        }
        String text;
        try {
            text = Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return List.of();
        }
        List<Line> lines = new ArrayList<>();
        for (String raw : text.substring(0, end).split("\n")) {
            lines.add(Line.parse(raw));
        }
        return lines;
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
