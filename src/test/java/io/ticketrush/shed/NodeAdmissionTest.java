package io.ticketrush.shed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.ticketrush.sale.Admission.Permit;
import io.ticketrush.settings.InvalidSettingsException;
import io.ticketrush.settings.ShedSettings;
import org.junit.jupiter.api.Test;

/** How a node's bound on buyers in flight admits, sheds and takes permits back (no Redis, no node). */
class NodeAdmissionTest {

    private static ShedSettings limit(int limit) {
        return ShedSettings.from(Map.of("rush.shed.limit", String.valueOf(limit))::get);
    }

    private static List<Permit> acquire(NodeAdmission admission, int n) {
        List<Permit> permits = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Optional<Permit> permit = admission.tryAcquire();
            assertTrue(permit.isPresent(), "permit " + (i + 1) + " of " + n + " under " + admission);
            permits.add(permit.get());
        }
        return permits;
    }

    @Test
    void a_bound_admits_that_many_and_sheds_the_rest_until_a_permit_comes_back() {
        NodeAdmission admission = new NodeAdmission(limit(3));
        List<Permit> permits = acquire(admission, 3);
        assertEquals(3, admission.inFlight());
        for (int i = 0; i < 5; i++) {
            assertTrue(admission.tryAcquire().isEmpty(), "buyer " + (4 + i) + " is shed");
        }
        assertEquals(5, admission.shed());
        permits.get(0).release();
        assertEquals(2, admission.inFlight());
        assertTrue(admission.tryAcquire().isPresent(), "the place given back is taken again");
        assertTrue(admission.tryAcquire().isEmpty());
        assertEquals(6, admission.shed());
    }

    @Test
    void a_permit_comes_back_once_however_often_it_is_given_back() {
        NodeAdmission admission = new NodeAdmission(limit(2));
        Permit twice = acquire(admission, 2).get(0);
        twice.release();
        twice.release();
        twice.release();
        assertEquals(1, admission.inFlight(), "one place back, not three");
        acquire(admission, 1);
        assertTrue(admission.tryAcquire().isEmpty(), "still a bound of 2");
    }

    @Test
    void no_bound_admits_everyone_and_still_counts_them() {
        NodeAdmission admission = new NodeAdmission(limit(0));
        List<Permit> permits = acquire(admission, 10_000);
        assertEquals(10_000, admission.inFlight());
        assertEquals(0, admission.limit(), "shown as 0: no bound");
        permits.forEach(Permit::release);
        assertEquals(0, admission.inFlight());
        assertEquals(0, admission.shed());
    }

    @Test
    void a_change_starts_a_new_bound_and_the_old_permits_go_back_to_the_old_one() {
        NodeAdmission admission = new NodeAdmission(limit(2));
        List<Permit> old = acquire(admission, 2);
        assertTrue(admission.tryAcquire().isEmpty());
        admission.change(limit(1));
        assertEquals(0, admission.inFlight(), "the new bound starts empty");
        Permit fresh = acquire(admission, 1).get(0);
        assertTrue(admission.tryAcquire().isEmpty(), "the new bound is 1");
        old.forEach(Permit::release);
        assertTrue(admission.tryAcquire().isEmpty(), "old permits free no place under the new bound");
        fresh.release();
        assertTrue(admission.tryAcquire().isPresent());
        assertEquals(3, admission.shed(), "the sheds are counted across the change");
    }

    @Test
    void a_negative_bound_is_refused_naming_the_setting() {
        InvalidSettingsException e = assertThrows(InvalidSettingsException.class, () -> limit(-1));
        assertTrue(e.getMessage().contains("rush.shed.limit"), e.getMessage());
    }
}
