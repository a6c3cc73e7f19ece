package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the packaged WAR and the unpacked Jetty and Tomcat distributions are, as failsafe passes
 * them ({@code rush.war}, {@code rush.dist.dir}; see pom.xml). Run through {@code mvn verify}.
 */
public final class Distributions {
    private Distributions() {
    }

    /** {@code target/ticket-rush.war}. */
    public static Path war() {
        Path war = Path.of(property("rush.war"));
        if (!Files.isRegularFile(war)) {
            throw new IllegalStateException("no WAR at " + war + " (rush.war); run mvn verify, which packages it first");
        }
        return war;
    }

    /** {@code target/dist/jetty-home-<version>}. */
    public static Path jettyHome() {
        return unpacked("jetty-home-");
    }

    /** {@code target/dist/apache-tomcat-<version>}. */
    public static Path tomcatHome() {
        return unpacked("apache-tomcat-");
    }

    private static Path unpacked(String prefix) {
        Path dist = Path.of(property("rush.dist.dir"));
        List<Path> found;
        try (Stream<Path> entries = Files.list(dist)) {
            found = entries.filter(path -> path.getFileName().toString().startsWith(prefix) && Files.isDirectory(path))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dist + " (rush.dist.dir); maven-dependency-plugin"
                    + " unpacks the distributions there in pre-integration-test", e);
        }
        if (found.size() != 1) {
            throw new IllegalStateException("expected one " + prefix + "* folder in " + dist + ", found " + found
                    + (found.isEmpty() ? "" : " (a version changed? mvn clean removes the old one)"));
        }
        return found.get(0);
    }

    private static String property(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + name + " is not set: run this test with"
                    + " mvn verify (failsafe sets it)");
        }
        return value;
    }

    /** The {@code java} of the JVM running the tests, so the servers run on the same Java. */
    public static Path java() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }
}
