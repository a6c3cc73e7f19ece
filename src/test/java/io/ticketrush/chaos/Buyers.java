package io.ticketrush.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

/**
 * A crowd of distinct buyers, half of them named ({@code GET /buy/ticket?user=ID}) and half
 * anonymous (no user id: only the request id Nginx adds tells their retries apart), sending
 * through Nginx from a fixed number of client threads, and retrying a 502/503/504 or an I/O error
 * after a short pause, as a real buyer would, until told "ticket" (code 1) or "sold out" (code
 * -1), or until the bounded number of tries is used up. Every attempt is recorded. Of those
 * failures only a JSON 503 is an answer a chaos sale may give ({@link SaleResult#expected}); the
 * others are retried all the same, and fail the sale. Any other answer ends the buyer's tries: a
 * buyer who gave up fails the sale too.
 *
 * <p>Each request carries {@code tag=BUYER.TRY}, a parameter the node ignores, so that a line of
 * Nginx's error log (which quotes the request line) names the attempt it is about.
 */
final class Buyers {
    /** One request and its answer; times in ms since the crowd started; {@code user} names the buyer. */
    record Attempt(String user, int n, long startMs, long endMs, int status, Integer code, String orderId,
            boolean existing, Integer node, String error) {
        long millis() {
            return endMs - startMs;
        }

        boolean ticket() {
            return code != null && code == 1;
        }

        boolean soldOut() {
            return code != null && code == -1;
        }

        boolean retryable() {
            return status == -1 || status == 502 || status == 503 || status == 504;
        }

        /** The {@code tag} this attempt's request carried. */
        String tag() {
            return tag(user, n);
        }

        static String tag(String user, int n) {
            return user + "." + n;
        }
    }

    /** Everything one buyer was told, in order; an anonymous buyer sent no user id. */
    record Buyer(String user, boolean anonymous, List<Attempt> attempts) {
        Attempt last() {
            return attempts.get(attempts.size() - 1);
        }

        boolean gaveUp() {
            return !last().ticket() && !last().soldOut();
        }
    }

    private final URI buy;
    private final int users;
    private final String prefix;
    /** Buyer i's name (a named buyer's user id). */
    private final IntFunction<String> names;
    private final int clients;
    private final int maxTries;
    private final HttpClient http;
    private final long startNanos;
    /** Arrivals of new buyers at most one per this many ns while > 0 (retries are never paced). */
    private volatile long arrivalGapNanos;
    /** While true no new buyer arrives (the ones buying go on): see {@link #hold()}. */
    private volatile boolean held;
    private final AtomicLong nextArrival = new AtomicLong();
    /** node port -> when (ms) it last answered a buy. */
    private final Map<Integer, Long> lastAnswer = new ConcurrentHashMap<>();
    /** When a buy was last answered 503 (ms on {@link #now()}), or -1. */
    private final AtomicLong last503 = new AtomicLong(-1);
    /** Every order id answered as a ticket so far. */
    private final Set<String> answeredOrders = ConcurrentHashMap.newKeySet();
    private final List<Buyer> direct = Collections.synchronizedList(new ArrayList<>());

    /** {@code prefix} names each buyer in the records, the anonymous ones too. */
    Buyers(URI buy, int users, String prefix, int clients, int maxTries) {
        this(buy, users, prefix, clients, maxTries, System.nanoTime());
    }

    /**
     * As above, on a clock started at {@code startNanos} ({@link System#nanoTime()}): crowds made
     * with the same one have one clock, so their attempts can be set side by side.
     */
    Buyers(URI buy, int users, String prefix, int clients, int maxTries, long startNanos) {
        this(buy, users, prefix, i -> prefix + i, clients, maxTries, startNanos);
    }

    /**
     * As above, buyer i named {@code names.get(i)} (each starting with {@code prefix}; a named
     * buyer's user id, so a test can choose, say, the bucket of a hot sale each is bound to).
     */
    Buyers(URI buy, List<String> names, String prefix, int clients, int maxTries, long startNanos) {
        this(buy, names.size(), prefix, List.copyOf(names)::get, clients, maxTries, startNanos);
        if (names.stream().anyMatch(name -> !name.startsWith(prefix) || name.contains("."))) {
            throw new IllegalArgumentException("every name starts with " + prefix + " and holds no '.'");
        }
    }

    private Buyers(URI buy, int users, String prefix, IntFunction<String> names, int clients, int maxTries,
            long startNanos) {
        this.startNanos = startNanos;
        this.buy = buy;
        this.users = users;
        this.prefix = prefix;
        this.names = names;
        this.clients = clients;
        this.maxTries = maxTries;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** Every second buyer gives no user id. */
    static boolean anonymous(int buyer) {
        return buyer % 2 == 1;
    }

    /** Whether {@code orderId} has been answered to a buyer as a ticket (so far). */
    boolean answered(String orderId) {
        return answeredOrders.contains(orderId);
    }

    /** ms since this crowd was made: the clock of every {@link Attempt}. */
    long now() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** When {@code node} last answered a buy (ms on {@link #now()}), or -1. */
    long lastAnswerFrom(int node) {
        return lastAnswer.getOrDefault(node, -1L);
    }

    /** When a buy was last answered 503 (ms on {@link #now()}), or -1. */
    long last503() {
        return last503.get();
    }

    /** Lets new buyers arrive at most {@code perSecond} a second (0: as fast as the clients go). */
    void pace(int perSecond) {
        nextArrival.set(System.nanoTime());
        arrivalGapNanos = perSecond <= 0 ? 0 : TimeUnit.SECONDS.toNanos(1) / perSecond;
    }

    /**
     * Lets no new buyer arrive until {@link #release()}; the buyers already buying go on (at most
     * one a client), retries included. A fault scheduled at a share of the stock sold holds the
     * crowd while the cluster heals, so that the sale cannot run ahead of the next fault however
     * long the healing takes on a slow machine.
     */
    void hold() {
        held = true;
    }

    /** New buyers arrive again, paced as before from now on. */
    void release() {
        nextArrival.set(System.nanoTime());
        held = false;
    }

    /** Runs every buyer to the end; fails if that takes longer than {@code limit}. */
    List<Buyer> run(Duration limit) {
        Buyer[] done = new Buyer[users];
        AtomicInteger next = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            for (int c = 0; c < clients; c++) {
                pool.execute(() -> {
                    try {
                        start.await();
                        for (int i = next.getAndIncrement(); i < users; i = next.getAndIncrement()) {
                            arrive();
                            done[i] = buyAs(buy, names.apply(i), anonymous(i));
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            start.countDown();
            pool.shutdown();
            if (!pool.awaitTermination(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(users + " buyers did not finish within " + limit + " ("
                        + Math.min(next.get(), users) + " started)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while buying", e);
        } finally {
            pool.shutdownNow();
        }
        List<Buyer> all = new ArrayList<>(users);
        Collections.addAll(all, done);
        return all;
    }

    private void arrive() throws InterruptedException {
        while (held) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        long gap = arrivalGapNanos;
        if (gap <= 0) {
            return;
        }
        long slot = nextArrival.getAndAdd(gap);
        long wait = slot - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    /**
     * One more named buyer, {@code prefix + name}, buying straight from a node ({@code nodeBuy},
     * not through Nginx) on the calling thread; recorded with the crowd (see {@link #direct()}).
     */
    Buyer buyDirectly(URI nodeBuy, String name) throws InterruptedException {
        Buyer buyer = buyAs(nodeBuy, prefix + name, false);
        direct.add(buyer);
        return buyer;
    }

    /** The buyers of {@link #buyDirectly}, in order. */
    List<Buyer> direct() {
        return List.copyOf(direct);
    }

    private Buyer buyAs(URI base, String user, boolean anonymous) throws InterruptedException {
        List<Attempt> attempts = new ArrayList<>(2);
        // a base that names its sale (?sale=ID) takes the buyer's parameters after it
        String join = base.getRawQuery() == null ? "?" : "&";
        for (int n = 1; n <= maxTries; n++) {
            String tag = "tag=" + Attempt.tag(user, n);
            URI uri = URI.create(base + join + (anonymous ? tag : "user=" + user + "&" + tag));
            Attempt attempt = send(user, n, uri);
            attempts.add(attempt);
            if (!attempt.retryable()) {
                break;
            }
            Thread.sleep(ThreadLocalRandom.current().nextLong(50, 101));
        }
        return new Buyer(user, anonymous, List.copyOf(attempts));
    }

    private Attempt send(String user, int n, URI uri) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15)).GET().build();
        long started = now();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            long ended = now();
            Attempt attempt = parse(user, n, started, ended, response.statusCode(), response.body());
            if (attempt.node() != null) {
                lastAnswer.merge(attempt.node(), ended, Math::max);
            }
            if (attempt.status() == 503) {
                last503.accumulateAndGet(ended, Math::max);
            }
            if (attempt.ticket() && attempt.orderId() != null) {
                answeredOrders.add(attempt.orderId());
            }
            return attempt;
        } catch (IOException e) {
            return new Attempt(user, n, started, now(), -1, null, null, false, null, e.toString());
        }
    }

    private static Attempt parse(String user, int n, long started, long ended, int status, String body) {
        try {
            JsonElement element = JsonParser.parseString(body);
            if (!element.isJsonObject()) {
                return new Attempt(user, n, started, ended, status, null, null, false, null, "not JSON: " + body);
            }
            JsonObject json = element.getAsJsonObject();
            Integer code = json.has("code") && json.get("code").isJsonPrimitive() ? json.get("code").getAsInt() : null;
            JsonObject data = json.has("data") && json.get("data").isJsonObject() ? json.getAsJsonObject("data")
                    : null;
            String orderId = data != null && data.has("orderId") && !data.get("orderId").isJsonNull()
                    ? data.get("orderId").getAsString() : null;
            boolean existing = data != null && data.has("existing") && data.get("existing").getAsBoolean();
            Integer node = data != null && data.has("node") ? data.get("node").getAsInt() : null;
            String error = status == 200 ? null
                    : json.has("error") && json.get("error").isJsonPrimitive() ? json.get("error").getAsString() : body;
            return new Attempt(user, n, started, ended, status, code, orderId, existing, node, error);
        } catch (JsonParseException | IllegalStateException | UnsupportedOperationException e) {
            return new Attempt(user, n, started, ended, status, null, null, false, null, "not JSON: " + body);
        }
    }
}
