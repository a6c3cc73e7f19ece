package io.ticketrush.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import io.ticketrush.node.RushApp;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.xml.XmlConfiguration;

/**
 * One ticket-rush node in this JVM: embedded Jetty 12 (ee10) on port 0 running the WAR's own
 * {@code webapp/WEB-INF/web.xml}, so the wiring under test is the one the distributions deploy,
 * and the Server configured by the same {@code etc/ticket-rush.xml} as a distribution node.
 *
 * <p>Classes come from the test classpath ({@code target/classes}); the per-node settings are
 * context init parameters, never system properties, because several nodes share this JVM.
 */
public final class EmbeddedNode implements AutoCloseable {
    /** The WAR's web resources; Maven runs tests from the project folder. */
    public static final Path WEBAPP = Path.of("webapp").toAbsolutePath();
    /** The Jetty module's server config (JSON error handler, header size), as ./rush's nodes run it. */
    public static final Path JETTY_XML = Path.of("src/main/jetty-base/etc/ticket-rush.xml").toAbsolutePath();

    /** The setting that gives a node its admin connector ({@code /admin/*} is served there only). */
    public static final String ADMIN_PORT = "rush.admin.port";

    private final Server server;
    private final WebAppContext context;
    private final Path overrideDescriptor;

    private EmbeddedNode(Map<String, String> settings) {
        Path descriptor = WEBAPP.resolve("WEB-INF/web.xml");
        if (!Files.isRegularFile(descriptor)) {
            throw new IllegalStateException("no web.xml at " + descriptor + " (run the tests from the project folder)");
        }
        server = new Server();
        HttpConfiguration httpConfig = new HttpConfiguration();
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(httpConfig));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        // as ./rush does for the distribution: the JVM's default backlog of 50 overflows under -c 100
        connector.setAcceptQueueSize(4096);
        server.addConnector(connector);
        context = new WebAppContext();
        context.setContextPath("/");
        context.setBaseResourceAsPath(WEBAPP);
        context.setDescriptor(descriptor.toString());
        context.setParentLoaderPriority(true);
        context.setThrowUnavailableOnStartupException(true);
        // web.xml's context-params replace init params set in code, so the node's own settings
        // go into an override descriptor, which Jetty applies after web.xml.
        overrideDescriptor = writeOverrideDescriptor(settings);
        context.addOverrideDescriptor(overrideDescriptor.toString());
        server.setHandler(context);
        configureAsTheJettyModuleDoes(server, httpConfig, settings);
    }

    /** The module's XML, with the node's admin connector settings as the Jetty properties it reads. */
    private static void configureAsTheJettyModuleDoes(Server server, HttpConfiguration httpConfig,
            Map<String, String> settings) {
        try {
            XmlConfiguration xml = new XmlConfiguration(ResourceFactory.of(server).newResource(JETTY_XML));
            xml.getIdMap().put("httpConfig", httpConfig);
            for (String name : new String[] {ADMIN_PORT, "rush.admin.host"}) {
                if (settings.containsKey(name)) {
                    xml.getProperties().put(name, settings.get(name));
                }
            }
            xml.configure(server);
        } catch (Exception e) {
            throw new IllegalStateException("cannot apply " + JETTY_XML + " to the embedded server", e);
        }
    }

    private static Path writeOverrideDescriptor(Map<String, String> settings) {
        StringBuilder xml = new StringBuilder("""
                <?xml version="1.0" encoding="UTF-8"?>
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
                """);
        settings.forEach((name, value) -> xml.append("  <context-param><param-name>").append(escape(name))
                .append("</param-name><param-value>").append(escape(value)).append("</param-value></context-param>\n"));
        xml.append("</web-app>\n");
        try {
            Path file = Files.createTempFile("rush-node-override-", ".xml");
            Files.writeString(file, xml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the node's override descriptor", e);
        }
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * Starts a node with {@code settings} ({@code rush.redis.port} and the like) as context init
     * params; {@code rush.admin.port} also opens the admin connector there (the module's XML reads it).
     */
    public static EmbeddedNode start(Map<String, String> settings) {
        checkNotOverridden(settings);
        EmbeddedNode node = new EmbeddedNode(new LinkedHashMap<>(settings));
        try {
            node.server.start();
        } catch (Exception e) {
            node.stop();
            throw new IllegalStateException("embedded node failed to start with " + settings, e);
        }
        if (node.context.getUnavailableException() != null) {
            Throwable cause = node.context.getUnavailableException();
            node.stop();
            throw new IllegalStateException("ticket-rush webapp unavailable with " + settings, cause);
        }
        return node;
    }

    /**
     * The WAR reads system properties and the environment before init params, so a
     * {@code RUSH_STOCK_TOTAL} left in a developer's shell would silently win over a node's own
     * setting. Fail naming it instead.
     */
    private static void checkNotOverridden(Map<String, String> settings) {
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            String name = setting.getKey();
            String env = name.toUpperCase(Locale.ROOT).replace('.', '_');
            String property = System.getProperty(name);
            String variable = System.getenv(env);
            if (property != null && !property.isBlank()) {
                throw new IllegalStateException("system property " + name + "=" + property
                        + " would override this node's " + name + "=" + setting.getValue() + "; unset it");
            }
            if (variable != null && !variable.isBlank()) {
                throw new IllegalStateException("environment variable " + env + "=" + variable
                        + " would override this node's " + name + "=" + setting.getValue() + "; unset it");
            }
        }
    }

    /** The port the node listens on (chosen by the OS). */
    public int port() {
        return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** The node's wiring, for what a test counts inside it (the WAR's classes are the test's own). */
    public RushApp app() {
        return RushApp.of(context.getServletContext());
    }

    /**
     * The WAR's servlet of class {@code type} (started if it was not yet), for what a test counts
     * inside it.
     */
    public <T extends Servlet> T servlet(Class<T> type) {
        for (ServletHolder holder : context.getServletHandler().getServlets(type)) {
            try {
                Servlet servlet = holder.getServlet();
                // a servlet that is not async-supported is served through Jetty's wrapper
                while (servlet instanceof ServletHolder.Wrapper wrapper) {
                    servlet = wrapper.getWrapped();
                }
                return type.cast(servlet);
            } catch (ServletException e) {
                throw new IllegalStateException("servlet " + type.getName() + " did not start", e);
            }
        }
        throw new IllegalStateException("the WAR has no servlet " + type.getName());
    }

    /** The admin connector's port (the node's {@code rush.admin.port}); fails if it has none. */
    public int adminPort() {
        for (var connector : server.getConnectors()) {
            if ("rush-admin".equals(connector.getName())) {
                return ((ServerConnector) connector).getLocalPort();
            }
        }
        throw new IllegalStateException("this node has no admin connector: start it with " + ADMIN_PORT);
    }

    /** {@code path} on the admin connector. */
    public URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + adminPort() + path);
    }

    /** The effective value of a context init parameter (what the WAR's settings fall back to). */
    public String initParameter(String name) {
        return context.getInitParameter(name);
    }

    /** Stops the node gracefully: the WAR's listener flushes stat.log and closes its Redis pool. */
    public void stop() {
        int port = port();
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("embedded node on port " + port + " failed to stop", e);
        } finally {
            try {
                Files.deleteIfExists(overrideDescriptor);
            } catch (IOException e) {
                // a leftover temp file is harmless
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
