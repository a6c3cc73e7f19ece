package io.ticketrush.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many buyers at once: {@code clients} threads, released together by a latch, send
 * {@code requests} requests in all and keep every answer. Bounded in count and in time.
 */
public final class BuyerCrowd {
    private BuyerCrowd() {
    }

    /** Sends {@code requests} GETs to {@code uri} from {@code clients} concurrent clients; returns every answer. */
    public static List<HttpCall.Answer> rush(URI uri, int requests, int clients, Duration limit) {
        HttpCall.Answer[] answers = new HttpCall.Answer[requests];
        AtomicInteger next = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        HttpClient client = HttpCall.newClient();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            for (int i = 0; i < clients; i++) {
                pool.execute(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    for (int n = next.getAndIncrement(); n < requests; n = next.getAndIncrement()) {
                        answers[n] = HttpCall.send(client, "GET", uri);
                    }
                });
            }
            start.countDown();
            pool.shutdown();
            if (!pool.awaitTermination(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(requests + " requests to " + uri + " did not finish within " + limit
                        + " (" + Math.min(next.get(), requests) + " started)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while buying", e);
        } finally {
            pool.shutdownNow();
        }
        return Arrays.asList(answers);
    }
}
