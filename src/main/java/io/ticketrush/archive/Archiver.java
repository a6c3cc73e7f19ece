package io.ticketrush.archive;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Archives the finished sales (docs/archive.md): a sale closed at least the retention ago whose
 * orders are all final and written leaves the store, its orders answered from the database since.
 * The check comes first and the store deletes only what it checked: it finds the sale ready and
 * takes its fingerprint, this compares every one of its orders with the database (same ids, same
 * states), and the store deletes the sale's keys only if the sale is still ready with the same
 * fingerprint. An order the database lacks, or holds in another state, keeps the sale where it is.
 * One node at a time runs it ({@link SaleArchive#lead}); two at once would still be safe.
 */
public final class Archiver {
    private static final Logger LOG = Logger.getLogger(Archiver.class.getName());

    private final SaleArchive store;
    private final ArchivedOrders database;
    private final long retentionMillis;
    private final String who;
    private final long leaseMillis;
    private final Consumer<String> archived;
    /** The tombstones' pruning, run by the node that archives after each round; null: none (tests). */
    private final TombstonePruner tombstones;

    /**
     * @param who this node's name for the lease ({@link SaleArchive#lead})
     * @param leaseMillis how long a lease lasts (longer than the time between rounds)
     * @param archived told the id of each sale this archived (the node lets go of what it kept of it)
     */
    public Archiver(SaleArchive store, ArchivedOrders database, long retentionMillis, String who, long leaseMillis,
            Consumer<String> archived) {
        this(store, database, retentionMillis, who, leaseMillis, archived, null);
    }

    /** @param tombstones records each sale archived in the database, and prunes the tombstones due after each round */
    public Archiver(SaleArchive store, ArchivedOrders database, long retentionMillis, String who, long leaseMillis,
            Consumer<String> archived, TombstonePruner tombstones) {
        this.tombstones = tombstones;
        this.store = store;
        this.database = database;
        this.retentionMillis = retentionMillis;
        this.who = who;
        this.leaseMillis = leaseMillis;
        this.archived = archived;
    }

    /** One round: every sale that is due and ready is archived; how many were. Nothing if another node leads. */
    public int archiveDue() throws SQLException {
        if (!store.lead(who, leaseMillis)) {
            return 0;
        }
        int done = 0;
        for (String sale : store.candidates()) {
            if (archive(sale) == SaleArchive.Readiness.READY) {
                done++;
            }
        }
        if (tombstones != null) {
            tombstones.pruneDue();
        }
        return done;
    }

    /** Archives {@code sale} if it is due and ready and the database holds its orders as the store does; why not if not. */
    public SaleArchive.Readiness archive(String sale) throws SQLException {
        long started = System.nanoTime();
        SaleArchive.Check check = store.check(sale, retentionMillis);
        if (check.readiness() != SaleArchive.Readiness.READY) {
            return check.readiness();
        }
        Map<Long, String> written = new HashMap<>();
        for (String part : check.parts()) {
            written.putAll(database.states(part));
        }
        if (!written.equals(check.states())) {
            long missing = check.states().keySet().stream().filter(id -> !written.containsKey(id)).count();
            LOG.info(() -> "sale " + sale + " not archived: the database has " + written.size() + " of its "
                    + check.states().size() + " orders (" + missing + " missing, the others' states compared)");
            return SaleArchive.Readiness.UNWRITTEN;
        }
        SaleArchive.Readiness done = store.archive(sale, retentionMillis, check.fingerprint());
        if (done == SaleArchive.Readiness.READY) {
            if (tombstones != null) {
                tombstones.record(sale); // in the database too: its tombstone may leave Redis one day
            }
            archived.accept(sale);
            LOG.info(() -> "sale " + sale + " archived: " + written.size() + " orders, all in the database, in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
        }
        return done;
    }
}
