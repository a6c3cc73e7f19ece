package io.ticketrush.support;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * Prints the servers' logs when a test (or its set-up) fails, and stays quiet when it passes,
 * in the style of javalin-testtools. Register it as a non-static {@code @RegisterExtension}
 * field and {@link #watch} each server as it starts. The logs are read at the moment of the
 * failure, before {@code @AfterEach} stops the servers and removes their folders.
 */
public final class PrintLogsOnFailure implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    private static final int TAIL_LINES = 200;

    private final Map<String, Supplier<String>> logs = new LinkedHashMap<>();

    /** Prints {@code log} under {@code name} if the test fails. */
    public synchronized void watch(String name, Supplier<String> log) {
        logs.put(name, log);
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        print(context);
        throw failure;
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable failure)
            throws Throwable {
        print(context);
        throw failure;
    }

    @Override
    public void handleAfterEachMethodExecutionException(ExtensionContext context, Throwable failure)
            throws Throwable {
        print(context);
        throw failure;
    }

    private synchronized void print(ExtensionContext context) {
        StringBuilder out = new StringBuilder();
        logs.forEach((name, log) -> {
            out.append("\n===== ").append(name).append(" (failed: ").append(context.getDisplayName())
                    .append(") =====\n");
            try {
                out.append(tail(log.get()));
            } catch (RuntimeException e) {
                out.append("(cannot read the log: ").append(e).append(")\n");
            }
        });
        System.err.print(out);
        System.err.flush();
    }

    private static String tail(String text) {
        String[] lines = text.split("\n", -1);
        if (lines.length <= TAIL_LINES) {
            return text.endsWith("\n") ? text : text + "\n";
        }
        StringBuilder out = new StringBuilder("(last " + TAIL_LINES + " of " + lines.length + " lines)\n");
        for (int i = lines.length - TAIL_LINES; i < lines.length; i++) {
            out.append(lines[i]).append('\n');
        }
        return out.toString();
    }
}
