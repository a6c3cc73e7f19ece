package io.ticketrush.settings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The settings' defaults, as {@code defaults.properties} beside this class writes them: the one
 * place each default is written, for the Java processes (from their classpath, so the WAR carries
 * it) and for {@code lib/common.sh} (from the repo).
 */
final class Defaults {
    /** The file, relative to this class. */
    static final String FILE = "defaults.properties";

    private static final Map<String, String> VALUES = load();

    private Defaults() {
    }

    /** The default of {@code name}; a name without one is a mistake in the code that asks. */
    static String of(String name) {
        String value = VALUES.get(name);
        if (value == null) {
            throw new IllegalStateException("no default for " + name + " in " + FILE);
        }
        return value;
    }

    /** Every default, by name. */
    static Map<String, String> all() {
        return VALUES;
    }

    private static Map<String, String> load() {
        Properties properties = new Properties();
        try (InputStream in = Defaults.class.getResourceAsStream(FILE)) {
            if (in == null) {
                throw new IllegalStateException(FILE + " is not on the classpath beside " + Defaults.class.getName());
            }
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE, e);
        }
        Map<String, String> values = new TreeMap<>();
        properties.stringPropertyNames().forEach(name -> values.put(name, properties.getProperty(name)));
        return Collections.unmodifiableMap(values);
    }
}
