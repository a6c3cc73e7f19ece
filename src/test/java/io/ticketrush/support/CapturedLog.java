package io.ticketrush.support;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/** What one class logged (java.util.logging) while a test ran: to assert a failure is said once, not at every try. */
public final class CapturedLog extends Handler implements AutoCloseable {
    private final Logger logger; // held: the logging system keeps only weak references to loggers
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    private CapturedLog(Logger logger) {
        this.logger = logger;
    }

    /** Starts capturing what {@code type}'s logger (named after the class) logs. */
    public static CapturedLog of(Class<?> type) {
        CapturedLog log = new CapturedLog(Logger.getLogger(type.getName()));
        log.logger.addHandler(log);
        return log;
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    /** Records logged at {@code level}. */
    public long count(Level level) {
        return records.stream().filter(r -> r.getLevel().equals(level)).count();
    }

    /** Records whose message contains {@code text}. */
    public long count(String text) {
        return records.stream().filter(r -> String.valueOf(r.getMessage()).contains(text)).count();
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }

    @Override
    public String toString() {
        return records.stream().map(r -> r.getLevel() + " " + r.getMessage()).collect(Collectors.joining("\n"));
    }
}
