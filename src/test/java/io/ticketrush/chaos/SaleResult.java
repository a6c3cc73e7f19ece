package io.ticketrush.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.function.Executable;

/**
 * What one chaos sale left behind, from the five places that must agree: the answers the
 * buyers got, Redis, the order database, stat.log and Nginx's error log; the invariants I1-I4,
 * I6 and I7 measured on it, and the checks every chaos sale must pass ({@link #checks()}).
 */
final class SaleResult {
    /**
     * The only answers a buyer in a chaos sale may get: a ticket or "sold out" (200, code 1 or
     * -1), or "try again" (503, code 0, {@code unavailable} or {@code busy}: a node that cannot
     * reach Redis or whose lock wait ran out, or Nginx finding no node that answers, which it
     * turns into the same JSON 503; its own 502 and 504 never reach a buyer). Anything else fails
     * the sale: a 500, a raw 502 or 504, a 4xx, another code (a sale not open, closed, an order
     * expired), a body that is not the JSON of the API, an I/O error between the buyer and Nginx
     * (Nginx is never the fault here).
     */
    static boolean expected(Buyers.Attempt attempt) {
        if (attempt.status() == 200) {
            return attempt.ticket() || attempt.soldOut();
        }
        return attempt.status() == 503 && attempt.code() != null && attempt.code() == 0
                && ("unavailable".equals(attempt.error()) || "busy".equals(attempt.error()));
    }

    /** A stat.log line's fields that matter here. */
    record LogLine(int port, int status, int result, String order, boolean existing) {
    }

    /**
     * An order hash in Redis that holds a ticket (pending or paid); {@code user} is "" for an
     * anonymous buyer; {@code node} the port of the node whose buy call made it, {@code batch} that
     * call's token (the order's {@code batch} field: one per call, unique to the node's run).
     */
    record RedisOrder(String id, String user, int node, long createdWallMs, String batch) {
    }

    /**
     * The fault on the buyers' clock (ms): injected at {@code startMs}, over at {@code endMs}
     * (selling must resume from then); {@code killMs} when a node was killed (-1: none), and
     * its port {@code killedPort} (0: none).
     */
    record Window(long startMs, long endMs, String note, boolean writerOnly, long killMs, int killedPort) {
    }

    /**
     * How long the sale may take to recover from the fault, and why that long: {@code recoveryMs}
     * from the fault's end to a ticket (or, for the writer, to the database holding every order),
     * {@code inFlightMs} from a kill to the answer of every request in flight at it (0: no kill).
     */
    record Limits(long recoveryMs, long inFlightMs, String why) {
    }

    final String scenario;
    final int total;
    final List<Buyers.Buyer> buyers;
    final Window fault;
    final Limits limits;
    final long sold;
    /** order id -> the order, every order hash in Redis that holds a ticket. */
    final Map<String, RedisOrder> redisOrders;
    /** order id -> user ("" for none), the rows of the orders table. */
    final Map<String, String> dbOrders;
    final List<LogLine> statLog;
    final int malformedLogLines;
    final boolean nodeAlive;
    /** tag of an attempt -> the node ports Nginx gave up on while waiting for their answer to it. */
    final Map<String, Set<Integer>> nginxRetries;
    /** Wall-clock ms of the buyers' clock zero, to place Redis's order times on it. */
    final long clockZeroWallMs;
    /** Wall-clock ms at which the last order was created (Redis TIME): the moment it sold out. */
    final long lastOrderWallMs;

    // the measures
    int requests;
    int fiveXx;
    /** "503 busy" -> how many: the kinds of 5xx and I/O errors the buyers saw. */
    final Map<String, Integer> failures = new TreeMap<>();
    int ioErrors;
    int gaveUp;
    long maxMillis;
    int oversold;
    int undersold;
    int lost;
    int duplicated;
    /** Orders nobody was told about: sold to a request answered 503, an error or "sold out" (I7). */
    int hidden;
    /** Named buyers first told of their order by a later request: an earlier one, answered 503 or an error, sold it (I7). */
    int revealedLate;
    /** Node port -> the buy calls (batch tokens) that made the orders revealed late; at most one a node. */
    final Map<Integer, Set<String>> lateCalls = new TreeMap<>();
    /** Late revelations whose failed request was not in flight during the fault: none may be. */
    int revealedLateOutsideFault;
    /** Answers no buyer may get ({@link #expected}), and how many of each kind. */
    final List<Buyers.Attempt> unexpected = new ArrayList<>();
    final Map<String, Integer> unexpectedKinds = new TreeMap<>();
    /** "sold out" answered before the last ticket was sold (I6). */
    int falseSoldOut;
    /** stat.log disagreeing with Redis or with the answers. */
    int statLogMismatches;
    /** Attempts Nginx sent to another node after one failed while they waited for its answer. */
    int retried;
    /** Of those, the ones Nginx gave up on at the killed node. */
    int retriedFromKilled;
    /** Attempts retried from the killed node that were answered "sold out", and with a new ticket. */
    int retriedSoldOut;
    int retriedNewTicket;
    /** Orders the killed node made whose answer another node gave (a retry found them). */
    int killedNodeOrdersTold;
    /** Orders the killed node made that nobody was told about. */
    int killedNodeOrdersHidden;
    /** Requests in flight when a node was killed, and the longest any of them then waited for its answer (ms). */
    int inFlightAtKill;
    long inFlightAnsweredMs;
    Long recoveryMs;
    /** When the order writer had every event in the database (ms on the buyers' clock). */
    final long writerCaughtUpMs;
    /** Redis sold as sampled on every server all through the sale (replicated Redis): how often, the most. */
    final long soldSamples;
    final long mostSoldSampled;
    final List<String> problems = new ArrayList<>();

    SaleResult(String scenario, int total, List<Buyers.Buyer> buyers, Window fault, Limits limits, long sold,
            Map<String, RedisOrder> redisOrders, Map<String, String> dbOrders, List<LogLine> statLog,
            int malformedLogLines, boolean nodeAlive, Map<String, Set<Integer>> nginxRetries, long clockZeroWallMs,
            long lastOrderWallMs, boolean everyAnswerLogged, long writerCaughtUpMs) {
        this(scenario, total, buyers, fault, limits, sold, redisOrders, dbOrders, statLog, malformedLogLines, nodeAlive,
                nginxRetries, clockZeroWallMs, lastOrderWallMs, everyAnswerLogged, writerCaughtUpMs, 0, 0);
    }

    /** As above, with {@code mostSoldSampled}: the most sold any Redis server said in {@code soldSamples} readings. */
    SaleResult(String scenario, int total, List<Buyers.Buyer> buyers, Window fault, Limits limits, long sold,
            Map<String, RedisOrder> redisOrders, Map<String, String> dbOrders, List<LogLine> statLog,
            int malformedLogLines, boolean nodeAlive, Map<String, Set<Integer>> nginxRetries, long clockZeroWallMs,
            long lastOrderWallMs, boolean everyAnswerLogged, long writerCaughtUpMs, long soldSamples,
            long mostSoldSampled) {
        this.scenario = scenario;
        this.total = total;
        this.buyers = buyers;
        this.fault = fault;
        this.limits = limits;
        this.sold = sold;
        this.redisOrders = redisOrders;
        this.dbOrders = dbOrders;
        this.statLog = statLog;
        this.malformedLogLines = malformedLogLines;
        this.nodeAlive = nodeAlive;
        this.nginxRetries = nginxRetries;
        this.clockZeroWallMs = clockZeroWallMs;
        this.lastOrderWallMs = lastOrderWallMs;
        this.writerCaughtUpMs = writerCaughtUpMs;
        this.soldSamples = soldSamples;
        this.mostSoldSampled = mostSoldSampled;
        measure(everyAnswerLogged);
    }

    private void measure(boolean everyAnswerLogged) {
        Map<String, Set<String>> usersOfOrder = new HashMap<>();
        Map<String, Set<String>> ordersOfUser = new HashMap<>();
        Map<String, Buyers.Buyer> byName = new HashMap<>();
        Set<String> toldUsers = new HashSet<>();
        long soldOutMs = lastOrderWallMs - clockZeroWallMs;
        for (Buyers.Buyer buyer : buyers) {
            byName.put(buyer.user(), buyer);
            if (buyer.gaveUp()) {
                gaveUp++;
            }
            for (Buyers.Attempt attempt : buyer.attempts()) {
                requests++;
                maxMillis = Math.max(maxMillis, attempt.millis());
                if (attempt.status() >= 500) {
                    fiveXx++;
                }
                if (attempt.status() == -1) {
                    ioErrors++;
                }
                if (attempt.status() >= 500 || attempt.status() == -1) {
                    failures.merge(kind(attempt), 1, Integer::sum);
                }
                if (!expected(attempt)) {
                    unexpected.add(attempt);
                    unexpectedKinds.merge(kind(attempt), 1, Integer::sum);
                }
                if (fault.killMs() >= 0 && attempt.startMs() <= fault.killMs() && attempt.endMs() > fault.killMs()) {
                    inFlightAtKill++;
                    inFlightAnsweredMs = Math.max(inFlightAnsweredMs, attempt.endMs() - fault.killMs());
                }
                if (attempt.ticket()) {
                    if (attempt.orderId() == null) {
                        problems.add("a ticket answer without an order id: " + attempt);
                        continue;
                    }
                    toldUsers.add(buyer.user());
                    usersOfOrder.computeIfAbsent(attempt.orderId(), id -> new HashSet<>()).add(buyer.user());
                    ordersOfUser.computeIfAbsent(buyer.user(), user -> new HashSet<>()).add(attempt.orderId());
                    if (attempt.startMs() >= fault.endMs()) {
                        long after = attempt.endMs() - fault.endMs();
                        recoveryMs = recoveryMs == null ? after : Math.min(recoveryMs, after);
                    }
                }
                // 10 ms: the two clocks are mapped onto each other to the millisecond
                if (attempt.soldOut() && attempt.endMs() < soldOutMs - 10) {
                    falseSoldOut++;
                    if (falseSoldOut <= 3) {
                        problems.add("sold out answered " + (soldOutMs - attempt.endMs())
                                + " ms before the last ticket was sold: " + attempt);
                    }
                }
            }
        }

        // I1: nothing promised beyond the stock, wherever it is counted
        long promised = Math.max(Math.max(Math.max(sold, mostSoldSampled), usersOfOrder.size()),
                Math.max(toldUsers.size(), Math.max(redisOrders.size(), dbOrders.size())));
        oversold = (int) Math.max(0, promised - total);

        // I2: with demand left and a node alive, everything sells
        undersold = nodeAlive ? (int) Math.max(0, total - sold) : 0;

        // I3: every ticket answered is an order, in Redis and in the database, of that user
        for (Map.Entry<String, Set<String>> entry : ordersOfUser.entrySet()) {
            String user = entry.getKey();
            String owner = byName.get(user).anonymous() ? "" : user;
            for (String id : entry.getValue()) {
                RedisOrder order = redisOrders.get(id);
                boolean inRedis = order != null && owner.equals(order.user());
                boolean inDb = owner.equals(dbOrders.get(id));
                if (!inRedis || !inDb) {
                    lost++;
                    if (lost <= 5) {
                        problems.add("lost: " + user + " was answered order " + id + " but Redis has "
                                + (order != null ? "it for \"" + order.user() + "\"" : "no such order")
                                + ", the database " + (dbOrders.containsKey(id) ? "has it for \"" + dbOrders.get(id)
                                        + "\"" : "has no such row"));
                    }
                    break;
                }
            }
        }

        // I4 and exactly-once persistence
        for (Map.Entry<String, Set<String>> entry : usersOfOrder.entrySet()) {
            if (entry.getValue().size() > 1) {
                duplicated++;
                problems.add("order " + entry.getKey() + " answered to several buyers: " + entry.getValue());
            }
        }
        for (Map.Entry<String, Set<String>> entry : ordersOfUser.entrySet()) {
            if (entry.getValue().size() > 1) {
                duplicated++;
                problems.add(entry.getKey() + " was answered several orders: " + entry.getValue());
            }
        }
        Map<String, Integer> redisOrdersPerUser = new HashMap<>();
        redisOrders.values().stream().filter(order -> !order.user().isEmpty())
                .forEach(order -> redisOrdersPerUser.merge(order.user(), 1, Integer::sum));
        redisOrdersPerUser.forEach((user, n) -> {
            if (n > 1) {
                duplicated++;
                problems.add(user + " holds " + n + " orders in Redis");
            }
        });
        Map<String, String> redisOwners = new HashMap<>();
        redisOrders.forEach((id, order) -> redisOwners.put(id, order.user()));
        duplicated += Math.abs(dbOrders.size() - redisOrders.size());
        if (!dbOrders.equals(redisOwners)) {
            Set<String> onlyDb = new HashSet<>(dbOrders.keySet());
            onlyDb.removeAll(redisOwners.keySet());
            Set<String> onlyRedis = new HashSet<>(redisOwners.keySet());
            onlyRedis.removeAll(dbOrders.keySet());
            problems.add("database and Redis disagree: " + dbOrders.size() + " rows, " + redisOrders.size()
                    + " orders; only in the database " + first(onlyDb) + ", only in Redis " + first(onlyRedis));
        }

        measureRetries(byName);
        measureHidden(byName, usersOfOrder);
        checkStatLog(everyAnswerLogged, ordersOfUser);
    }

    /** Nginx's retries, and what became of the requests the killed node had in hand. */
    private void measureRetries(Map<String, Buyers.Buyer> byName) {
        for (Map.Entry<String, Set<Integer>> entry : nginxRetries.entrySet()) {
            Buyers.Attempt attempt = attemptOf(byName, entry.getKey());
            if (attempt == null) {
                problems.add("Nginx's error log names a request no buyer sent: tag " + entry.getKey());
                continue;
            }
            retried++;
            if (fault.killedPort() != 0 && entry.getValue().contains(fault.killedPort())) {
                retriedFromKilled++;
                if (attempt.soldOut()) {
                    retriedSoldOut++;
                } else if (attempt.ticket() && !attempt.existing()) {
                    retriedNewTicket++;
                }
            }
        }
        if (fault.killedPort() == 0) {
            return;
        }
        Map<String, Buyers.Attempt> toldBy = new HashMap<>();
        for (Buyers.Buyer buyer : buyers) {
            for (Buyers.Attempt attempt : buyer.attempts()) {
                if (attempt.ticket() && attempt.orderId() != null) {
                    toldBy.putIfAbsent(attempt.orderId(), attempt);
                }
            }
        }
        for (RedisOrder order : redisOrders.values()) {
            if (order.node() != fault.killedPort()) {
                continue;
            }
            Buyers.Attempt told = toldBy.get(order.id());
            if (told == null) {
                killedNodeOrdersHidden++;
            } else if (told.node() != null && told.node() != fault.killedPort()) {
                killedNodeOrdersTold++;
            }
        }
    }

    /**
     * I7, a failure sells nothing: every order in Redis was answered to its buyer as a ticket,
     * and a named buyer learns of an order from the request that made it (or from Nginx's retry
     * of that request), never from a later request after an earlier one was answered 503.
     */
    private void measureHidden(Map<String, Buyers.Buyer> byName, Map<String, Set<String>> usersOfOrder) {
        for (RedisOrder order : redisOrders.values()) {
            if (usersOfOrder.containsKey(order.id())) {
                continue;
            }
            hidden++;
            if (hidden <= 5) {
                Buyers.Buyer owner = order.user().isEmpty() ? null : byName.get(order.user());
                problems.add("hidden: order " + order.id() + " (node " + order.node() + ", created at "
                        + (order.createdWallMs() - clockZeroWallMs) + " ms) was answered to nobody"
                        + (owner == null ? " (an anonymous buyer's)" : "; its buyer " + owner.user() + " was told "
                                + owner.attempts().stream().map(a -> a.status() + "/" + a.code()).toList()));
            }
        }
        for (Buyers.Buyer buyer : buyers) {
            Buyers.Attempt first = buyer.attempts().stream().filter(Buyers.Attempt::ticket).findFirst().orElse(null);
            if (first == null || !first.existing() || nginxRetries.containsKey(first.tag())) {
                continue;
            }
            revealedLate++;
            RedisOrder order = redisOrders.get(first.orderId());
            // an order not in Redis is lost (checked apart): a call of its own, on no node
            lateCalls.computeIfAbsent(order == null ? -1 : order.node(), node -> new TreeSet<>())
                    .add(order == null ? "no order " + first.orderId() + " in Redis" : order.batch());
            boolean behindFault = buyer.attempts().subList(0, first.n() - 1).stream().anyMatch(a -> a.status() != 200
                    && a.startMs() <= fault.endMs() && a.endMs() >= fault.startMs());
            if (!behindFault) {
                revealedLateOutsideFault++;
            }
            if (revealedLate <= 5) {
                Map<String, Integer> before = new TreeMap<>();
                buyer.attempts().subList(0, first.n() - 1).forEach(a -> before.merge(a.status()
                        + (a.error() == null ? "" : " " + a.error())
                        + (nginxRetries.containsKey(a.tag()) ? " after Nginx retried it" : ""), 1, Integer::sum));
                problems.add("sold behind a failure: " + buyer.user() + (buyer.anonymous() ? " (anonymous)" : "")
                        + " was first told of order " + first.orderId() + (order == null ? "" : " (node " + order.node()
                        + ", call " + order.batch() + ")") + " by an 'existing' answer to try " + first.n()
                        + ", which Nginx did not retry; the tries before it got " + before + " (at "
                        + buyer.attempts().subList(0, first.n()).stream().map(a -> a.startMs() + "-" + a.endMs())
                                .toList() + " ms; the fault " + fault.startMs() + "-" + fault.endMs() + " ms)");
            }
        }
    }

    /** "503 unavailable": an attempt's status and error, for counting kinds of answers. */
    private static String kind(Buyers.Attempt attempt) {
        String error = attempt.error() == null ? attempt.status() == 200 ? "code " + attempt.code() : ""
                : attempt.error();
        return attempt.status() + " " + (error.length() > 40 ? error.substring(0, 40) : error);
    }

    /** Nodes whose orders revealed late came from more than one of their buy calls: node -> those calls. */
    Map<Integer, Set<String>> lateCallsOverBound() {
        Map<Integer, Set<String>> over = new TreeMap<>();
        lateCalls.forEach((node, calls) -> {
            if (node < 0 || calls.size() > 1) {
                over.put(node, calls);
            }
        });
        return over;
    }

    /**
     * The checks every chaos sale must pass, each exact:
     * <ul>
     *   <li>I1-I4: nothing oversold, undersold (a node alive), lost or duplicated;</li>
     *   <li>Redis sold == orders in Redis == rows in the database: the stock hash's
     *       {@code ticket_sold_nums} (summed over a hot sale's buckets), the sale's order hashes in a
     *       state that holds a ticket (pending or paid) and the database's rows in those states,
     *       once the writer has every event; the same ids of the same buyers in both. A voided or
     *       expired order gave its ticket back (sold went down by one) and is in neither count; a
     *       ticket counted without its order, or an order without its count, is a mismatch;</li>
     *   <li>I7: no order answered to nobody ("hidden"); named buyers first told of their order by a
     *       later request ("revealed late", docs/replication.md#limits) only behind the fault, and
     *       on each node from one buy call at most (the one whose answer the fault lost);</li>
     *   <li>I6: no "sold out" before the last ticket was sold; stat.log agrees;</li>
     *   <li>every answer one a buyer may get ({@link #expected}), and no buyer gave up.</li>
     * </ul>
     */
    List<Executable> checks() {
        Map<String, String> redisOwners = new TreeMap<>();
        redisOrders.forEach((id, order) -> redisOwners.put(id, order.user()));
        return List.of(
                () -> assertEquals(0, oversold, () -> why("oversold")),
                () -> assertEquals(0, undersold, () -> why("undersold (sold " + sold + " of " + total + ")")),
                () -> assertEquals(0, lost, () -> why("lost")),
                () -> assertEquals(0, duplicated, () -> why("duplicated")),
                () -> assertEquals(List.of(sold, sold), List.of((long) redisOrders.size(), (long) dbOrders.size()),
                        () -> why("Redis sold " + sold + " == orders in Redis holding a ticket (pending or paid) == rows"
                                + " in the database in those states; [in Redis, in the database]")),
                () -> assertTrue(redisOwners.equals(new TreeMap<>(dbOrders)), () -> why("Redis and the database hold"
                        + " the same orders of the same buyers")),
                () -> assertEquals(0, hidden, () -> why("orders answered to nobody: sold to a request answered 503,"
                        + " an error or sold out (I7)")),
                () -> assertEquals(Map.of(), lateCallsOverBound(), () -> why("buyers revealed late on a node come"
                        + " from one buy call at most (docs/replication.md#limits); node -> calls: " + lateCalls)),
                () -> assertEquals(0, revealedLateOutsideFault, () -> why("named buyers revealed late whose failed"
                        + " request was not in flight during the fault")),
                () -> assertEquals(0, falseSoldOut, () -> why("sold out answered too early")),
                () -> assertEquals(0, statLogMismatches, () -> why("stat.log mismatches")),
                () -> assertEquals(List.of(), unexpected.stream().limit(5).toList(), () -> why(unexpected.size()
                        + " answers no buyer may get (only a ticket, sold out, or a JSON 503 unavailable/busy): "
                        + unexpectedKinds)),
                () -> assertEquals(0, gaveUp, () -> why("buyers who gave up (no ticket, no sold out at their last"
                        + " try)")));
    }

    /** A failed check's message: what, the problems noticed, the sale's details. */
    String why(String what) {
        return scenario + ": " + what + "; " + problems + "\n" + details();
    }

    private static Buyers.Attempt attemptOf(Map<String, Buyers.Buyer> byName, String tag) {
        int dot = tag.lastIndexOf('.');
        if (dot < 0) {
            return null;
        }
        Buyers.Buyer buyer = byName.get(tag.substring(0, dot));
        int n;
        try {
            n = Integer.parseInt(tag.substring(dot + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        return buyer == null || n < 1 || n > buyer.attempts().size() ? null : buyer.attempts().get(n - 1);
    }

    private void checkStatLog(boolean everyAnswerLogged, Map<String, Set<String>> ordersOfUser) {
        statLogMismatches = malformedLogLines;
        Set<String> newTickets = new HashSet<>();
        Set<String> logged = new HashSet<>();
        for (LogLine line : statLog) {
            if (line.order() == null) {
                continue;
            }
            logged.add(line.order());
            if (line.result() == 1 && !line.existing() && !newTickets.add(line.order())) {
                statLogMismatches++;
                problems.add("stat.log: order " + line.order() + " logged as a new ticket twice");
            }
            if (!redisOrders.containsKey(line.order())) {
                statLogMismatches++;
                if (statLogMismatches <= 3) {
                    problems.add("stat.log: order " + line.order() + " is not in Redis");
                }
            }
        }
        if (everyAnswerLogged) {
            ordersOfUser.values().stream().flatMap(Set::stream).filter(id -> !logged.contains(id)).forEach(id -> {
                statLogMismatches++;
                problems.add("stat.log: order " + id + " was answered but never logged");
            });
        }
    }

    private static String first(Set<String> ids) {
        return ids.stream().sorted().limit(5).toList() + (ids.size() > 5 ? " (" + ids.size() + " in all)" : "");
    }

    /** Ticket answers that were a retry finding its first order (by user, or by Nginx's request id). */
    long existingAnswers() {
        return buyers.stream().flatMap(buyer -> buyer.attempts().stream()).filter(a -> a.ticket() && a.existing())
                .count();
    }

    long ticketsAnswered() {
        return buyers.stream().filter(buyer -> buyer.last().ticket()).count();
    }

    /** The stock was gone by the time the fault was over: no ticket was left to sell after it. */
    boolean soldOutDuringFault() {
        return lastOrderWallMs - clockZeroWallMs <= fault.endMs();
    }

    /**
     * The recovery time measured against {@link Limits#recoveryMs}: the fault's end to the first
     * ticket sold to a buy started after it; for a fault the buyers cannot see (the order writer),
     * the restarted writer's fault end (or the last order, if the sale went on longer) to the
     * database holding every order. Null when nothing was left to recover (sold out during the fault).
     */
    Long recoveryTime() {
        if (fault.writerOnly()) {
            long from = Math.max(fault.endMs(), lastOrderWallMs - clockZeroWallMs);
            return Math.max(0, writerCaughtUpMs - from);
        }
        return recoveryMs;
    }

    String recovery() {
        Long time = recoveryTime();
        String limit = " (<=" + limits.recoveryMs() + ")";
        if (time == null) {
            return (soldOutDuringFault() ? "sold out" : "none") + limit;
        }
        return (fault.writerOnly() ? "db +" : "") + time + " ms" + limit;
    }

    /** One line of detail under the table. */
    String details() {
        long soldOut = buyers.stream().filter(buyer -> buyer.last().soldOut()).count();
        long anonymous = buyers.stream().filter(Buyers.Buyer::anonymous).count();
        List<String> parts = new ArrayList<>(List.of(
                scenario + ": " + fault.note() + " (injected at " + fault.startMs() + " ms, over at " + fault.endMs()
                        + " ms)",
                buyers.size() + " buyers (" + anonymous + " anonymous): " + ticketsAnswered() + " got a ticket, "
                        + soldOut + " told sold out, " + gaveUp + " gave up",
                existingAnswers() + " answers found an existing order",
                "I/O errors " + ioErrors + ", failures " + failures,
                "longest answer " + maxMillis + " ms",
                "hidden orders " + hidden + ", revealed late " + revealedLate + " (node -> calls " + lateCalls + ")",
                "answers no buyer may get " + unexpected.size() + " " + unexpectedKinds,
                "false sold-out " + falseSoldOut,
                "Nginx retried " + retried + " requests",
                "stat.log " + statLog.size() + " lines, " + statLogMismatches + " mismatches",
                "database complete at " + writerCaughtUpMs + " ms"));
        if (soldSamples > 0) {
            parts.add("Redis sold read " + soldSamples + " times on every server: at most " + mostSoldSampled);
        }
        if (fault.killMs() >= 0) {
            parts.add(inFlightAtKill + " requests in flight at the kill, all answered within " + inFlightAnsweredMs
                    + " ms of it (<=" + limits.inFlightMs() + "); " + retriedFromKilled
                    + " retried from the killed node (then answered: " + retriedSoldOut + " sold out, " + retriedNewTicket
                    + " a new ticket); orders of the"
                    + " killed node told by a retry " + killedNodeOrdersTold + ", told to nobody "
                    + killedNodeOrdersHidden);
        }
        return String.join("; ", parts);
    }

    /** Buyers revealed late, and the most calls they came from on one node (the bound is 1): "3/1". */
    String late() {
        return revealedLate + "/" + lateCalls.values().stream().mapToInt(Set::size).max().orElse(0);
    }

    Object[] row() {
        return new Object[] {scenario, requests, sold, redisOrders.size(), dbOrders.size(), oversold, undersold, lost,
            duplicated, hidden, late(), falseSoldOut, fiveXx, unexpected.size(), gaveUp, retried, recovery()};
    }
}
