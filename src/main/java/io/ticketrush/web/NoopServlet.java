package io.ticketrush.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** {@code GET /noop}: the benchmark's reference, the cheapest JSON answer this container can give. */
public final class NoopServlet extends ReadOnlyServlet {
    private static final byte[] BODY = "{\"code\":1,\"msg\":\"noop\",\"data\":null}".getBytes(StandardCharsets.UTF_8);

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("application/json;charset=utf-8");
        response.setContentLength(BODY.length);
        response.getOutputStream().write(BODY);
    }
}
