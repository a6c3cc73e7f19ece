package io.ticketrush.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

/** {@code queue=auto}: half the measured capacity to sell of the nodes up, from their last reports. */
class AdmissionRateTest {
    private static final long NOW = 1_800_000_000_000L;

    /** A node's report written {@code ageMs} before NOW, measuring {@code capacity} tickets a second. */
    private static NodeReport report(int port, double capacity, long ageMs, boolean stopped) {
        return new NodeReport(port, 1, 10, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NOW - 60_000, NOW - ageMs, stopped,
                capacity);
    }

    @Test
    void the_rate_is_half_the_capacity_the_nodes_up_have_measured_added_up() {
        List<NodeReport> reports = List.of(report(3001, 400, 100, false), report(3002, 601, 500, false),
                report(3003, 0, 100, false), // up, nothing sold in time yet: counts nothing
                report(3004, 5000, 2001, false), // silent past 2 s: down, its capacity is gone with it
                report(3005, 7000, 100, true)); // stopped cleanly
        assertEquals(OptionalInt.of(500), AdmissionRate.derive(reports, NOW), "floor((400 + 601) / 2)");
    }

    @Test
    void a_node_that_reported_2_s_ago_is_still_up() {
        assertEquals(OptionalInt.of(1250), AdmissionRate.derive(List.of(report(3001, 2500, 2000, false)), NOW));
    }

    @Test
    void nothing_measured_derives_nothing_and_a_tiny_capacity_admits_one() {
        assertEquals(OptionalInt.empty(), AdmissionRate.derive(List.of(), NOW));
        assertEquals(OptionalInt.empty(), AdmissionRate.derive(List.of(report(3001, 0, 100, false),
                report(3002, 900, 5000, false)), NOW));
        assertEquals(OptionalInt.of(1), AdmissionRate.derive(List.of(report(3001, 1, 100, false)), NOW),
                "half a ticket a second is still a room that admits");
    }

    @Test
    void the_rate_is_at_most_what_queue_takes() {
        assertEquals(OptionalInt.of(AdmissionRate.MAX), AdmissionRate.derive(List.of(report(3001, 3_000_000, 0, false)),
                NOW));
    }
}
