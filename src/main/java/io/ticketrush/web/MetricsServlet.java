package io.ticketrush.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import io.ticketrush.node.RushApp;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * {@code GET /metrics}: this node's meters in the Prometheus text format (Micrometer's
 * Prometheus registry). A scrape reads memory only, never Redis.
 */
public final class MetricsServlet extends ReadOnlyServlet {
    private static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

    private transient RushApp app;

    @Override
    public void init() {
        app = RushApp.of(getServletContext());
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        app.stats().seenOn(request.getLocalPort());
        byte[] body = app.stats().scrape().getBytes(StandardCharsets.UTF_8);
        response.setContentType(TEXT_FORMAT);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
