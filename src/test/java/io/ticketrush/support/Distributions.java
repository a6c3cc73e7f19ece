package io.ticketrush.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

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

    /**
     * A new jetty.base at {@code base} as ./rush makes one per node: the ticket-rush Jetty module
     * copied from the WAR's {@code WEB-INF/jetty-base}, the server, http, ee10-deploy and
     * ticket-rush modules enabled, and a {@code work/} folder (so Jetty unpacks the WAR inside the
     * base, not in java.io.tmpdir). The WAR itself is not deployed yet.
     */
    public static Path newJettyBase(Path base) throws IOException {
        Files.createDirectories(base);
        copyJettyModule(base);
        Path home = jettyHome();
        ChildProcess.Result added = ChildProcess.run(List.of(java().toString(), "-jar",
                home.resolve("start.jar").toString(), "jetty.home=" + home, "jetty.base=" + base,
                "--add-modules=server,http,ee10-deploy,ticket-rush"), Duration.ofSeconds(60));
        if (added.exitCode() != 0) {
            throw new IllegalStateException("creating the jetty.base " + base + " failed:\n" + added.output());
        }
        Files.createDirectories(base.resolve("work"));
        return base;
    }

    private static void copyJettyModule(Path base) throws IOException {
        String prefix = "WEB-INF/jetty-base/";
        int copied = 0;
        try (ZipFile war = new ZipFile(war().toFile())) {
            for (ZipEntry entry : Collections.list(war.entries())) {
                if (!entry.getName().startsWith(prefix) || entry.isDirectory()) {
                    continue;
                }
                Path target = base.resolve(entry.getName().substring(prefix.length())).normalize();
                Files.createDirectories(target.getParent());
                try (InputStream in = war.getInputStream(entry)) {
                    Files.copy(in, target);
                }
                copied++;
            }
        }
        if (copied == 0) {
            throw new IllegalStateException(war() + " has no " + prefix + " (the Jetty module the nodes need)");
        }
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
