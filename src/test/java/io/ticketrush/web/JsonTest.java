package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void a_ticket_has_code_1_msg_and_data() {
        String json = Json.toJson(Json.body(Json.OK, "got a ticket", Map.of("node", 3001)));
        assertEquals("{\"code\":1,\"msg\":\"got a ticket\",\"data\":{\"node\":3001}}", json);
    }

    @Test
    void sold_out_has_code_minus_1() {
        assertEquals("{\"code\":-1,\"msg\":\"sold out\",\"data\":null}",
                Json.toJson(Json.body(Json.SOLD_OUT, "sold out", null)));
    }

    @Test
    void a_raw_answer_is_the_same_json_written_once() {
        Map<String, Object> body = Json.body(Json.SOLD_OUT, "sold out", Map.of("node", 3001));
        Json.Raw raw = Json.Raw.of(body);
        assertEquals(Json.SOLD_OUT, raw.code());
        assertEquals(Json.toJson(body), new String(raw.bytes(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void an_error_names_its_kind_and_has_code_0() {
        assertEquals("{\"code\":0,\"msg\":\"busy, try again\",\"error\":\"busy\",\"data\":null}",
                Json.toJson(Json.error("busy", "busy, try again")));
    }
}
