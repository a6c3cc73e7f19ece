package io.ticketrush.settings;

import java.util.Optional;

/**
 * The archiving of finished sales (docs/archive.md) and the order database a node reads for it.
 *
 * @param retentionSeconds {@code rush.sale.retention.seconds}: a sale is archived this long after it closed
 *     (once its orders are all final and in the database)
 * @param periodMillis {@code rush.archive.ms}: how often the node that archives looks for sales due
 * @param tombstoneDays {@code rush.archive.tombstone.days}: an archived sale's tombstone leaves Redis this many
 *     days after the archive, once the database's {@code archived_sales} is read to hold it
 * @param database {@code rush.archive.db.url} (with {@code rush.db.user}, {@code rush.db.password}): the
 *     order database, read to check a sale before it goes and to answer an archived sale's orders;
 *     empty: this node archives nothing, and an archived sale's orders are unknown to it
 */
public record ArchiveSettings(int retentionSeconds, int periodMillis, int tombstoneDays,
        Optional<DatabaseSettings> database) {

    static ArchiveSettings read(SettingsReader in) {
        return new ArchiveSettings(in.number("rush.sale.retention.seconds", 0, 366 * 86_400),
                in.number("rush.archive.ms", 10, 3_600_000), in.number("rush.archive.tombstone.days", 0, 3660),
                database(in));
    }

    private static Optional<DatabaseSettings> database(SettingsReader in) {
        String url = in.text("rush.archive.db.url");
        if (url.isEmpty()) {
            return Optional.empty();
        }
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            in.problem("rush.archive.db.url=" + url + " must be a jdbc:h2: or jdbc:postgresql: URL");
        }
        return Optional.of(new DatabaseSettings(url, in.text("rush.db.user", url.startsWith("jdbc:h2:") ? "sa" : null),
                in.text("rush.db.password")));
    }

    /** Whether this node archives and reads archived orders. */
    public boolean on() {
        return database.isPresent();
    }
}
