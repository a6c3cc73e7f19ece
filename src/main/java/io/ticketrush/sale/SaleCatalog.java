package io.ticketrush.sale;

import java.util.List;
import java.util.Optional;
import java.util.Map;

/**
 * The sales as the store holds them (Redis in production), and the one clock they open and close
 * by. Domain code sees only this seam.
 */
public interface SaleCatalog {

    /** Moves on whenever a sale is created, closed or reset: a node reloads the sales when it does. */
    long version();

    /** Every sale: the default one (when its stock exists) and those created. */
    List<Sale> all();

    /** Every sale with its tickets sold so far, read afresh. */
    List<Standing> standings();

    /** One sale, read afresh; empty if there is no such sale. */
    Optional<Sale> find(String id);

    /** The sales archived (docs/archive.md): gone from the store, never to come back; by id. */
    Map<String, ArchivedSale> archived();

    /** The sales' clock (Redis's) now, as this node reads it, in ms since the epoch. */
    long now();
}
