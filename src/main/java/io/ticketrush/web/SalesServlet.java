package io.ticketrush.web;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import io.ticketrush.sale.Standing;
import jakarta.servlet.http.HttpServletRequest;

/**
 * {@code GET /sales}: every sale with its state ({@code upcoming|open|sold_out|closed|archived}), tickets
 * sold and left, and when it opens and closes, judged on the sales' clock, which it also answers
 * ({@code now}, read at each answer) so that a page can count down to an opening on that clock.
 * The sales are read in one pipelined Redis round trip, at most every half second per node
 * however many ask.
 */
public final class SalesServlet extends JsonServlet {
    private static final long FRESH_NANOS = 500_000_000L;

    private record Answer(long at, List<Standing> standings) {
    }

    private transient volatile Answer last;

    public SalesServlet() {
        super("GET");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        Answer answer = last;
        if (answer == null || System.nanoTime() - answer.at() > FRESH_NANOS) {
            answer = new Answer(System.nanoTime(), app().redis().catalog().standings());
            last = answer;
        }
        long now = app().sales().now();
        List<Map<String, Object>> sales = new ArrayList<>();
        answer.standings().forEach(s -> sales.add(SaleViews.view(s, now)));
        // the archived ones as this node last read the sales (docs/archive.md)
        app().sales().archived().stream().sorted(Comparator.comparing(a -> a.sale().id()))
                .forEach(a -> sales.add(SaleViews.view(a)));
        return Reply.ok(Json.body(Json.OK, "sales", Map.of("now", now, "sales", sales)));
    }
}
