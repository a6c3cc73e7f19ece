package io.ticketrush.web;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.ticketrush.auth.TokenIssuer;
import io.ticketrush.sale.Buyer;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code POST /login?user=NAME}: the demo login, a token for the user named, signed with the
 * operator's newest key: {@code {"code":1,"data":{"token":..,"user":..,"expiresAt":ms}}}. It checks
 * no password, so it exists only when the operator turns it on ({@code rush.auth.login}); else every
 * request to it is a 404, as for a path there is not. A site with a login of its own issues its
 * own tokens instead (docs/identity.md).
 */
public final class LoginServlet extends JsonServlet {
    public LoginServlet() {
        super("POST");
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        if (app().login().isEmpty()) {
            finish(request, response, new Reply(HttpServletResponse.SC_NOT_FOUND,
                    ErrorServlet.body(HttpServletResponse.SC_NOT_FOUND, request.getMethod(), request.getRequestURI())));
            return;
        }
        super.service(request, response);
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String user = Buyer.requireId("user", param(request, "user"));
        Optional<TokenIssuer> login = app().login();
        TokenIssuer.Token token = login.orElseThrow().issue(user, app().settings().auth().loginTtlSeconds(),
                System.currentTimeMillis());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("token", token.value());
        data.put("user", token.user());
        data.put("expiresAt", token.expiresAt());
        return Reply.ok(Json.body(Json.OK, "signed in (a demo login: no password)", data));
    }
}
