package io.ticketrush.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.ticketrush.queue.QueueAnswer;

/** The waiting room's answers, written by hand for speed, are the JSON Gson writes for the same fields. */
class QueueAnswerJsonTest {

    @Test
    void every_answer_shape_is_the_json_gson_writes() {
        List<QueueAnswer> answers = List.of(
                new QueueAnswer(QueueAnswer.State.WAITING, null, null, null, 30_000, "cTF8UVh8MTc.JbfxCxxO0e72", null,
                        null, false, 7_198_706L, 0),
                new QueueAnswer(QueueAnswer.State.WAITING, 12L, 11L, 6_000L, 3_000, "t.k", null, null, false, null,
                        100_000),
                new QueueAnswer(QueueAnswer.State.ADMITTED, null, null, null, 1_000, "t.k", "p.s", 1_796_656_461_760L,
                        false, null, 5),
                new QueueAnswer(QueueAnswer.State.WAITLISTED, 9L, 8L, null, 5_000, "a\"b\\c\u0001", null, null, true,
                        null, Long.MAX_VALUE),
                new QueueAnswer(QueueAnswer.State.WAITING, 40L, 39L, null, 5_000, "t.k", null, null, false, null,
                        2_000, 3L, 17L, false),
                new QueueAnswer(QueueAnswer.State.SOLD_OUT, 41L, 40L, null, 50_000, "t.k", null, null, false, null,
                        100_000, 0L, 0L, true));
        for (QueueAnswer answer : answers) {
            assertEquals(Json.toJson(gsonShape(answer)),
                    new String(QueueServlet.body(answer).bytes(), StandardCharsets.UTF_8), answer.toString());
            assertEquals(Json.OK, QueueServlet.body(answer).code());
        }
    }

    private static Map<String, Object> gsonShape(QueueAnswer answer) {
        String state = answer.state().name().toLowerCase(Locale.ROOT);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("state", state);
        view.put("position", answer.position());
        view.put("ahead", answer.ahead());
        view.put("etaMs", answer.etaMs());
        view.put("retryAfterMs", answer.retryAfterMs());
        view.put("ticket", answer.ticket());
        view.put("pass", answer.pass());
        view.put("passUntil", answer.passUntil());
        view.put("passUsed", answer.passUsed());
        view.put("opensInMs", answer.opensInMs());
        view.put("inRoom", answer.inRoom());
        view.put("passesOut", answer.passesOut());
        view.put("unpaid", answer.unpaid());
        view.put("last", answer.last());
        return Json.body(Json.OK, state, view);
    }
}
