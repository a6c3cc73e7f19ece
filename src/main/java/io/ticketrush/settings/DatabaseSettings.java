package io.ticketrush.settings;

/**
 * The order database the order writer writes to.
 *
 * @param url {@code rush.db.url}: a {@code jdbc:h2:} or {@code jdbc:postgresql:} URL
 * @param user {@code rush.db.user}; by default {@code sa} with H2, null (none) otherwise
 * @param password {@code rush.db.password}
 */
public record DatabaseSettings(String url, String user, String password) {

    static DatabaseSettings read(SettingsReader in) {
        String url = url(in);
        return new DatabaseSettings(url, user(in, url), password(in));
    }

    private static String url(SettingsReader in) {
        String url = in.text("rush.db.url");
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            in.problem("rush.db.url=" + url + " must be a jdbc:h2: or jdbc:postgresql: URL");
        }
        return url;
    }

    private static String user(SettingsReader in, String url) {
        return in.text("rush.db.user", url.startsWith("jdbc:h2:") ? "sa" : null);
    }

    private static String password(SettingsReader in) {
        return in.text("rush.db.password");
    }
}
