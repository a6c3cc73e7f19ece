package io.ticketrush.support;

import java.util.List;

/** Clean-up of several parts: every step runs, whatever the ones before did. */
public final class Steps {
    private Steps() {
    }

    /** Runs each step; answers the first failure, with the later ones suppressed in it, or null. */
    public static RuntimeException runAll(List<Runnable> steps) {
        RuntimeException first = null;
        for (Runnable step : steps) {
            try {
                step.run();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        return first;
    }
}
