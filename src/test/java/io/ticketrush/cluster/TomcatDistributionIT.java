package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.ticketrush.support.ChildProcess;
import io.ticketrush.support.Distributions;

/**
 * The same WAR, unchanged, on standalone Tomcat: CATALINA_HOME is the unpacked distribution,
 * CATALINA_BASE a fresh folder with its conf/ (ports changed) and the WAR as webapps/ROOT.war,
 * the settings in CATALINA_OPTS, started with {@code catalina.sh run} (which execs the JVM, so
 * the child process is Tomcat itself and SIGTERM runs its shutdown hook).
 */
class TomcatDistributionIT extends DeployedWarScenario {

    @Override
    ChildProcess start(Path dir, int port, int adminPort, List<String> settings) throws IOException {
        Path home = Distributions.tomcatHome();
        makeScriptsExecutable(home.resolve("bin"));
        Path base = Files.createDirectories(dir.resolve("catalina-base"));
        for (String folder : List.of("conf", "logs", "temp", "webapps", "work")) {
            Files.createDirectories(base.resolve(folder));
        }
        try (Stream<Path> conf = Files.list(home.resolve("conf"))) {
            for (Path file : conf.filter(Files::isRegularFile).toList()) {
                Files.copy(file, base.resolve("conf").resolve(file.getFileName()));
            }
        }
        Path serverXml = base.resolve("conf/server.xml");
        String xml = Files.readString(serverXml);
        // no shutdown port (stopped by signal), HTTP on the test's port, loopback only
        xml = replaceOnce(xml, "<Server port=\"8005\"", "<Server port=\"-1\"");
        xml = replaceOnce(xml, "<Connector port=\"8080\" protocol=\"HTTP/1.1\"",
                "<Connector port=\"" + port + "\" address=\"127.0.0.1\" protocol=\"HTTP/1.1\"");
        // the admin connector: a second Connector on loopback; the WAR serves /admin/* only on the
        // port its rush.admin.port names (a request's local port and address)
        String engine = "<Engine name=\"Catalina\" defaultHost=\"localhost\">";
        xml = replaceOnce(xml, engine, "<Connector port=\"" + adminPort
                + "\" address=\"127.0.0.1\" protocol=\"HTTP/1.1\" connectionTimeout=\"20000\" />\n    " + engine);
        Files.writeString(serverXml, xml);
        Files.copy(Distributions.war(), base.resolve("webapps/ROOT.war"));

        Map<String, String> env = Map.of(
                "CATALINA_HOME", home.toString(),
                "CATALINA_BASE", base.toString(),
                "JAVA_HOME", System.getProperty("java.home"),
                "CATALINA_OPTS", String.join(" ", settings));
        return ChildProcess.start("tomcat", List.of(home.resolve("bin/catalina.sh").toString(), "run"), base, env,
                dir.resolve("tomcat.log"));
    }

    @Override
    String webappStoppedMarker() {
        return "Stopping service [Catalina]";
    }

    /** The zip from Maven Central may lose the exec bit. */
    private static void makeScriptsExecutable(Path bin) throws IOException {
        try (Stream<Path> scripts = Files.list(bin)) {
            for (Path script : scripts.filter(path -> path.toString().endsWith(".sh")).toList()) {
                Set<PosixFilePermission> permissions = EnumSet.copyOf(Files.getPosixFilePermissions(script));
                permissions.addAll(List.of(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_EXECUTE,
                        PosixFilePermission.OTHERS_EXECUTE));
                Files.setPosixFilePermissions(script, permissions);
            }
        }
    }

    private static String replaceOnce(String text, String target, String replacement) {
        int at = text.indexOf(target);
        assertEquals(true, at >= 0 && text.indexOf(target, at + 1) < 0,
                () -> "Tomcat's server.xml should have exactly one " + target);
        return text.substring(0, at) + replacement + text.substring(at + target.length());
    }
}
