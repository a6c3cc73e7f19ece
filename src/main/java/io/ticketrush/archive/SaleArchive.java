package io.ticketrush.archive;

import java.util.List;
import java.util.Map;

import io.ticketrush.sale.ArchivedSale;

/**
 * Where the live sales are kept (Redis in production), as the archiving sees it: which sales may go,
 * whether one is ready, and its going, which happens only if nothing of it changed since it was
 * found ready. Domain code sees only this seam (docs/archive.md).
 */
public interface SaleArchive {

    /** Whether a sale may be archived now, and if not, why not. */
    enum Readiness {
        /** Closed past the retention, every order final and written: it may go if the database agrees. */
        READY,
        /** Gone: no such sale (or archived meanwhile). */
        NO_SALE,
        /** Not closed, or closed less than the retention ago. */
        NOT_DUE,
        /** An order still pending, or a buy call not settled. */
        UNFINISHED,
        /** An order or an event not in the database yet (the writer is behind or stopped). */
        UNWRITTEN,
        /** A bucket of a hot sale: it is archived with its hot sale, never alone. */
        HOT,
        /** The article's default sale: never archived ({@code ./rush reset} starts it again under its id; docs/archive.md). */
        KEPT,
        /** Something of its orders changed since the check: nothing was deleted. */
        CHANGED
    }

    /**
     * What a check found: whether the sale is ready, the fingerprint its archiving must find
     * unchanged, and (when ready) its orders' states by order id, as the store holds them, and the
     * sales whose orders these are, as the database names them: the sale, or a hot sale's buckets
     * still in the store.
     */
    record Check(Readiness readiness, String fingerprint, Map<Long, String> states, List<String> parts) {
        /** A sale that is not ready, and why. */
        public static Check not(Readiness why) {
            return new Check(why, "", Map.of(), List.of());
        }
    }

    /** The sales that might be archived one day: those created (not the article's, not a hot sale's buckets). */
    List<String> candidates();

    /** Whether {@code sale} is ready to go, {@code retentionMillis} after its closing. */
    Check check(String sale, long retentionMillis);

    /**
     * Archives {@code sale}: a tombstone first (its id is never used again), then its keys, only if
     * it is still ready and its fingerprint is still {@code fingerprint}; its tombstone goes again
     * if not. A hot sale goes a bucket at a time, each only if its own part of the fingerprint holds,
     * its home last: once a bucket went, one that changed keeps the rest (and the tombstone) until a
     * later round finds them ready again. Answers {@link Readiness#READY} when archived now, else why not.
     */
    Readiness archive(String sale, long retentionMillis, String fingerprint);

    /** The tombstones: every archived sale the store still keeps, by id. */
    Map<String, ArchivedSale> tombstones();

    /** Removes {@code sale}'s tombstone (the database has it: {@link TombstonePruner}); the nodes read the sales again. */
    void dropTombstone(String sale);

    /** The store's clock (the sales'), ms since the epoch. */
    long now();

    /**
     * Whether {@code who} archives for the next {@code millis}: one node at a time does (the others'
     * tries would be refused safely, but need not be made).
     */
    boolean lead(String who, long millis);
}
