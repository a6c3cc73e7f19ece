package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.ticketrush.support.ChildProcess;
import io.ticketrush.support.Distributions;

/**
 * The packaged WAR on a real Jetty distribution (jetty-home), as ./rush runs each node: a fresh
 * jetty.base with the ee10 deployer, the WAR as webapps/ROOT.war, the settings as {@code -D}.
 */
class JettyDistributionIT extends DeployedWarScenario {

    @Override
    ChildProcess start(Path dir, int port, List<String> settings) throws IOException {
        Path home = Distributions.jettyHome();
        String java = Distributions.java().toString();
        String startJar = home.resolve("start.jar").toString();
        Path base = Files.createDirectories(dir.resolve("jetty-base"));
        ChildProcess.Result added = ChildProcess.run(List.of(java, "-jar", startJar, "jetty.home=" + home,
                "jetty.base=" + base, "--add-modules=server,http,ee10-deploy"), Duration.ofSeconds(60));
        assertEquals(0, added.exitCode(), () -> "creating the jetty.base failed:\n" + added.output());
        // with a work/ folder Jetty unpacks the WAR inside the base, not in java.io.tmpdir
        Files.createDirectories(base.resolve("work"));
        Files.copy(Distributions.war(), base.resolve("webapps/ROOT.war"));

        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(settings);
        command.addAll(List.of("-jar", startJar, "jetty.home=" + home, "jetty.base=" + base,
                "jetty.http.host=127.0.0.1", "jetty.http.port=" + port));
        return ChildProcess.start("jetty", command, base, Map.of(), dir.resolve("jetty.log"));
    }

    @Override
    String webappStoppedMarker() {
        return "Stopped oeje10w.WebAppContext";
    }
}
