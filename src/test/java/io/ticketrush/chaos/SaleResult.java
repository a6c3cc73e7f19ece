package io.ticketrush.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one chaos sale left behind, from the five places that must agree: the answers the
 * buyers got, Redis, the order database, stat.log and Nginx's error log; and the invariants
 * I1-I4, I6 and I7 measured on it.
 */
final class SaleResult {
    /** A stat.log line's fields that matter here. */
    record LogLine(int port, int status, int result, String order, boolean existing) {
    }

    /** An order hash in Redis that holds a ticket (pending or paid); {@code user} is "" for an anonymous buyer. */
    record RedisOrder(String id, String user, int node, long createdWallMs) {
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
                    String kind = attempt.error() == null ? "" : attempt.error();
                    failures.merge(attempt.status() + " " + (kind.length() > 40 ? kind.substring(0, 40) : kind), 1,
                            Integer::sum);
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
        if (sold != redisOrders.size()) {
            problems.add("Redis ticket_sold_nums " + sold + " != order hashes " + redisOrders.size());
        }

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
            if (revealedLate <= 5) {
                Map<String, Integer> before = new TreeMap<>();
                buyer.attempts().subList(0, first.n() - 1).forEach(a -> before.merge(a.status()
                        + (a.error() == null ? "" : " " + a.error())
                        + (nginxRetries.containsKey(a.tag()) ? " after Nginx retried it" : ""), 1, Integer::sum));
                problems.add("sold behind a failure: " + buyer.user() + (buyer.anonymous() ? " (anonymous)" : "")
                        + " was first told of order " + first.orderId() + " by an 'existing' answer to try " + first.n()
                        + ", which Nginx did not retry; the tries before it got " + before);
            }
        }
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

    /** Tickets sold to requests not answered with them: hidden orders and late revelations (I7). */
    int soldBehindFailure() {
        return hidden + revealedLate;
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
                "hidden orders " + hidden + ", revealed late " + revealedLate,
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

    Object[] row() {
        return new Object[] {scenario, requests, sold, dbOrders.size(), oversold, undersold, lost, duplicated,
            soldBehindFailure(), falseSoldOut, fiveXx, retried, recovery()};
    }
}
