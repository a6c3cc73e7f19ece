package io.ticketrush.settings;

/**
 * A node's administration ({@code /admin/*}): served only on a connector of its own, bound to
 * loopback (or {@code rush.admin.host}), never on the public port.
 *
 * @param port {@code rush.admin.port}: the admin connector's port; 0: no admin connector, admin off
 * @param host {@code rush.admin.host}: the address it listens on
 * @param token the {@code X-Admin-Token} every admin request carries: {@code rush.admin.token.file}
 *     (or {@code rush.admin.token} from the environment); null: every admin request is refused
 * @param auditLog {@code rush.admin.audit}: the file every admin request is appended to, a JSON line each
 */
public record AdminSettings(int port, String host, String token, String auditLog) {

    static AdminSettings read(SettingsReader in) {
        return new AdminSettings(in.number("rush.admin.port", 0, 65535), host(in),
                Secrets.read(in, "rush.admin.token", 16, "it guards stock resets"), in.text("rush.admin.audit"));
    }

    private static String host(SettingsReader in) {
        String host = in.text("rush.admin.host");
        if (!host.matches("[A-Za-z0-9.:_-]{1,253}")) {
            in.problem("rush.admin.host=" + host + " is not a host name or an IP address");
        }
        return host;
    }

    /** Whether the node serves admin at all. */
    public boolean on() {
        return port != 0;
    }

    /** Never shows the token. */
    @Override
    public String toString() {
        return "AdminSettings[port=" + port + ", host=" + host + ", token=" + (token == null ? "none" : "(set)")
                + ", auditLog=" + auditLog + "]";
    }
}
