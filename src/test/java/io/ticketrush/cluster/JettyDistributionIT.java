package io.ticketrush.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.ticketrush.support.ChildProcess;
import io.ticketrush.support.Distributions;

/**
 * The packaged WAR on a real Jetty distribution (jetty-home), as ./rush runs each node: a fresh
 * jetty.base with the ee10 deployer and the ticket-rush module the WAR carries, the WAR as
 * webapps/ROOT.war, the settings as {@code -D}.
 */
class JettyDistributionIT extends DeployedWarScenario {

    @Override
    ChildProcess start(Path dir, int port, int adminPort, List<String> settings) throws IOException {
        // the ticket-rush module opens the admin connector from -Drush.admin.port (among the settings)
        Path home = Distributions.jettyHome();
        String java = Distributions.java().toString();
        String startJar = home.resolve("start.jar").toString();
        Path base = Distributions.newJettyBase(dir.resolve("jetty-base"));
        Files.copy(Distributions.war(), base.resolve("webapps/ROOT.war"));

        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(settings);
        command.addAll(List.of("-jar", startJar, "jetty.home=" + home, "jetty.base=" + base,
                "jetty.http.host=127.0.0.1", "jetty.http.port=" + port));
        return ChildProcess.start("jetty", command, base, Map.of(), dir.resolve("jetty.log"));
    }

    /** URIs Jetty refuses before the webapp: the ticket-rush module answers them in JSON. */
    @Override
    Map<String, Integer> refusedByTheContainer() {
        return Map.of("/buy%2Fticket", 400, "/buy//ticket", 400, "/buy/..%2Fticket", 400, "/buy/%FFticket", 400);
    }

    @Override
    String webappStoppedMarker() {
        return "Stopped oeje10w.WebAppContext";
    }
}
