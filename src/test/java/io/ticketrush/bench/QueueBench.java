package io.ticketrush.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ticketrush.auth.TokenIssuer;
import io.ticketrush.auth.TokenKeys;

/**
 * The waiting room's benchmark, {@code ./rush bench queue} (ab-scripts/queue-bench.sh runs it; issue 19):
 * BUYERS signed buyers of a queued sale, through Nginx, from THREADS keep-alive connections. In order:
 * a round of {@code /noop} (warm-up), every buyer joins before the opening (solving the puzzle
 * first when the sale has one), one poll each while the sale is still closed (the poll's req/s), a round of
 * {@code /noop} (the reference: min(BUYERS, 20,000) requests), then
 * then each buyer polls when {@code retryAfterMs} says (before the opening too), buys with its pass when admitted,
 * and pays (PAY_PERCENT of the buyers who bought, through the demo provider), until every buyer has a
 * final state: bought, sold out, or (SKIP_PERCENT of the buyers, on purpose) admitted and never
 * buying, so that their passes lapse to the places behind. CANCEL_PERCENT of the buyers who bought
 * and do not pay cancel their order ({@code POST /order/cancel}), so that its ticket goes to the
 * waitlist. A buyer told {@code waiting} polls on as the page does; one told sold out stays on the
 * waitlist as the page does (polling with {@code waitlist=1} when told), and buys if a ticket comes
 * back to its place (and, having waited for it, pays). The orders left unpaid expire after the sale's
 * pay time and their tickets go to the waitlist in its order too. The run ends once every buyer is at
 * rest: bought, its turn given up, or sold out with nothing left to come back (the room's {@code last}:
 * every ticket sold and paid), or when FLOW_SECONDS are over (the buyers not at rest then are
 * counted, and fail the script's checks). Then samples of what must be refused: a buy
 * without a pass, a buy with another buyer's pass (403 {@code not_admitted}), and a winner's buy sent
 * again (its first order). Prints the figures; writes {@code OUT/summary} (name value lines, for the
 * script's checks against Redis) and {@code OUT/joins} (user, join order, joined before the opening).
 *
 * <pre>java ... QueueBench BASE_URL KEYS_FILE SALE BUYERS THREADS PAY_PERCENT PREFIX OUT POW SKIP_PERCENT CANCEL_PERCENT
 *     FLOW_SECONDS</pre>
 */
public final class QueueBench {
    private static final Pattern CODE = Pattern.compile("\"code\":(-?\\d+)");

    private final String base;
    private final String sale;
    private final int buyers;
    private final int threads;
    private final int payPercent;
    private final String prefix;
    private final Path out;
    private final int pow;
    private final int skipPercent;
    private final int cancelPercent;
    /** How long the flow from the opening may run before the bench gives up on the buyers not at rest. */
    private final long flowMillis;
    /** Buyers not at rest when the flow ended (its time bound ran out): 0 in a run that settled. */
    private final AtomicInteger unsettled = new AtomicInteger();
    private final java.io.BufferedReader control = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
    private final String[] tokens;
    private final String[] tickets;
    private final String[] passes;
    private final String[] orders;
    /** Buyers who were on the waitlist when a ticket came back to them: they pay for the ticket they waited for. */
    private final boolean[] cameBack;
    /** Buyers whose order the demo provider answered paid: their order stands for good. */
    private final boolean[] paid;
    private final byte[] finals; // 0 none yet, 1 bought, 2 sold out (on the waitlist), 3 skipped its turn, 4 bought and cancelled
    /** When each buyer last came to its state (ns): for a buyer on the waitlist, the first sold out since its last change. */
    private final long[] finalAt;
    /** Buyers not at rest and not on the waitlist: waiting, or admitted and buying. */
    private final AtomicInteger active = new AtomicInteger();
    /** The last change that may move the line (a buy, a cancel, a turn given up, a buyer admitted from the waitlist). */
    private final AtomicLong lastChangeNanos = new AtomicLong();
    private final long[] joinedBeforeOpening;
    /** When buyer i's next poll is due (nanoTime) as its last answer before the flow told it; 0: not told. */
    private final long[] toldAt;
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger joinOrder = new AtomicInteger();
    private final int[] joinIndex;
    private volatile long opensAtNanos = Long.MAX_VALUE;
    private final AtomicLong lastTicketNanos = new AtomicLong();
    private final AtomicLong lastFinalNanos = new AtomicLong();

    private QueueBench(String[] a) throws IOException {
        base = a[0];
        sale = a[2];
        buyers = Integer.parseInt(a[3]);
        threads = Integer.parseInt(a[4]);
        payPercent = Integer.parseInt(a[5]);
        prefix = a[6];
        out = Path.of(a[7]);
        pow = Integer.parseInt(a[8]);
        skipPercent = Integer.parseInt(a[9]);
        cancelPercent = Integer.parseInt(a[10]);
        flowMillis = Long.parseLong(a[11]) * 1000;
        finalAt = new long[Integer.parseInt(a[3])];
        tokens = new String[buyers];
        tickets = new String[buyers];
        passes = new String[buyers];
        orders = new String[buyers];
        finals = new byte[buyers];
        cameBack = new boolean[buyers];
        paid = new boolean[buyers];
        joinedBeforeOpening = new long[buyers];
        toldAt = new long[buyers];
        joinIndex = new int[buyers];
        long t0 = System.nanoTime();
        TokenIssuer issuer = new TokenIssuer(TokenKeys.of(Path.of(a[1]), null));
        long now = System.currentTimeMillis();
        for (int i = 0; i < buyers; i++) {
            tokens[i] = issuer.issue(user(i), 7200, now).value();
        }
        System.out.printf("queue bench: %,d tokens signed in %.1f s (the client's cost, not timed)%n", buyers,
                (System.nanoTime() - t0) / 1e9);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 12) {
            throw new IllegalArgumentException("QueueBench BASE_URL KEYS_FILE SALE BUYERS THREADS PAY_PERCENT PREFIX OUT POW"
                    + " SKIP_PERCENT CANCEL_PERCENT FLOW_SECONDS");
        }
        new QueueBench(args).run();
    }

    private String user(int i) {
        return prefix + i;
    }

    private void run() throws Exception {
        Map<String, String> summary = new HashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            int noops = Math.min(buyers, 20_000);
            round(pool, noops, i -> call("noop-warm-up", "GET", "/noop", null, null)); // warms the client and the path
            mark("joins-start");
            // joins, each buyer once (a puzzle solved first when the sale asks for one)
            double joinRate = round(pool, buyers, this::join);
            summary.put("joined", String.valueOf(joinOrder.get()));
            mark("joins-done");
            // one poll each while the sale is closed: answered from the ticket, no Redis call
            AtomicInteger closedPolls = new AtomicInteger();
            double pollRate = round(pool, buyers, i -> {
                if (System.nanoTime() < opensAtNanos - 1_000_000_000L) {
                    Answer a = poll(i, "poll-closed");
                    if (a.status == 200 && a.num("retryAfterMs") != null) {
                        toldAt[i] = System.nanoTime() + a.num("retryAfterMs") * 1_000_000L;
                    }
                    closedPolls.incrementAndGet();
                }
            });
            summary.put("closed_polls", String.valueOf(closedPolls.get()));
            pollRate = pollRate * closedPolls.get() / buyers; // the polls skipped near the opening took no time
            mark("polls-done");
            // the reference, measured after the joins and polls (as warm as they are), before the opening
            double noopRate = round(pool, noops, i -> call("noop", "GET", "/noop", null, null));
            mark("noop-done");
            summary.put("noops", String.valueOf(noops));
            System.out.printf("queue bench: /noop %,.0f req/s, join %,.0f req/s (%.2f of /noop), poll before the opening"
                    + " %,.0f req/s (%.2f of /noop; %,d polls), %d connections%n", noopRate, joinRate,
                    joinRate / noopRate, pollRate, pollRate / noopRate, closedPolls.get(), threads);
            summary.put("noop_rps", String.format("%.0f", noopRate));
            summary.put("join_rps", String.format("%.0f", joinRate));
            summary.put("poll_rps", String.format("%.0f", pollRate));
            long wait = opensAtNanos - System.nanoTime();
            if (wait > 0) {
                System.out.printf("queue bench: %.1f s to the opening%n", wait / 1e9);
            }
            flow(pool);
            samples(summary);
        } finally {
            pool.shutdownNow();
        }
        int bought = 0;
        int soldOut = 0;
        int skipped = 0;
        int cancelled = 0;
        int none = 0;
        long lastFinal = 0;
        for (int i = 0; i < buyers; i++) {
            switch (finals[i]) {
                case 1 -> bought++;
                case 2 -> soldOut++;
                case 3 -> skipped++;
                case 4 -> cancelled++;
                default -> none++;
            }
            lastFinal = Math.max(lastFinal, finalAt[i]);
        }
        lastFinalNanos.set(lastFinal);
        summary.put("bought", String.valueOf(bought + cancelled)); // every buyer whose buy made an order
        summary.put("kept", String.valueOf(bought));
        summary.put("cancelled", String.valueOf(cancelled));
        summary.put("skipped", String.valueOf(skipped));
        summary.put("sold_out", String.valueOf(soldOut));
        summary.put("no_final", String.valueOf(none));
        summary.put("unsettled", String.valueOf(unsettled.get()));
        summary.put("distinct_orders", String.valueOf(java.util.Arrays.stream(orders).filter(o -> o != null)
                .distinct().count()));
        counts.forEach((k, v) -> summary.put("count_" + k, String.valueOf(v.get())));
        double soldOutMs = (lastTicketNanos.get() - opensAtNanos) / 1e6;
        double finalMs = (lastFinalNanos.get() - opensAtNanos) / 1e6;
        summary.put("ms_to_sold_out", String.format("%.0f", soldOutMs));
        summary.put("ms_to_final", String.format("%.0f", finalMs));
        System.out.printf("queue bench: opening -> last ticket bought %,.0f ms; -> every buyer knows their final state"
                + " %,.0f ms; bought %,d (%,d of them cancelled), sold out %,d, admitted and never bought %,d (on"
                + " purpose), no final state %,d%n", soldOutMs, finalMs, bought + cancelled, cancelled, soldOut,
                skipped, none);
        System.out.println("queue bench: per endpoint (requests, p50, p99, max ms; answers not 200 by status):");
        latency.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            Histogram h = e.getValue();
            System.out.printf("  %-14s %,9d  p50 %7.2f  p99 %7.2f  max %8.2f  %s%n", e.getKey(), h.count(),
                    h.percentile(50), h.percentile(99), h.max(), h.others());
            summary.put("requests_" + e.getKey(), String.valueOf(h.count()));
        });
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("summary")))) {
            summary.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> w.println(e.getKey() + " " + e.getValue()));
        }
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out.resolve("joins")))) {
            for (int i = 0; i < buyers; i++) {
                w.println(user(i) + " " + joinIndex[i] + " " + joinedBeforeOpening[i]);
            }
        }
    }

    /** Says where the run is and waits for the script (it reads Redis's counters) to answer a line. */
    private void mark(String where) throws IOException {
        System.out.println("queue bench: MARK " + where);
        System.out.flush();
        if (control.readLine() == null) {
            throw new IllegalStateException("the script went away at " + where);
        }
    }

    /** Runs {@code work} for 0..n-1 on the pool; requests a second of the whole round. */
    private double round(ExecutorService pool, int n, Work work) throws Exception {
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < n;) {
                    work.run(i);
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        return n * 1e9 / (System.nanoTime() - start);
    }

    private interface Work {
        void run(int i) throws Exception;
    }

    private void join(int i) throws Exception {
        String proof = null;
        if (pow > 0) {
            Answer c = call("challenge", "GET", "/queue/challenge?sale=" + sale, tokens[i], null);
            if (!c.body.contains("\"required\":true")) {
                throw new IllegalStateException("no puzzle for a sale of pow " + pow + ": " + c.body);
            }
            proof = solve(c.body);
        }
        Answer a = call("join", "POST", "/queue/join?sale=" + sale, tokens[i], proof == null ? null : Map.of("X-Queue-Proof", proof));
        // 503: busy, nothing known; the page tries again (joining again answers the same place)
        for (int tries = 1; a.status == 503 && tries < 20; tries++) {
            count("retry_join_503");
            Thread.sleep(200);
            a = call("join", "POST", "/queue/join?sale=" + sale, tokens[i], proof == null ? null : Map.of("X-Queue-Proof", proof));
        }
        if (a.status != 200 || a.str("ticket") == null) {
            throw new IllegalStateException(user(i) + ": join answered " + a.status + " " + a.body);
        }
        joinIndex[i] = joinOrder.incrementAndGet();
        tickets[i] = a.str("ticket");
        Long opensIn = a.num("opensInMs");
        if (opensIn != null) {
            joinedBeforeOpening[i] = 1;
            if (opensAtNanos == Long.MAX_VALUE) {
                opensAtNanos = System.nanoTime() + opensIn * 1_000_000L;
            }
        }
    }

    /** The proof for the challenge in {@code body}: the number whose SHA-256(salt + number) is the challenge. */
    private static String solve(String body) throws Exception {
        Answer c = new Answer(200, body);
        String salt = c.str("salt");
        String challenge = c.str("challenge");
        long max = c.num("maxnumber");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (long n = 0; n <= max; n++) {
            byte[] h = sha.digest((salt + n).getBytes(StandardCharsets.UTF_8));
            if (java.util.HexFormat.of().formatHex(h).equals(challenge)) {
                String json = "{\"algorithm\":\"SHA-256\",\"challenge\":\"" + challenge + "\",\"number\":" + n
                        + ",\"salt\":\"" + salt + "\",\"signature\":\"" + c.str("signature") + "\"}";
                return Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
            }
        }
        throw new IllegalStateException("unsolvable challenge " + body);
    }

    private Answer poll(int i, String endpoint) throws IOException {
        // after the opening as the page: on the waitlist once sold out (waitlist=1)
        String waitlist = endpoint.equals("poll") ? "&waitlist=1" : "";
        Answer a = call(endpoint, "GET", "/queue?sale=" + sale + waitlist, tokens[i], Map.of("X-Queue-Ticket", tickets[i]));
        String t = a.str("ticket");
        if (t != null) {
            tickets[i] = t;
        }
        return a;
    }

    /**
     * From the opening, every buyer polls when told, buys when admitted (or, a share, never does),
     * until each is at rest: bought, cancelled, its turn given up, or sold out and told so again
     * after the last change that could move the line (a ticket come back admits the next place, whose
     * buyer must still be listening: the page polls on, on the waitlist).
     */
    private void flow(ExecutorService pool) throws Exception {
        DelayQueue<Due> due = new DelayQueue<>();
        long now = System.nanoTime();
        lastChangeNanos.set(now);
        // as the page: each buyer polls again when its last answer told it (before the opening too: the
        // room tells each place when its draw comes up); one never told, in the opening's first 2 s
        for (int i = 0; i < buyers; i++) {
            due.add(new Due(i, toldAt[i] != 0 ? toldAt[i] : opensAtNanos + (long) (Math.random() * 2e9)));
        }
        active.set(buyers);
        AtomicInteger left = new AtomicInteger(buyers);
        long until = Math.max(now, opensAtNanos) + flowMillis * 1_000_000L;
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(pool.submit(() -> {
                while (left.get() > 0 && System.nanoTime() < until) {
                    Due d = due.poll(100, TimeUnit.MILLISECONDS);
                    if (d == null) {
                        continue;
                    }
                    Long retry = step(d.buyer);
                    if (retry == null) {
                        left.decrementAndGet();
                    } else {
                        due.add(new Due(d.buyer, System.nanoTime() + retry * 1_000_000L));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        unsettled.set(left.get());
        if (left.get() > 0) {
            System.out.printf("queue bench: the flow's bound of %d s ran out with %,d buyers not at rest%n",
                    flowMillis / 1000, left.get());
        }
    }

    /** Whether buyer {@code i} is one who, admitted, never buys (its pass lapses to the places behind). */
    private boolean skips(int i) {
        return Math.floorMod(i * 31 + 17, 100) < skipPercent;
    }

    /** Whether buyer {@code i}, having bought and not paying, cancels its order (its ticket goes to the waitlist). */
    private boolean cancels(int i) {
        return i % 100 >= payPercent && Math.floorMod(i * 13 + 5, 100) < cancelPercent;
    }

    /** Buyer {@code i} comes to rest in {@code state} (see {@link #finals}): a change that may move the line. */
    private void rest(int i, byte state) {
        finals[i] = state;
        finalAt[i] = System.nanoTime();
        lastChangeNanos.accumulateAndGet(finalAt[i], Math::max);
        active.decrementAndGet();
    }

    /** Buyer {@code i} stops without a final state (counted as none: the checks fail). */
    private Long lost(int i) {
        finalAt[i] = System.nanoTime();
        active.decrementAndGet();
        return null;
    }

    /** Buyer {@code i}, on the waitlist, is moved on by a ticket come back: active again, a change. */
    private void fromWaitlist(int i, String what) {
        count(what);
        cameBack[i] = true;
        finals[i] = 0;
        active.incrementAndGet();
        lastChangeNanos.accumulateAndGet(System.nanoTime(), Math::max);
    }

    /**
     * One poll (and buy, pay, cancel); null once the buyer is at rest for good, else when to poll
     * again (ms). A buyer on the waitlist (told sold out) keeps polling when told; it is at rest for
     * good once nobody else is active and it heard sold out again at least an admission step (1 s)
     * after the last change, or once the room says nothing can change its answer ({@code last}).
     */
    private Long step(int i) throws IOException {
        Answer a = poll(i, "poll");
        String state = a.str("state");
        if (a.status != 200 || state == null) {
            count((a.status == 503 ? "retry_poll_" : "poll_") + a.status);
            return 1000L;
        }
        boolean waitlisted = finals[i] == 2;
        switch (state) {
            case "admitted" -> {
                if (waitlisted) {
                    fromWaitlist(i, "admitted_from_waitlist"); // a ticket came back to this place
                }
                String pass = a.str("pass");
                boolean again = false;
                if (pass == null && !a.body.contains("\"passUsed\":true")) {
                    // spent by a buy not settled yet: bought, or answered 503 and its pass given back
                    // once voided (docs/queue.md, "A buy answered 503"): the page polls on
                    count("retry_confirming");
                    return Math.max(50L, a.num("retryAfterMs"));
                }
                if (pass == null) {
                    // told used, its buy never seen to succeed (answered 503, its call settled after
                    // all): sent again with its pass, the buy answers the order it bought. None: the
                    // pass was lost for good, and the buyer has no final state (a failed check)
                    if (passes[i] == null || orders[i] != null) {
                        count("used_without_its_pass");
                        return lost(i);
                    }
                    count("retry_used_buy_again");
                    pass = passes[i];
                    again = true;
                } else {
                    passes[i] = pass;
                }
                if (skips(i)) {
                    // never buys: gives the turn back (POST /queue/leave), so it lapses at the next
                    // admission step (counted lapsed) and goes on, rather than after the pass's time
                    Answer l = call("leave", "POST", "/queue/leave?sale=" + sale, tokens[i], null);
                    for (int tries = 1; l.status == 503 && tries < 20; tries++) {
                        count("retry_leave_503");
                        sleep(200);
                        l = call("leave", "POST", "/queue/leave?sale=" + sale, tokens[i], null);
                    }
                    count(l.status == 200 ? "left" : "leave_" + l.status);
                    rest(i, (byte) 3);
                    return null;
                }
                Answer b = call("buy", "POST", "/buy/ticket?sale=" + sale, tokens[i], Map.of("X-Queue-Pass", pass));
                if (b.status == 200 && "1".equals(b.code())) {
                    orders[i] = b.str("orderId");
                    lastTicketNanos.accumulateAndGet(System.nanoTime(), Math::max);
                    // a buyer a ticket came back to, from the waitlist, pays for it: it waited for it
                    // (and so the line comes to rest once every order is paid or expired and sold again)
                    if (i % 100 < payPercent || cameBack[i]) {
                        pay(i);
                    } else if (cancels(i)) {
                        cancel(i);
                        rest(i, (byte) 4);
                        return null;
                    }
                    rest(i, (byte) 1);
                    return null;
                }
                if (again && b.status != 503) {
                    count("pass_lost_buy_" + b.status + "_" + b.code()); // used, and no order of its own
                    return lost(i);
                }
                // 503: nothing sold, the pass is given back (docs/queue.md): poll and buy again
                count((b.status == 503 ? "retry_buy_" : "buy_") + b.status + "_" + b.code());
                return 1000L;
            }
            case "sold_out", "waitlisted" -> {
                long now = System.nanoTime();
                if (!waitlisted) { // knows: sold out (only a ticket that comes back may move it on)
                    finals[i] = 2;
                    finalAt[i] = now;
                    active.decrementAndGet();
                }
                if (a.body.contains("\"last\":true")) {
                    return null; // every ticket sold and no order unpaid: nothing can come back
                }
                // unpaid orders may still expire (within the sale's pay time) or be cancelled, and
                // their tickets come to the waitlist in its order: the page polls on, as told
                return Math.max(50L, a.num("retryAfterMs"));
            }
            case "lapsed" -> {
                count("lapsed");
                rest(i, (byte) 3);
                return null;
            }
            default -> {
                if (waitlisted) { // a ticket came back: not sold out any more, its turn may lapse to this place
                    fromWaitlist(i, "waiting_again_from_waitlist");
                }
                return Math.max(50L, a.num("retryAfterMs"));
            }
        }
    }

    private void cancel(int i) throws IOException {
        Answer c = call("cancel", "POST", "/order/cancel?id=" + orders[i], tokens[i], null);
        for (int tries = 1; c.status == 503 && tries < 20; tries++) {
            count("retry_cancel_503");
            sleep(200);
            c = call("cancel", "POST", "/order/cancel?id=" + orders[i], tokens[i], null);
        }
        count(c.status == 200 ? "cancelled" : "cancel_" + c.status);
    }

    private void pay(int i) throws IOException {
        Answer p = call("pay", "POST", "/pay?order=" + orders[i], tokens[i], null);
        for (int tries = 1; p.status == 503 && tries < 20; tries++) { // busy: the buyer presses Pay again
            count("retry_pay_503");
            sleep(200);
            p = call("pay", "POST", "/pay?order=" + orders[i], tokens[i], null);
        }
        String payment = p.str("paymentId");
        if (p.status != 202 && p.status != 200 || payment == null) {
            count("pay_" + p.status);
            return;
        }
        Answer d = call("demo-pay", "POST", "/demo-pay/pay?payment=" + payment, null, null);
        for (int tries = 1; d.status == 503 && tries < 20; tries++) {
            count("retry_demo_pay_503");
            sleep(200);
            d = call("demo-pay", "POST", "/demo-pay/pay?payment=" + payment, null, null);
        }
        if (d.body.contains("\"state\":\"paid\"")) {
            paid[i] = true;
            count("paid");
        } else {
            count("demo_pay_" + d.status);
        }
    }

    /** What must be refused, on a sample: no ticket without a pass, no pass twice, a buy again its first answer. */
    private void samples(Map<String, String> summary) throws IOException {
        List<Integer> winners = new ArrayList<>();
        List<Integer> losers = new ArrayList<>();
        for (int i = 0; i < buyers; i++) {
            if (finals[i] == 1 && paid[i]) { // an order that stands (one left unpaid may have expired)
                winners.add(i);
            } else if (finals[i] != 4) {
                losers.add(i);
            }
        }
        int n = Math.min(20, Math.min(winners.size(), losers.size()));
        int noPass = 0;
        int otherPass = 0;
        int again = 0;
        for (int k = 0; k < n; k++) {
            int loser = losers.get(k * losers.size() / n);
            int winner = winners.get(k * winners.size() / n);
            Answer a = sample(tokens[loser], null);
            if (a.status == 403 && a.body.contains("not_admitted")) {
                noPass++;
            }
            Answer b = sample(tokens[loser], Map.of("X-Queue-Pass", passes[winner]));
            if (b.status == 403 && b.body.contains("not_admitted")) {
                otherPass++;
            }
            Answer c = sample(tokens[winner], Map.of("X-Queue-Pass", passes[winner]));
            if (c.status == 200 && orders[winner].equals(c.str("orderId"))) {
                again++;
            }
        }
        summary.put("samples", String.valueOf(n));
        summary.put("sample_no_pass_refused", String.valueOf(noPass));
        summary.put("sample_other_pass_refused", String.valueOf(otherPass));
        summary.put("sample_again_same_order", String.valueOf(again));
    }

    /** A sampled buy; a 503 (nothing done: busy, or Redis did not answer in time) sent again, as the page does. */
    private Answer sample(String token, Map<String, String> headers) throws IOException {
        Answer answer = call("sample", "POST", "/buy/ticket?sale=" + sale, token, headers);
        for (int tries = 1; answer.status == 503 && tries < 20; tries++) {
            count("retry_sample_503");
            sleep(200);
            answer = call("sample", "POST", "/buy/ticket?sale=" + sale, token, headers);
        }
        return answer;
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        }
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new AtomicInteger()).incrementAndGet();
    }

    private Answer call(String endpoint, String method, String path, String token, Map<String, String> headers)
            throws IOException {
        long t0 = System.nanoTime();
        HttpURLConnection http = (HttpURLConnection) URI.create(base + path).toURL().openConnection();
        http.setRequestMethod(method);
        if (token != null) {
            http.setRequestProperty("Authorization", "Bearer " + token);
        }
        if (headers != null) {
            headers.forEach(http::setRequestProperty);
        }
        if (method.equals("POST")) {
            // an empty body, buffered (Content-Length: 0), not in streaming mode: for a streaming POST
            // the JDK probes each kept-alive connection before it reuses it (HttpClient.available: a
            // timed read), which was a fifth of this client's CPU per join, on the cores the cluster uses
            http.setDoOutput(true);
            try (OutputStream body = http.getOutputStream()) {
                body.flush();
            }
        }
        int status = http.getResponseCode();
        String body;
        try (InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream()) {
            body = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        latency.computeIfAbsent(endpoint, k -> new Histogram()).add(System.nanoTime() - t0, status);
        return new Answer(status, body);
    }

    /** The patterns of the answers' fields, by field: compiled once (compiling them per answer was the client's CPU). */
    private static final Map<String, Pattern> FIELDS = new ConcurrentHashMap<>();

    private record Answer(int status, String body) {
        String str(String name) {
            Matcher m = FIELDS.computeIfAbsent("s:" + name, k -> Pattern.compile("\"" + name + "\":\"([^\"]*)\""))
                    .matcher(body);
            return m.find() ? m.group(1) : null;
        }

        Long num(String name) {
            Matcher m = FIELDS.computeIfAbsent("n:" + name, k -> Pattern.compile("\"" + name + "\":(-?\\d+)"))
                    .matcher(body);
            return m.find() ? Long.valueOf(m.group(1)) : null;
        }

        String code() {
            Matcher m = CODE.matcher(body);
            return m.find() ? m.group(1) : null;
        }
    }

    private record Due(int buyer, long at) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(at - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(at, ((Due) o).at);
        }
    }

    /** Latencies in 10 µs buckets up to 10 s (the last bucket holds the slower). */
    private static final class Histogram {
        private final AtomicLongArray buckets = new AtomicLongArray(1_000_001);
        private final AtomicLong count = new AtomicLong();
        private final AtomicLong maxNanos = new AtomicLong();
        private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();

        void add(long nanos, int status) {
            buckets.incrementAndGet((int) Math.min(1_000_000, nanos / 10_000));
            count.incrementAndGet();
            maxNanos.accumulateAndGet(nanos, Math::max);
            if (status != 200) {
                statuses.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
            }
        }

        long count() {
            return count.get();
        }

        double max() {
            return maxNanos.get() / 1e6;
        }

        String others() {
            return statuses.isEmpty() ? "" : statuses.toString();
        }

        double percentile(double p) {
            long rank = (long) Math.ceil(count.get() * p / 100);
            long seen = 0;
            for (int b = 0; b < buckets.length(); b++) {
                seen += buckets.get(b);
                if (seen >= rank && seen > 0) {
                    return (b + 1) * 0.01;
                }
            }
            return 0;
        }
    }
}
