package io.ticketrush.statlog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stat.log file: every line appended is written, also while and after the node stops. */
class StatLogTest {
    @TempDir
    Path tmp;

    /**
     * A request still being answered when the node stops (Jetty's graceful stop ran out) logs
     * after the web app was destroyed: before, its line sat in the queue of a writer that had
     * stopped, and stat.log missed a request that had made an order (JettyDistributionIT).
     */
    @Test
    void a_line_appended_after_close_is_written() throws IOException {
        Path file = tmp.resolve("stat.log");
        StatLog log = new StatLog(file);
        log.append("before");
        log.close();
        log.append("after");
        log.append("stop");
        assertEquals(List.of("before", "after", "stop"), Files.readAllLines(file),
                "each line once, in order; a line reading \"stop\" is a line like any other");
    }
}
