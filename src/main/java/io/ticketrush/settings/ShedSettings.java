package io.ticketrush.settings;

import java.util.function.UnaryOperator;

/**
 * How many buyers a node lets wait for Redis at once before it sheds the next with a fast 503
 * {@code busy} ({@code io.ticketrush.shed}, docs/failures.md, "Shedding").
 *
 * @param limit {@code rush.shed.limit}: the bound, per node, over all its sales; 0: none (only the
 *     lock wait bounds the line)
 */
public record ShedSettings(int limit) {

    /** No bound. */
    public boolean off() {
        return limit == 0;
    }

    /**
     * Reads them from {@code source} alone (an operator's change, a test); unset ones take their defaults.
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static ShedSettings from(UnaryOperator<String> source) {
        return SettingsReader.read(source, ShedSettings::read);
    }

    static ShedSettings read(SettingsReader in) {
        return new ShedSettings(in.number("rush.shed.limit", 0, 1_000_000));
    }
}
