package io.ticketrush.duty;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A duty done again and again in the background (the stock sync, the expiry sweep, publishing
 * stats, the order writer's rounds). Its failure is logged once when it starts and once when it
 * ends, not at every try, so a Redis outage does not flood the log. One per duty: one failing
 * must not hide another's recovery.
 */
public final class Duty {
    /** One round of the duty. */
    @FunctionalInterface
    public interface Round {
        void run() throws Exception;
    }

    private final String name;
    private final Logger log;
    private boolean failing; // guarded by this

    public Duty(String name, Logger log) {
        this.name = name;
        this.log = log;
    }

    /** Runs one round; true if it worked. Never throws an Exception (an Error goes through). */
    public synchronized boolean run(Round round) {
        try {
            round.run();
        } catch (Exception e) {
            if (!failing) {
                failing = true;
                log.log(Level.WARNING, name + " failed (will keep retrying): " + e.getMessage(), e);
            }
            return false;
        }
        if (failing) {
            failing = false;
            log.info(name + " works again");
        }
        return true;
    }

    /** {@link #run} as a Runnable, for a scheduler. */
    public Runnable asRunnable(Round round) {
        return () -> run(round);
    }
}
