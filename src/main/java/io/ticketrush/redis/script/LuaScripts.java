package io.ticketrush.redis.script;

import java.util.List;
import java.util.Map;

import io.ticketrush.order.OrderBook;
import io.ticketrush.order.Payment;
import io.ticketrush.redis.keys.Keys;

/**
 * Every Lua script ticket-rush runs in Redis, each a file of {@code src/main/resources/lua/} whose
 * header names its KEYS, ARGV and answers, and each reply's decoding into a value, in one place
 * (see {@link Script}). The names and numbers the scripts share with Java are in
 * {@code lua/lib/names.lua}; LuaNamesTest holds them against {@link Keys}, the order states and
 * the replies here.
 *
 * <p>Every time a script needs is Redis's own clock ({@code TIME}), so pay and expire compare
 * deadlines on one clock whatever the nodes' clocks say.
 */
public final class LuaScripts {
    /** What start_payment's numbers mean ({@code START} in names.lua). */
    static final Map<Integer, Payment.Start> STARTS = Map.of(1, Payment.Start.STARTED, 2, Payment.Start.RESUMED,
            3, Payment.Start.ALREADY_PAID, -1, Payment.Start.UNKNOWN, -2, Payment.Start.EXPIRED,
            -3, Payment.Start.NOT_YOURS, -4, Payment.Start.VOIDED, -5, Payment.Start.CANCELLED);
    /** What confirm_payment's numbers mean ({@code CONFIRM} in names.lua). */
    static final Map<Integer, Payment.Confirmation> CONFIRMATIONS = Map.of(1, Payment.Confirmation.PAID,
            2, Payment.Confirmation.ALREADY_PAID, 3, Payment.Confirmation.REFUND_DUE, -1, Payment.Confirmation.UNKNOWN,
            -2, Payment.Confirmation.MISMATCH);

    /** What cancel_order's numbers mean ({@code CANCEL} in names.lua). */
    static final Map<Integer, OrderBook.Cancel> CANCELS = Map.of(1, OrderBook.Cancel.CANCELLED,
            -1, OrderBook.Cancel.UNKNOWN, -2, OrderBook.Cancel.NOT_YOURS, -3, OrderBook.Cancel.ALREADY_PAID,
            -4, OrderBook.Cancel.NOT_PENDING);

    /** What start_payment answered: its outcome, and the payment's id and amount (null and 0 unless started). */
    public record PaymentStart(Payment.Start outcome, String paymentId, long amount) {
    }

    /** The buy, for one or more buyers in turn (buy.lua). */
    public static final Script<BuyReply> BUY = Script.load("buy", BuyReply::decode);
    /** Voids a buy call whose answer never reached its node (void.lua): the tickets that came back. */
    public static final Script<Long> VOID = Script.load("void", LuaScripts::number);
    /** Settles a buy call whose answer reached its node (settle.lua): whether it did. */
    public static final Script<Boolean> SETTLE = Script.load("settle", LuaScripts::one);
    /** The order each of some buyers already has (existing.lua), in order. */
    public static final Script<List<BuyReply.Told>> EXISTING = Script.load("existing", BuyReply::decodeEach);
    /** Starts paying a pending order before its deadline, or answers its started payment (start_payment.lua). */
    public static final Script<PaymentStart> START_PAYMENT = Script.load("start_payment", LuaScripts::paymentStart);
    /** The provider's word that a payment succeeded (confirm_payment.lua). */
    public static final Script<Payment.Confirmed> CONFIRM_PAYMENT = Script.load("confirm_payment",
            LuaScripts::confirmation);
    /** Expires a batch of overdue orders (expire.lua): how many. */
    public static final Script<Long> EXPIRE = Script.load("expire", LuaScripts::number);
    /** The next order id base (next_id_base.lua). */
    public static final Script<Long> NEXT_ID_BASE = Script.load("next_id_base", LuaScripts::number);
    /** An id base for a sale without one (set_id_base.lua): whether it was set. */
    public static final Script<Boolean> SET_ID_BASE = Script.load("set_id_base", LuaScripts::one);
    /** Creates a sale unless it exists (create_sale.lua): whether it did. */
    public static final Script<Boolean> CREATE_SALE = Script.load("create_sale", LuaScripts::one);
    /** Lists a sale and moves the sales' version on (sales_changed.lua): the new version. */
    public static final Script<Long> SALES_CHANGED = Script.load("sales_changed", LuaScripts::number);
    /** Closes a sale now (close_sale.lua): when it closes, -1 for no such sale. */
    public static final Script<Long> CLOSE_SALE = Script.load("close_sale", LuaScripts::number);
    /** A fresh start of a sale (reset_sale.lua): the orders dropped. */
    public static final Script<Long> RESET_SALE = Script.load("reset_sale", LuaScripts::number);
    /** Tickets out of a hot sale's bucket, for another (take_stock.lua): how many. */
    public static final Script<Long> TAKE_STOCK = Script.load("take_stock", LuaScripts::number);
    /** A transfer's tickets into a hot sale's bucket (give_stock.lua): whether given now. */
    public static final Script<Boolean> GIVE_STOCK = Script.load("give_stock", LuaScripts::one);

    /**
     * What trim_events.lua answered for one sale's stream: entries trimmed now, delivered to a writer
     * and not acknowledged, not delivered yet (-1: Redis cannot tell), left.
     */
    public record Trimmed(long trimmed, long pending, long undelivered, long left) {
        /** The events no writer has written yet: pending, and undelivered (all those left when Redis cannot tell). */
        public long unwritten() {
            return pending + (undelivered >= 0 ? undelivered : left);
        }
    }

    /** Trims the events every writer has written from a sale's order stream (trim_events.lua). */
    public static final Script<Trimmed> TRIM_EVENTS = Script.load("trim_events", LuaScripts::trimmed);

    /** What order_holders.lua answered: the stream's last id, the last order made, the holders and requests. */
    public record OrderHolders(String lastEventId, String lastOrderId, List<String> usersAndCounts,
            List<String> requests) {
    }

    /** Who holds orders in a sale, and where its stream stands, at one moment (order_holders.lua). */
    public static final Script<OrderHolders> ORDER_HOLDERS = Script.load("order_holders", LuaScripts::holders);

    /** What archive_sale.lua answered: its code (1 ready or archived, 0 changed, below 0 why not) and the fingerprint. */
    public record Archiving(long code, String fingerprint) {
    }

    /** Checks whether a finished sale may leave Redis, or makes it leave (archive_sale.lua). */
    public static final Script<Archiving> ARCHIVE_SALE = Script.load("archive_sale",
            raw -> new Archiving((Long) ((List<?>) raw).get(0), (String) ((List<?>) raw).get(1)));

    /** The writers' group on a sale's order stream, unless the sale is gone (join_group.lua): 1 made, 0 there, -1 gone. */
    public static final Script<Long> JOIN_GROUP = Script.load("join_group", LuaScripts::number);

    /** Cancels a buyer's pending order (cancel_order.lua). */
    public static final Script<OrderBook.Cancel> CANCEL_ORDER = Script.load("cancel_order", LuaScripts::cancel);
    /** Places in a queued sale's waiting room (queue_join.lua). */
    public static final Script<RoomReply> QUEUE_JOIN = Script.load("queue_join", RoomReply::decode);
    /** A queued sale's admission step (queue_admit.lua). */
    public static final Script<RoomReply> QUEUE_ADMIT = Script.load("queue_admit", RoomReply::decode);
    /** A buyer's pass and what became of it (queue_pass.lua). */
    public static final Script<RoomReply> QUEUE_PASS = Script.load("queue_pass", RoomReply::decode);
    /** A buyer gives their turn back (queue_leave.lua). */
    public static final Script<RoomReply> QUEUE_LEAVE = Script.load("queue_leave", RoomReply::decode);

    private LuaScripts() {
    }

    private static Long number(Object raw) {
        return (Long) raw;
    }

    /** 1 yes, 0 no. */
    private static Boolean one(Object raw) {
        long n = (Long) raw;
        if (n != 0 && n != 1) {
            throw new IllegalArgumentException("not 0 or 1");
        }
        return n == 1;
    }

    private static Trimmed trimmed(Object raw) {
        List<?> reply = (List<?>) raw;
        return new Trimmed((Long) reply.get(0), (Long) reply.get(1), (Long) reply.get(2), (Long) reply.get(3));
    }

    /** (users come as text, their counts as numbers: both as text here) */
    private static OrderHolders holders(Object raw) {
        List<?> reply = (List<?>) raw;
        List<String> held = ((List<?>) reply.get(2)).stream().map(String::valueOf).toList();
        List<String> requests = ((List<?>) reply.get(3)).stream().map(one -> (String) one).toList();
        return new OrderHolders((String) reply.get(0), (String) reply.get(1), held, requests);
    }

    private static OrderBook.Cancel cancel(Object raw) {
        Long code = (Long) ((List<?>) raw).get(0);
        OrderBook.Cancel outcome = CANCELS.get(code.intValue());
        if (outcome == null) {
            throw new IllegalArgumentException("no cancel outcome " + code);
        }
        return outcome;
    }

    private static PaymentStart paymentStart(Object raw) {
        List<?> reply = (List<?>) raw;
        Payment.Start outcome = STARTS.get(((Long) reply.get(0)).intValue());
        if (outcome == null) {
            throw new IllegalArgumentException("no payment start " + reply.get(0));
        }
        boolean started = outcome == Payment.Start.STARTED || outcome == Payment.Start.RESUMED;
        return new PaymentStart(outcome, started ? (String) reply.get(1) : null, started ? (Long) reply.get(2) : 0);
    }

    private static Payment.Confirmed confirmation(Object raw) {
        List<?> reply = (List<?>) raw;
        Payment.Confirmation outcome = CONFIRMATIONS.get(((Long) reply.get(0)).intValue());
        if (outcome == null) {
            throw new IllegalArgumentException("no payment confirmation " + reply.get(0));
        }
        return new Payment.Confirmed(outcome, one(reply.get(1)));
    }
}
