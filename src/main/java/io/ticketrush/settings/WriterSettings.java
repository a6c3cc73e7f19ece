package io.ticketrush.settings;

import java.util.function.UnaryOperator;

/**
 * What the order writer ({@code OrderWriterMain}) needs to know: where Redis and the sales' order
 * streams are, the database, and its own name and pace. It reads no node setting.
 *
 * @param redis where Redis is and how the connections behave
 * @param stockKey {@code rush.stock.key}: the article's sale's stock hash, which names its order stream
 * @param database the order database
 * @param name {@code rush.writer.name}: its consumer name in the streams' group (by default writer-PID)
 * @param batch {@code rush.writer.batch}: events per database transaction
 * @param claimMillis {@code rush.writer.claim.ms}: claim entries another writer left idle this long
 * @param streamKeepMillis {@code rush.stream.keep.ms}: a written order event leaves its stream once
 *     this old (on Redis's clock); the nodes' order feeds read it meanwhile
 */
public record WriterSettings(RedisSettings redis, String stockKey, DatabaseSettings database, String name, int batch,
        int claimMillis, int streamKeepMillis) {

    /**
     * Reads the writer's settings: system properties, then the environment, then the defaults.
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static WriterSettings load() {
        return from(SettingsReader.process(null));
    }

    /**
     * Reads the settings from {@code source} alone (tests).
     *
     * @throws InvalidSettingsException naming every bad setting and its rule
     */
    public static WriterSettings from(UnaryOperator<String> source) {
        return SettingsReader.read(source, WriterSettings::read);
    }

    private static WriterSettings read(SettingsReader in) {
        return new WriterSettings(RedisSettings.read(in), StoreSettings.stockKey(in), DatabaseSettings.read(in),
                name(in), batch(in), claimMillis(in), streamKeepMillis(in));
    }

    private static String name(SettingsReader in) {
        return in.identifier("rush.writer.name", "writer-" + ProcessHandle.current().pid());
    }

    private static int batch(SettingsReader in) {
        return in.number("rush.writer.batch", 1, 100_000);
    }

    private static int claimMillis(SettingsReader in) {
        return in.number("rush.writer.claim.ms", 10, 3_600_000);
    }

    private static int streamKeepMillis(SettingsReader in) {
        return in.number("rush.stream.keep.ms", 0, 86_400_000);
    }
}
