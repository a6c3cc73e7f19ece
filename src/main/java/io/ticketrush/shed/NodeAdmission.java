package io.ticketrush.shed;

import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

import io.ticketrush.sale.Admission;
import io.ticketrush.settings.ShedSettings;

/**
 * A node's {@link Admission}: how many buyers may wait for Redis at once, over all its sales, as
 * {@code rush.shed.limit} says; an operator may change it while the node runs
 * ({@code POST /admin/shed?limit=N}). A buyer admitted under the bound before a change gives its
 * permit back to that bound. It counts the buyers it shed, for {@code /metrics}.
 */
public final class NodeAdmission implements Admission {
    private final LongAdder shed = new LongAdder();
    private volatile Current current;

    private record Current(ShedSettings settings, FixedAdmissionLimit limit) {
    }

    public NodeAdmission(ShedSettings settings) {
        change(settings);
    }

    @Override
    public Optional<Permit> tryAcquire() {
        Permit permit = current.limit().acquire();
        if (permit == null) {
            shed.increment();
            return Optional.empty();
        }
        return Optional.of(permit);
    }

    /** From now on, buyers are admitted as {@code settings} say (a new bound, starting empty). */
    public void change(ShedSettings settings) {
        current = new Current(settings, new FixedAdmissionLimit(settings.off() ? FixedAdmissionLimit.NONE
                : settings.limit()));
    }

    /** The settings in force. */
    public ShedSettings settings() {
        return current.settings();
    }

    /** How many buyers the bound in force admits at once; 0: no bound. */
    public int limit() {
        return current.settings().limit();
    }

    /** How many buyers the bound in force admitted and have not been answered. */
    public int inFlight() {
        return current.limit().inFlight();
    }

    /** Buyers shed since the node started. */
    public long shed() {
        return shed.sum();
    }

    @Override
    public String toString() {
        return current.limit().toString();
    }
}
