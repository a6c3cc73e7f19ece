package io.ticketrush.settings;

import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.function.UnaryOperator;

import io.ticketrush.sale.ArchivedSale;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.SaleCatalog;
import io.ticketrush.sale.Standing;

/**
 * A test hook, not a product setting: {@code rush.clock.skew.ms} shifts a node's idea of the sales'
 * clock, so that a test can run a node whose clock runs ahead of Redis's and show that the buy
 * script's own clock still decides (SalesTest, docs/sales.md). Kept out of {@link NodeSettings}
 * and read only when set; unset, a node's clock is Redis's.
 *
 * @param millis how far ahead (negative: behind) the node's clock runs
 */
public record ClockSkew(long millis) {
    /** No skew: the clock as Redis tells it. */
    public static final ClockSkew NONE = new ClockSkew(0);

    private static final int MOST = 86_400_000;

    /**
     * Reads the hook as a node reads its settings (system property, environment, then
     * {@code contextParams}).
     *
     * @throws InvalidSettingsException the value is not a whole number within a day either way
     */
    public static ClockSkew load(UnaryOperator<String> contextParams) {
        return from(SettingsReader.process(contextParams));
    }

    /** Reads the hook from {@code source} alone (tests). */
    public static ClockSkew from(UnaryOperator<String> source) {
        return SettingsReader.read(source, in -> in.given("rush.clock.skew.ms") == null ? NONE
                : new ClockSkew(in.optionalNumber("rush.clock.skew.ms", -MOST, MOST).orElse(0)));
    }

    /** {@code catalog} with its clock shifted by this skew; {@code catalog} itself without one. */
    public SaleCatalog applyTo(SaleCatalog catalog) {
        if (millis == 0) {
            return catalog;
        }
        return new SaleCatalog() {
            @Override
            public long version() {
                return catalog.version();
            }

            @Override
            public List<Sale> all() {
                return catalog.all();
            }

            @Override
            public List<Standing> standings() {
                return catalog.standings();
            }

            @Override
            public Optional<Sale> find(String id) {
                return catalog.find(id);
            }

            @Override
            public Map<String, ArchivedSale> archived() {
                return catalog.archived();
            }

            @Override
            public long now() {
                return catalog.now() + millis;
            }
        };
    }
}
