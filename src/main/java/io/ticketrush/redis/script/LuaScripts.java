package io.ticketrush.redis.script;

import java.util.Map;

import io.ticketrush.order.OrderBook.Payment;
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
    /** What the pay script's numbers mean ({@code PAY} in names.lua). */
    static final Map<Integer, Payment> PAYMENTS = Map.of(1, Payment.PAID, 2, Payment.ALREADY_PAID, -1, Payment.UNKNOWN,
            -2, Payment.EXPIRED, -3, Payment.NOT_YOURS, -4, Payment.VOIDED);

    /** The buy, for one or more buyers in turn (buy.lua). */
    public static final Script<BuyReply> BUY = Script.load("buy", BuyReply::decode);
    /** Voids a buy call whose answer never reached its node (void.lua): the tickets that came back. */
    public static final Script<Long> VOID = Script.load("void", LuaScripts::number);
    /** Settles a buy call whose answer reached its node (settle.lua): whether it did. */
    public static final Script<Boolean> SETTLE = Script.load("settle", LuaScripts::one);
    /** The order a buyer already has (existing.lua). */
    public static final Script<BuyReply.Told> EXISTING = Script.load("existing", BuyReply::decodeOne);
    /** Pays a pending order before its deadline (pay.lua). */
    public static final Script<Payment> PAY = Script.load("pay", LuaScripts::payment);
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

    private static Payment payment(Object raw) {
        Payment payment = PAYMENTS.get(((Long) raw).intValue());
        if (payment == null) {
            throw new IllegalArgumentException("no payment " + raw);
        }
        return payment;
    }
}
