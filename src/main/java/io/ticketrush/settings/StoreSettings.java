package io.ticketrush.settings;

import java.util.function.UnaryOperator;

/**
 * What a {@code RedisStore} is opened with: Redis, the circuit breaker in front of its calls, and
 * the article's sale's stock key and terms. A node reads these with its own settings; the sale tool
 * ({@code SaleAdmin}) and {@code BuyBench} read these alone.
 *
 * @param redis where Redis is and how the connections behave
 * @param breakerFailures {@code rush.breaker.failures}: failures in a row that open the breaker
 * @param breakerOpenMillis {@code rush.breaker.open.ms}: how long it stays open before one probe
 * @param stockKey {@code rush.stock.key}: the article's sale's stock hash
 * @param perUserLimit {@code rush.user.limit}: tickets per user in the article's sale, and in a new
 *     sale that names no limit
 * @param orderTtlMillis {@code rush.order.ttl.ms}: time to pay in the article's sale, and in a new
 *     sale that names none
 */
public record StoreSettings(RedisSettings redis, int breakerFailures, int breakerOpenMillis, String stockKey,
        int perUserLimit, long orderTtlMillis) {

    /**
     * Reads the settings of a tool: system properties, then the environment, then the defaults.
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static StoreSettings load() {
        return from(SettingsReader.process(null));
    }

    /**
     * Reads the settings from {@code source} alone (tests).
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static StoreSettings from(UnaryOperator<String> source) {
        return SettingsReader.read(source, StoreSettings::read);
    }

    static StoreSettings read(SettingsReader in) {
        return new StoreSettings(RedisSettings.read(in), breakerFailures(in), breakerOpenMillis(in), stockKey(in),
                perUserLimit(in), orderTtlMillis(in));
    }

    private static int breakerFailures(SettingsReader in) {
        return in.number("rush.breaker.failures", 1, 1000);
    }

    private static int breakerOpenMillis(SettingsReader in) {
        return in.number("rush.breaker.open.ms", 1, 60_000);
    }

    /** {@code rush.stock.key}: also the order writer's (the article's sale's order stream is named after it). */
    static String stockKey(SettingsReader in) {
        return in.text("rush.stock.key");
    }

    private static int perUserLimit(SettingsReader in) {
        return in.number("rush.user.limit", 1, 1000);
    }

    private static long orderTtlMillis(SettingsReader in) {
        return in.number("rush.order.ttl.ms", 100, Integer.MAX_VALUE);
    }
}
