package io.ticketrush.archive;

import java.sql.SQLException;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

import io.ticketrush.sale.ArchivedSale;

/**
 * Keeps the store's tombstones bounded (docs/archive.md): an archived sale is recorded in the
 * database ({@code archived_sales}) as soon as it is archived, and its tombstone leaves the store once
 * it is older than {@code rush.archive.tombstone.days} and only once the database is read to hold it.
 * A tombstone the database lacks (its recording failed, a database restored from an older backup)
 * is recorded from the tombstone itself and kept for another round: its id stays refused either way.
 */
public final class TombstonePruner {
    private static final Logger LOG = Logger.getLogger(TombstonePruner.class.getName());

    private final SaleArchive store;
    private final ArchivedOrders database;
    private final long keepMillis;

    /** @param keepMillis how long a tombstone stays in the store after its sale was archived */
    public TombstonePruner(SaleArchive store, ArchivedOrders database, long keepMillis) {
        this.store = store;
        this.database = database;
        this.keepMillis = keepMillis;
    }

    /**
     * Records sale {@code sale}, just archived, in the database. A failure is logged, not thrown: the
     * sale is archived whatever the database says now, and {@link #pruneDue} records it later.
     */
    public void record(String sale) {
        Optional<ArchivedSale> tombstone = Optional.ofNullable(store.tombstones().get(sale));
        if (tombstone.isEmpty()) {
            throw new IllegalStateException("sale " + sale + " archived without a tombstone");
        }
        try {
            database.recordSale(tombstone.get());
        } catch (SQLException e) {
            LOG.warning(() -> "archived sale " + sale + " not recorded in the database yet (" + e.getMessage()
                    + "): its tombstone stays in Redis until it is");
        }
    }

    /** One round: the tombstones due go if the database holds them; how many went. */
    public int pruneDue() throws SQLException {
        long before = store.now() - keepMillis;
        int pruned = 0;
        for (Map.Entry<String, ArchivedSale> tombstone : store.tombstones().entrySet()) {
            if (tombstone.getValue().archivedAt() > before) {
                continue;
            }
            String sale = tombstone.getKey();
            if (database.archivedSale(sale).isPresent()) {
                store.dropTombstone(sale);
                pruned++;
            } else {
                database.recordSale(tombstone.getValue());
                LOG.warning(() -> "archived sale " + sale + " was not in the database's archived_sales: recorded now"
                        + " from its tombstone, which stays until a later round reads it there");
            }
        }
        if (pruned > 0) {
            int done = pruned;
            LOG.info(() -> done + " tombstones older than " + keepMillis / 1000 + " s left Redis (in archived_sales)");
        }
        return pruned;
    }
}
