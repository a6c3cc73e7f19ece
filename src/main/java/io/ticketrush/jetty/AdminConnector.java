package io.ticketrush.jetty;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A node's admin connector: a second HTTP connector, on {@code rush.admin.port} and
 * {@code rush.admin.host} (loopback unless set), the only one on which the WAR serves
 * {@code /admin/*} (it compares the request's local port and address with the same settings).
 * Added by {@code etc/ticket-rush.xml} of the Jetty module; no connector when the port is 0 or unset.
 *
 * <p>The settings are the WAR's own names, read as Jetty properties (what the tests' embedded nodes
 * set), else system properties ({@code -Drush.admin.port=4001}, what {@code ./rush} passes, which the
 * WAR reads too), else the environment ({@code RUSH_ADMIN_PORT}): one value for both sides.
 */
public final class AdminConnector {
    public static final String NAME = "rush-admin";
    private static final String PORT = "rush.admin.port";
    private static final String HOST = "rush.admin.host";
    private static final String DEFAULT_HOST = "127.0.0.1";

    private AdminConnector() {
    }

    /**
     * Adds the admin connector to {@code server}, with {@code config} (the public connector's HTTP
     * settings); {@code port} and {@code host} as the XML found them (empty: look further).
     *
     * @return the connector, or null when admin is off
     */
    public static ServerConnector addTo(Server server, HttpConfiguration config, String host, String port) {
        String portText = setting(PORT, port);
        int number;
        try {
            number = portText == null ? 0 : Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PORT + "=" + portText + " is not a port", e);
        }
        if (number < 0 || number > 65535) {
            throw new IllegalArgumentException(PORT + "=" + number + " must be between 0 and 65535");
        }
        if (number == 0) {
            return null;
        }
        String address = setting(HOST, host);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(config));
        connector.setName(NAME);
        connector.setHost(address == null ? DEFAULT_HOST : address);
        connector.setPort(number);
        server.addConnector(connector);
        return connector;
    }

    private static String setting(String name, String fromXml) {
        if (fromXml != null && !fromXml.isBlank()) {
            return fromXml.trim();
        }
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            value = System.getenv(name.toUpperCase().replace('.', '_'));
        }
        return value == null || value.isBlank() ? null : value.trim();
    }
}
