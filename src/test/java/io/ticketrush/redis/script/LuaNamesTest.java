package io.ticketrush.redis.script;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ticketrush.order.Order;
import io.ticketrush.order.OrderBook;
import io.ticketrush.order.OrderEvent;
import io.ticketrush.order.Payment;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.redis.keys.OrderIds;
import org.junit.jupiter.api.Test;

/**
 * The names and numbers the Lua scripts share with Java are written twice, once in
 * {@code lua/lib/names.lua} so that each script reads as Lua, once in Java: this holds them equal,
 * both ways (nothing in one that the other lacks).
 */
class LuaNamesTest {
    private static final Pattern TEXT = Pattern.compile("^local (\\w+) = '([^']*)'$");
    private static final Pattern NUMBER = Pattern.compile("^local (\\w+) = (-?\\d+)$");
    private static final Pattern TABLE = Pattern.compile("^local (\\w+) = \\{\\}$");
    private static final Pattern ENTRY = Pattern.compile("^(\\w+)\\.(\\w+) = (-?\\d+)$");
    private static final Pattern ORDER = Pattern.compile("^local ORDER = \\{([\\w, ]+)\\}$");
    private static final Pattern PAYMENT = Pattern.compile("^local PAYMENT_FIELDS = \\{([\\w, ]+)\\}$");

    /** What names.lua must define, as Java has it. */
    private static Map<String, String> java() {
        Map<String, String> names = new LinkedHashMap<>();
        names.put("TOTAL", Keys.TOTAL);
        names.put("SOLD", Keys.SOLD);
        names.put("PAID", Keys.PAID);
        names.put("EXPIRED", Keys.EXPIRED);
        names.put("VOIDED", Keys.VOIDED);
        names.put("ID_BASE", Keys.ID_BASE);
        names.put("SEQ", Keys.SEQ);
        names.put("NAME", Keys.NAME);
        names.put("OPENS_AT", Keys.OPENS_AT);
        names.put("CLOSES_AT", Keys.CLOSES_AT);
        names.put("USER_LIMIT", Keys.USER_LIMIT);
        names.put("PAY_MS", Keys.PAY_MS);
        names.put("BUYERS", Keys.BUYERS);
        names.put("MOVES", Keys.MOVES);
        names.put("BUCKETS", Keys.BUCKETS);
        names.put("ARCHIVING", Keys.ARCHIVING);
        names.put("REFUNDS_DUE", Keys.REFUNDS_DUE);
        names.put("CANCELLED", Keys.CANCELLED);
        names.put("QUEUE_RATE", Keys.QUEUE_RATE);
        names.put("POW_BITS", Keys.POW_BITS);
        names.put("QUEUE_SEQ", Keys.QUEUE_SEQ);
        names.put("QUEUE_ADMITTED", Keys.QUEUE_ADMITTED);
        names.put("QUEUE_LAPSED", Keys.QUEUE_LAPSED);
        names.put("QUEUE_RETURNED", Keys.QUEUE_RETURNED);
        names.put("ID", Keys.ID);
        names.put("USER", Keys.USER);
        names.put("NODE", Keys.NODE);
        names.put("CREATED", Keys.CREATED);
        names.put("DEADLINE", Keys.DEADLINE);
        names.put("STATE", Keys.STATE);
        names.put("CLOSED", Keys.CLOSED);
        names.put("EVENT", Keys.EVENT);
        names.put("RID", Keys.RID);
        names.put("BATCH", Keys.BATCH);
        names.put("SEP", Keys.ORDER_SEPARATOR);
        names.put("PAY_ORDER", Keys.PAY_ORDER);
        names.put("AMOUNT", Keys.AMOUNT);
        names.put("SETTLED_BY", Keys.SETTLED_BY);
        names.put("PAYMENT", Keys.PAYMENT_ID);
        names.put("PENDING_STATE", Order.PENDING);
        names.put("PAID_STATE", Order.PAID);
        names.put("EXPIRED_STATE", Order.EXPIRED);
        names.put("VOIDED_STATE", Order.VOIDED);
        names.put("CANCELLED_STATE", Order.CANCELLED);
        names.put("CREATED_EVENT", Keys.CREATED_EVENT);
        names.put("STARTED_PAYMENT", Payment.STARTED);
        names.put("SUCCEEDED_PAYMENT", Payment.SUCCEEDED);
        names.put("REFUND_DUE_PAYMENT", Payment.REFUND_DUE);
        names.put("REFUND_DUE_EVENT", OrderEvent.REFUND_DUE);
        names.put("VOID_MARK", Keys.VOID_MARK);
        names.put("SETTLED", Keys.SETTLED);
        names.put("MAX_SEQ", String.valueOf(OrderIds.MAX_SEQ));
        names.put("EVENTS_TRIMMED", Keys.EVENTS_TRIMMED);
        for (BuyReply.Code code : BuyReply.Code.values()) {
            names.put("CODE." + code.name(), String.valueOf(code.code));
        }
        for (BuyReply.Refusal refusal : BuyReply.Refusal.values()) {
            names.put("CODE." + refusal.name(), String.valueOf(refusal.code));
        }
        LuaScripts.STARTS.forEach((code, start) -> names.put("START." + start.name(), String.valueOf(code)));
        LuaScripts.CONFIRMATIONS.forEach((code, confirmation) -> names.put("CONFIRM." + confirmation.name(),
                String.valueOf(code)));
        LuaScripts.CANCELS.forEach((code, cancel) -> names.put("CANCEL." + cancel.name(), String.valueOf(code)));
        for (RoomReply.Refusal refusal : RoomReply.Refusal.values()) {
            names.put("ROOM." + refusal.name(), String.valueOf(refusal.code));
        }
        for (RoomReply.PassUse use : RoomReply.PassUse.values()) {
            names.put("PASS_USE." + use.name(), String.valueOf(use.code));
        }
        for (RoomReply.Leave leave : RoomReply.Leave.values()) {
            names.put("LEAVE." + leave.name(), String.valueOf(leave.code));
        }
        names.put("LEFT_MARK", String.valueOf(RoomReply.LEFT_MARK));
        names.put("HANDED_BACK", String.valueOf(RoomReply.HANDED_BACK));
        return names;
    }

    @Test
    void names_lua_defines_exactly_the_names_and_numbers_java_has() throws IOException {
        Map<String, String> lua = new TreeMap<>();
        for (String line : read("lua/lib/names.lua").lines().toList()) {
            Matcher m;
            if ((m = TEXT.matcher(line)).matches() || (m = NUMBER.matcher(line)).matches()) {
                lua.put(m.group(1), m.group(2));
            } else if ((m = ENTRY.matcher(line)).matches()) {
                lua.put(m.group(1) + "." + m.group(2), m.group(3));
            } else {
                assertTrue(line.isBlank() || line.startsWith("--") || TABLE.matcher(line).matches(),
                        "names.lua holds one name per line, 'local NAME = value' or 'TABLE.NAME = n': " + line);
            }
        }
        assertEquals(new TreeMap<>(java()), lua);
    }

    @Test
    void an_order_packs_its_fields_in_the_order_java_reads_them() throws IOException {
        Matcher order = read("lua/lib/orders.lua").lines().map(ORDER::matcher).filter(Matcher::matches).findFirst()
                .orElseThrow(() -> new AssertionError("orders.lua has no 'local ORDER = {...}'"));
        Map<String, String> names = java();
        List<String> fields = List.of(order.group(1).split(",\\s*")).stream().map(names::get).toList();
        assertEquals(Keys.ORDER, fields);
    }

    @Test
    void a_payment_packs_its_fields_in_the_order_java_reads_them() throws IOException {
        Matcher payment = read("lua/lib/payments.lua").lines().map(PAYMENT::matcher).filter(Matcher::matches)
                .findFirst().orElseThrow(() -> new AssertionError("payments.lua has no 'local PAYMENT_FIELDS = {...}'"));
        Map<String, String> names = java();
        List<String> fields = List.of(payment.group(1).split(",\\s*")).stream().map(names::get).toList();
        assertEquals(Keys.PAYMENT, fields);
    }

    @Test
    void every_payment_outcome_has_a_number_of_its_own() {
        assertEquals(Payment.Start.values().length, LuaScripts.STARTS.size());
        assertEquals(Payment.Start.values().length, LuaScripts.STARTS.values().stream().distinct().count());
        assertEquals(Payment.Confirmation.values().length, LuaScripts.CONFIRMATIONS.size());
        assertEquals(Payment.Confirmation.values().length,
                LuaScripts.CONFIRMATIONS.values().stream().distinct().count());
        assertEquals(OrderBook.Cancel.values().length, LuaScripts.CANCELS.size());
        assertEquals(OrderBook.Cancel.values().length, LuaScripts.CANCELS.values().stream().distinct().count());
    }

    @Test
    void every_script_names_its_keys_argv_and_answers_and_its_includes_resolve() throws IOException {
        for (Script<?> script : List.of(LuaScripts.BUY, LuaScripts.VOID, LuaScripts.SETTLE, LuaScripts.EXISTING,
                LuaScripts.START_PAYMENT, LuaScripts.CONFIRM_PAYMENT, LuaScripts.EXPIRE, LuaScripts.NEXT_ID_BASE, LuaScripts.SET_ID_BASE,
                LuaScripts.CREATE_SALE, LuaScripts.SALES_CHANGED, LuaScripts.CLOSE_SALE, LuaScripts.RESET_SALE,
                LuaScripts.TAKE_STOCK, LuaScripts.GIVE_STOCK, LuaScripts.TRIM_EVENTS, LuaScripts.ORDER_HOLDERS,
                LuaScripts.CANCEL_ORDER, LuaScripts.QUEUE_JOIN, LuaScripts.QUEUE_ADMIT, LuaScripts.QUEUE_PASS,
                LuaScripts.QUEUE_LEAVE)) {
            String file = read("lua/" + script.name() + ".lua");
            assertTrue(file.startsWith("-- " + script.name() + ": "), script + " starts by saying what it does");
            for (String part : List.of("-- KEYS: ", "-- ARGV: ", "-- Answers")) {
                assertTrue(file.contains("\n" + part), script + " names its " + part.substring(3).trim());
            }
            assertTrue(!script.source().contains("--#include"), script + ": every include resolved");
        }
    }

    @Test
    void rush_lua_prints_each_script_as_redis_runs_it() throws Exception {
        for (String name : List.of("buy", "confirm_payment", "create_sale")) {
            Process rush = new ProcessBuilder("./rush", "lua", name).redirectErrorStream(true).start();
            String printed = new String(rush.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, rush.waitFor(), printed);
            assertEquals(Script.source(name), printed, "./rush lua " + name);
        }
    }

    private static String read(String resource) throws IOException {
        try (InputStream in = LuaNamesTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
