package io.ticketrush.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one chaos sale left behind, from the four places that must agree: the answers the
 * buyers got, Redis, the order database and stat.log; and the invariants I1-I4 measured on it.
 */
final class SaleResult {
    /** A stat.log line's fields that matter here. */
    record LogLine(int port, int status, int result, String order, boolean existing) {
    }

    /** When the fault was injected and when it ended, in the buyers' clock (ms). */
    record Window(long startMs, long endMs, String note, boolean writerOnly) {
    }

    final String scenario;
    final int total;
    final List<Buyers.Buyer> buyers;
    final Window fault;
    final long sold;
    /** order id -> user, every order hash in Redis that holds a ticket (pending or paid). */
    final Map<String, String> redisOrders;
    /** order id -> user, the rows of the orders table. */
    final Map<String, String> dbOrders;
    final List<LogLine> statLog;
    final int malformedLogLines;
    final boolean nodeAlive;
    /** Buyers gave no user id: Redis and the database know their orders by id only. */
    final boolean anonymous;
    /** Wall-clock ms of the buyers' clock zero, to place Redis's order times on it. */
    final long clockZeroWallMs;
    /** Wall-clock ms at which the last order was created (Redis TIME): the moment it sold out. */
    final long lastOrderWallMs;

    // the measures
    int requests;
    int fiveXx;
    /** "503 busy" -> how many: the kinds of 5xx and I/O errors the buyers saw. */
    final Map<String, Integer> failures = new java.util.TreeMap<>();
    int ioErrors;
    int gaveUp;
    long maxMillis;
    int oversold;
    int undersold;
    int lost;
    int duplicated;
    /** Orders whose user was never told about them (allowed only for a buyer who gave up). */
    int orphans;
    int orphansOfGaveUp;
    /** "sold out" answered before the last ticket was sold (I6). */
    int falseSoldOut;
    /** stat.log disagreeing with Redis or with the answers. */
    int statLogMismatches;
    Long recoveryMs;
    /** When the order writer had every event in the database (ms on the buyers' clock). */
    long writerCaughtUpMs;
    final List<String> problems = new ArrayList<>();

    SaleResult(String scenario, int total, List<Buyers.Buyer> buyers, Window fault, long sold,
            Map<String, String> redisOrders, Map<String, String> dbOrders, List<LogLine> statLog,
            int malformedLogLines, boolean nodeAlive, long clockZeroWallMs, long lastOrderWallMs,
            boolean everyAnswerLogged, boolean anonymous) {
        this.anonymous = anonymous;
        this.scenario = scenario;
        this.total = total;
        this.buyers = buyers;
        this.fault = fault;
        this.sold = sold;
        this.redisOrders = redisOrders;
        this.dbOrders = dbOrders;
        this.statLog = statLog;
        this.malformedLogLines = malformedLogLines;
        this.nodeAlive = nodeAlive;
        this.clockZeroWallMs = clockZeroWallMs;
        this.lastOrderWallMs = lastOrderWallMs;
        measure(everyAnswerLogged);
    }

    private void measure(boolean everyAnswerLogged) {
        Map<String, Set<String>> usersOfOrder = new HashMap<>();
        Map<String, Set<String>> ordersOfUser = new HashMap<>();
        Set<String> toldUsers = new HashSet<>();
        Set<String> gaveUpUsers = new HashSet<>();
        long soldOutMs = lastOrderWallMs - clockZeroWallMs;
        for (Buyers.Buyer buyer : buyers) {
            if (buyer.gaveUp()) {
                gaveUp++;
                gaveUpUsers.add(buyer.user());
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
                if (attempt.ticket()) {
                    if (attempt.orderId() == null) {
                        problems.add("a ticket answer without an order id: " + attempt);
                        continue;
                    }
                    toldUsers.add(buyer.user());
                    usersOfOrder.computeIfAbsent(attempt.orderId(), id -> new HashSet<>()).add(buyer.user());
                    ordersOfUser.computeIfAbsent(buyer.user(), user -> new HashSet<>()).add(attempt.orderId());
                    if (fault != null && attempt.startMs() >= fault.endMs()) {
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
        long promised = Math.max(Math.max(sold, usersOfOrder.size()), Math.max(toldUsers.size(),
                Math.max(redisOrders.size(), dbOrders.size())));
        oversold = (int) Math.max(0, promised - total);
        if (sold != redisOrders.size()) {
            problems.add("Redis ticket_sold_nums " + sold + " != order hashes " + redisOrders.size());
        }

        // I2: with demand left and a node alive, everything sells
        undersold = nodeAlive ? (int) Math.max(0, total - sold) : 0;

        // I3: every ticket answered is an order, in Redis and in the database, of that user
        for (Map.Entry<String, Set<String>> entry : ordersOfUser.entrySet()) {
            String user = entry.getKey();
            String owner = anonymous ? "" : user;
            for (String id : entry.getValue()) {
                boolean inRedis = owner.equals(redisOrders.get(id));
                boolean inDb = owner.equals(dbOrders.get(id));
                if (!inRedis || !inDb) {
                    lost++;
                    if (lost <= 5) {
                        problems.add("lost: " + user + " was answered order " + id + " but Redis has "
                                + (redisOrders.containsKey(id) ? "it for " + redisOrders.get(id) : "no such order")
                                + ", the database " + (dbOrders.containsKey(id) ? "has it for " + dbOrders.get(id)
                                        : "has no such row"));
                    }
                    break;
                }
            }
        }

        // I4 and exactly-once persistence
        for (Map.Entry<String, Set<String>> entry : usersOfOrder.entrySet()) {
            if (entry.getValue().size() > 1) {
                duplicated++;
                problems.add("order " + entry.getKey() + " answered to several users: " + entry.getValue());
            }
        }
        for (Map.Entry<String, Set<String>> entry : ordersOfUser.entrySet()) {
            if (entry.getValue().size() > 1) {
                duplicated++;
                problems.add(entry.getKey() + " was answered several orders: " + entry.getValue());
            }
        }
        Map<String, Integer> redisOrdersPerUser = new HashMap<>();
        redisOrders.values().stream().filter(user -> !anonymous)
                .forEach(user -> redisOrdersPerUser.merge(user, 1, Integer::sum));
        redisOrdersPerUser.forEach((user, n) -> {
            if (n > 1) {
                duplicated++;
                problems.add(user + " holds " + n + " orders in Redis");
            }
        });
        duplicated += Math.abs(dbOrders.size() - redisOrders.size());
        if (!dbOrders.equals(redisOrders)) {
            Set<String> onlyDb = new HashSet<>(dbOrders.keySet());
            onlyDb.removeAll(redisOrders.keySet());
            Set<String> onlyRedis = new HashSet<>(redisOrders.keySet());
            onlyRedis.removeAll(dbOrders.keySet());
            problems.add("database and Redis disagree: " + dbOrders.size() + " rows, " + redisOrders.size()
                    + " orders; only in the database " + first(onlyDb) + ", only in Redis " + first(onlyRedis));
        }

        // a sold ticket nobody was told about: only a buyer who gave up may hold one (an
        // anonymous order cannot be traced to its buyer, so there none is allowed)
        for (Map.Entry<String, String> order : redisOrders.entrySet()) {
            if (!usersOfOrder.containsKey(order.getKey())) {
                orphans++;
                if (!anonymous && gaveUpUsers.contains(order.getValue())) {
                    orphansOfGaveUp++;
                }
            }
        }

        checkStatLog(everyAnswerLogged, ordersOfUser);
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

    /**
     * Fault end to the first ticket sold after it; for a fault the buyers cannot see (the order
     * writer), the restarted writer's fault end (or the last order, if the sale went on longer)
     * to the database holding every order.
     */
    String recovery() {
        if (fault != null && fault.writerOnly()) {
            long from = Math.max(fault.endMs(), lastOrderWallMs - clockZeroWallMs);
            return "db +" + Math.max(0, writerCaughtUpMs - from) + " ms";
        }
        return recoveryMs == null ? "-" : recoveryMs + " ms";
    }

    /** One line of detail under the table. */
    String details() {
        long soldOut = buyers.stream().filter(buyer -> buyer.last().soldOut()).count();
        return String.join("; ",
                scenario + ": " + (fault == null ? "no fault"
                        : fault.note() + " at " + fault.startMs() + " ms, ended at " + fault.endMs() + " ms"),
                ticketsAnswered() + " buyers got a ticket, " + soldOut + " told sold out, " + gaveUp + " gave up",
                existingAnswers() + " answers found an existing order",
                "I/O errors " + ioErrors + ", failures " + failures,
                "longest answer " + maxMillis + " ms",
                "orphan orders " + orphans + " (of buyers who gave up: " + orphansOfGaveUp + ")",
                "false sold-out " + falseSoldOut,
                "stat.log " + statLog.size() + " lines, " + statLogMismatches + " mismatches",
                "database complete at " + writerCaughtUpMs + " ms");
    }

    Object[] row() {
        return new Object[] {scenario, requests, sold, dbOrders.size(), oversold, undersold, lost, duplicated, fiveXx,
            recovery()};
    }
}
