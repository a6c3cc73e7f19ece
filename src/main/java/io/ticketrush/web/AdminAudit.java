package io.ticketrush.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The admin audit log ({@code rush.admin.audit}, {@code logs/admin-audit.log}): one JSON line per
 * admin request that reached the admin connector, refused ones too: when, from where, what, with
 * which parameters, and the status it got. Never a secret: the token travels in a header, which is
 * not recorded, and a parameter named like a secret is recorded as {@code (hidden)}. Admin requests
 * are rare, so each line is appended and flushed as it comes.
 */
public final class AdminAudit {
    private static final Pattern SECRET = Pattern.compile("(?i).*(token|secret|password|key).*");
    /** A parameter's value is recorded up to this many characters. */
    private static final int MAX_VALUE = 200;

    private final Path file;

    public AdminAudit(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Appends one line. */
    public synchronized void record(String remote, String method, String action, Map<String, String[]> params,
            int status, String error) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("time", Instant.now().toString());
        line.put("remote", remote);
        line.put("method", method);
        line.put("action", action);
        Map<String, Object> shown = new TreeMap<>();
        params.forEach((name, values) -> shown.put(name, SECRET.matcher(name).matches() ? "(hidden)"
                : values.length == 1 ? cut(values[0]) : java.util.Arrays.stream(values).map(AdminAudit::cut).toList()));
        line.put("params", shown);
        line.put("status", status);
        line.put("error", error);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.write(file, (Json.toJson(line) + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to the admin audit log " + file, e);
        }
    }

    private static String cut(String value) {
        return value.length() <= MAX_VALUE ? value : value.substring(0, MAX_VALUE) + "...";
    }
}
