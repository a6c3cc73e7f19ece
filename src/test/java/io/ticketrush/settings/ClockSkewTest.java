package io.ticketrush.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.ticketrush.sale.ArchivedSale;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.Standing;
import org.junit.jupiter.api.Test;

class ClockSkewTest {
    private static final Sale SALE = new Sale("G1", "G1", 10, 0, 0, 1, 300_000, 0);

    /** A catalog of one sale whose clock stands at 1,000,000 ms. */
    private static final SaleCatalog CATALOG = new SaleCatalog() {
        @Override
        public long version() {
            return 7;
        }

        @Override
        public List<Sale> all() {
            return List.of(SALE);
        }

        @Override
        public List<Standing> standings() {
            return List.of(new Standing(SALE, 3));
        }

        @Override
        public Optional<Sale> find(String id) {
            return SALE.id().equals(id) ? Optional.of(SALE) : Optional.empty();
        }

        @Override
        public Map<String, ArchivedSale> archived() {
            return Map.of("A1", new ArchivedSale(new Sale("A1", "A1", 5, 0, 1, 1, 300_000, 0), 5, 4, 2));
        }

        @Override
        public long now() {
            return 1_000_000;
        }
    };

    @Test
    void unset_a_nodes_clock_is_the_catalogs() {
        assertEquals(ClockSkew.NONE, ClockSkew.from(name -> null));
        assertSame(CATALOG, ClockSkew.NONE.applyTo(CATALOG));
    }

    @Test
    void set_it_moves_the_clock_and_nothing_else() {
        SaleCatalog ahead = ClockSkew.from(Map.of("rush.clock.skew.ms", "60000")::get).applyTo(CATALOG);
        assertEquals(1_060_000, ahead.now());
        assertEquals(7, ahead.version());
        assertEquals(List.of(SALE), ahead.all());
        assertEquals(List.of(new Standing(SALE, 3)), ahead.standings());
        assertEquals(Optional.of(SALE), ahead.find("G1"));
        assertEquals(CATALOG.archived(), ahead.archived());
        assertEquals(940_000, ClockSkew.from(Map.of("rush.clock.skew.ms", "-60000")::get).applyTo(CATALOG).now());
    }

    @Test
    void a_bad_skew_is_named_with_its_rule() {
        String message = assertThrows(InvalidSettingsException.class,
                () -> ClockSkew.from(Map.of("rush.clock.skew.ms", "86400001")::get)).getMessage();
        assertTrue(message.contains("rush.clock.skew.ms=86400001 must be between -86400000 and 86400000"), message);
        message = assertThrows(InvalidSettingsException.class,
                () -> ClockSkew.from(Map.of("rush.clock.skew.ms", "soon")::get)).getMessage();
        assertTrue(message.contains("rush.clock.skew.ms=soon is not a whole number"), message);
    }
}
