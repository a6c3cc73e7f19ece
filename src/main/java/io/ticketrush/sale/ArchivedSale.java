package io.ticketrush.sale;

/**
 * A sale that was archived (docs/archive.md): its keys left the store, its orders are in the
 * database, and this is what the store keeps of it (its tombstone): its definition, its last
 * figures, and when it went. Its id is never used again.
 */
public record ArchivedSale(Sale sale, long sold, long paid, long archivedAt) {
}
