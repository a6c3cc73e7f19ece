package io.ticketrush.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.ticketrush.sale.Outcome;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The response shapes, seed-compatible with the article: {@code {"code":1,"msg":"...","data":{...}}}.
 * code 1 = got a ticket (or a successful call), -1 = sold out, 0 = an error, named in {@code error};
 * a buy's other outcomes carry their {@link Outcome#code()}.
 */
public final class Json {
    public static final int OK = Outcome.TICKET.code();
    public static final int SOLD_OUT = Outcome.SOLD_OUT.code();
    public static final int ERROR = 0;
    /** The sale has not opened yet. */
    public static final int NOT_OPEN = Outcome.NOT_OPEN.code();
    /** The sale is closed. */
    public static final int CLOSED = Outcome.CLOSED.code();
    /** The request's order expired unpaid (its ticket went back on sale). */
    public static final int EXPIRED = Outcome.EXPIRED.code();

    /** The {@code code} a buy's answer carries: the outcome's own, but 1 for a ticket the buyer already had. */
    public static int codeOf(Outcome outcome) {
        return outcome == Outcome.EXISTING ? OK : outcome.code();
    }

    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private Json() {
    }

    /** {@code {"code":..,"msg":..,"data":..}}. */
    public static Map<String, Object> body(int code, String msg, Object data) {
        Map<String, Object> body = new LinkedHashMap<>(4);
        body.put("code", code);
        body.put("msg", msg);
        body.put("data", data);
        return body;
    }

    /** {@code {"code":0,"msg":..,"error":..,"data":null}}. */
    public static Map<String, Object> error(String error, String msg) {
        Map<String, Object> body = new LinkedHashMap<>(4);
        body.put("code", ERROR);
        body.put("msg", msg);
        body.put("error", error);
        body.put("data", null);
        return body;
    }

    /** The {@code code} of a body made here (a map or raw bytes); {@link #ERROR} for anything else. */
    static int code(Object body) {
        if (body instanceof Map<?, ?> map && map.get("code") instanceof Integer code) {
            return code;
        }
        return body instanceof Raw raw ? raw.code() : ERROR;
    }

    public static String toJson(Object value) {
        return GSON.toJson(value);
    }

    public static <T> T fromJson(String json, Class<T> type) {
        return GSON.fromJson(json, type);
    }

    /** A body already written as JSON, and its {@code code}: for answers that repeat, like "sold out". */
    public record Raw(int code, byte[] bytes) {
        public static Raw of(Map<String, Object> body) {
            return new Raw((Integer) body.get("code"), GSON.toJson(body).getBytes(StandardCharsets.UTF_8));
        }
    }

    public static void write(HttpServletResponse response, int status, Object body) throws IOException {
        byte[] bytes = body instanceof Raw raw ? raw.bytes() : GSON.toJson(body).getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("application/json;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
