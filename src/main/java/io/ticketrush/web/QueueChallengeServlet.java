package io.ticketrush.web;

import java.util.LinkedHashMap;
import java.util.Map;

import io.ticketrush.auth.JoinPuzzle;
import io.ticketrush.sale.Sale;
import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET /queue/challenge?sale=ID} with the buyer's token: the puzzle that buyer solves to join
 * that queued sale's room (docs/queue-puzzle.md), made on this node without a Redis call. Its
 * {@code data} is ALTCHA's challenge ({@code algorithm}, {@code challenge}, {@code maxnumber},
 * {@code salt}, {@code signature}) and {@code bits}, {@code required: true}; a sale of {@code pow} 0
 * answers {@code msg} {@code no_puzzle}, {@code required: false}: join without a proof.
 */
public final class QueueChallengeServlet extends JsonServlet {
    public QueueChallengeServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        Sale sale = app().sales().sale(Sale.requireId("sale", param(request, "sale")));
        Identity who = identity(request);
        who.requireToken("a puzzle is made for a signed buyer: send Authorization: Bearer TOKEN");
        String user = who.buyer(sale);
        app().queue().requireRoom(sale);
        Map<String, Object> data = new LinkedHashMap<>();
        if (sale.powBits() == 0) {
            data.put("required", false);
            data.put("bits", 0);
            return Reply.ok(Json.body(Json.OK, "no_puzzle", data));
        }
        JoinPuzzle.Challenge challenge = app().puzzle().challenge(sale.id(), user, sale.powBits());
        data.put("algorithm", challenge.algorithm());
        data.put("challenge", challenge.challenge());
        data.put("maxnumber", challenge.maxnumber());
        data.put("salt", challenge.salt());
        data.put("signature", challenge.signature());
        data.put("required", true);
        data.put("bits", sale.powBits());
        return Reply.ok(Json.body(Json.OK, "puzzle", data));
    }
}
