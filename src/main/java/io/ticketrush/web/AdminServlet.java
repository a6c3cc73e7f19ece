package io.ticketrush.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /admin/reset-local} with header {@code X-Admin-Token}: starts this node's local
 * stock afresh for a new sale, without restarting the node. Refused without
 * the token configured in {@code rush.admin.token}; Nginx never forwards {@code /admin/}.
 */
public final class AdminServlet extends JsonServlet {
    public AdminServlet() {
        super("POST");
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String expected = app().config().adminToken();
        if (expected == null) {
            return new Reply(HttpServletResponse.SC_FORBIDDEN,
                    Json.error("admin_disabled", "admin is disabled: no rush.admin.token is configured"));
        }
        String given = request.getHeader("X-Admin-Token");
        if (given == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8))) {
            return new Reply(HttpServletResponse.SC_FORBIDDEN, Json.error("forbidden", "wrong or missing X-Admin-Token"));
        }
        if (!"/reset-local".equals(request.getPathInfo())) {
            return new Reply(HttpServletResponse.SC_NOT_FOUND,
                    Json.error("not_found", "no such admin action: " + request.getRequestURI()));
        }
        app().seller().resetLocal(app().config().localStock());
        return Reply.ok(Json.body(Json.OK, "local stock reset", Map.of("quota", app().config().localStock())));
    }
}
