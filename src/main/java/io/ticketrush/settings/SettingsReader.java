package io.ticketrush.settings;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import io.ticketrush.sale.Buyer;

/**
 * Reads settings one at a time into typed values and collects what is wrong with them, so that a
 * process stops once, naming every bad setting and its rule. A blank value counts as unset; an
 * unset setting takes its default from {@link Defaults}.
 */
final class SettingsReader {
    private static final Pattern ADDRESS = Pattern.compile("[^\\s:,]+:\\d{1,5}");

    private final UnaryOperator<String> source;
    private final List<String> problems = new ArrayList<>();

    private SettingsReader(UnaryOperator<String> source) {
        this.source = source;
    }

    /**
     * Reads settings from {@code source} with {@code read}.
     *
     * @throws InvalidSettingsException naming every setting that is wrong and its rule
     */
    static <T> T read(UnaryOperator<String> source, Function<SettingsReader, T> read) {
        SettingsReader in = new SettingsReader(source);
        T settings = read.apply(in);
        if (!in.problems.isEmpty()) {
            throw new InvalidSettingsException("invalid ticket-rush configuration: " + String.join("; ", in.problems));
        }
        return settings;
    }

    /**
     * A process's settings: a system property, else an environment variable ({@link #envName}),
     * else {@code fallback} (a node's web.xml context parameters; null for none). The first of
     * them that is there decides, blank or not.
     */
    static UnaryOperator<String> process(UnaryOperator<String> fallback) {
        return name -> {
            String value = System.getProperty(name);
            if (value == null) {
                value = System.getenv(envName(name));
            }
            if (value == null && fallback != null) {
                value = fallback.apply(name);
            }
            return value;
        };
    }

    /** {@code rush.redis.host} -> {@code RUSH_REDIS_HOST}. */
    static String envName(String name) {
        return name.toUpperCase().replace('.', '_');
    }

    /** The value given for {@code name}, trimmed; null if it is unset or blank. */
    String given(String name) {
        String value = source.apply(name);
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** The text given, else the default. */
    String text(String name) {
        return text(name, Defaults.of(name));
    }

    /** The text given, else {@code orElse} (a default that is a rule, or none: null). */
    String text(String name, String orElse) {
        String value = given(name);
        return value == null ? orElse : value;
    }

    /** A name of letters, digits and {@code _ . @ -} (as a buyer's id), else the default. */
    String identifier(String name) {
        return identifier(name, Defaults.of(name));
    }

    /** A name of letters, digits and {@code _ . @ -} (as a buyer's id), else {@code orElse}. */
    String identifier(String name, String orElse) {
        String value = text(name, orElse);
        if (!Buyer.ID.matcher(value).matches()) {
            problem(name + "=" + value + " may hold only letters, digits and _ . @ -");
        }
        return value;
    }

    /** A whole number from {@code min} to {@code max}, else the default. */
    int number(String name, int min, int max) {
        String value = given(name);
        return value == null ? defaultNumber(name) : parse(name, value, defaultNumber(name), min, max);
    }

    /** A whole number from {@code min} to {@code max}; empty if unset (its default is a rule). */
    OptionalInt optionalNumber(String name, int min, int max) {
        String value = given(name);
        return value == null ? OptionalInt.empty() : OptionalInt.of(parse(name, value, 0, min, max));
    }

    /** A count of bytes, 0 or more (a long: a machine's memory passes 2^31), else the default. */
    long bytes(String name) {
        String value = given(name);
        String text = value == null ? Defaults.of(name) : value;
        try {
            long n = Long.parseLong(text);
            if (n < 0) {
                problem(name + "=" + text + " must be 0 or more");
            }
            return n;
        } catch (NumberFormatException e) {
            if (value == null) {
                throw new IllegalStateException(Defaults.FILE + ": the default " + name + "=" + text
                        + " is not a whole number", e);
            }
            problem(name + "=" + value + " is not a whole number");
            return 0;
        }
    }

    /** {@code true|yes|on|1} or {@code false|no|off|0}, else the default. */
    boolean flag(String name) {
        String value = given(name);
        boolean defaultValue = Boolean.parseBoolean(Defaults.of(name));
        if (value == null) {
            return defaultValue;
        }
        switch (value.toLowerCase()) {
            case "true", "yes", "on", "1":
                return true;
            case "false", "no", "off", "0":
                return false;
            default:
                problem(name + "=" + value + " must be true or false");
                return defaultValue;
        }
    }

    /** A comma separated list of host:port, each checked, else the default. */
    List<String> addresses(String name) {
        List<String> addresses = List.of(text(name).split("[,\\s]+"));
        for (String address : addresses) {
            if (!ADDRESS.matcher(address).matches()
                    || Integer.parseInt(address.substring(address.lastIndexOf(':') + 1)) > 65535) {
                problem(name + ": '" + address + "' is not host:port (a comma separated list)");
            }
        }
        return addresses;
    }

    /** A rule broken; {@code message} names the setting, its value and the rule. */
    void problem(String message) {
        problems.add(message);
    }

    private int parse(String name, String value, int orElse, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                problem(name + "=" + value + " must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            problem(name + "=" + value + " is not a whole number");
            return orElse;
        }
    }

    private static int defaultNumber(String name) {
        String value = Defaults.of(name);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalStateException(Defaults.FILE + ": the default " + name + "=" + value
                    + " is not a whole number", e);
        }
    }
}
