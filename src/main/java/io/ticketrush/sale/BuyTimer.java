package io.ticketrush.sale;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timer thread of a node's buy path: gives up on buyers who waited the whole lock wait for a
 * batch, and tries again buyers whose order was a moment from being settled. Its tasks are short
 * and never wait on the network; a cancelled one leaves the queue at once.
 */
public final class BuyTimer implements AutoCloseable {
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
        Thread thread = new Thread(runnable, "rush-buy-timer");
        thread.setDaemon(true);
        return thread;
    });

    public BuyTimer() {
        timer.setRemoveOnCancelPolicy(true);
    }

    ScheduledFuture<?> after(long nanos, Runnable task) {
        return timer.schedule(task, nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
