package io.ticketrush.web;

import java.io.IOException;
import java.util.Map;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/** The container's error pages (unknown path, anything thrown past a servlet) as JSON, never HTML or a stack trace. */
public final class ErrorServlet extends HttpServlet {

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object status = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int code = status instanceof Integer s ? s : HttpServletResponse.SC_NOT_FOUND;
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        String path = uri != null ? uri.toString() : request.getRequestURI();
        Json.write(response, code, body(code, request.getMethod(), path));
    }

    /** The JSON error for {@code code} on {@code method path}: says which endpoint or method, never why inside. */
    static Map<String, Object> body(int code, String method, String path) {
        String error;
        String msg;
        switch (code) {
            case HttpServletResponse.SC_NOT_FOUND -> {
                error = "not_found";
                msg = "no such endpoint: " + path;
            }
            case HttpServletResponse.SC_FORBIDDEN -> {
                error = "forbidden";
                msg = "not allowed: " + path;
            }
            case HttpServletResponse.SC_METHOD_NOT_ALLOWED -> {
                error = "method_not_allowed";
                msg = method + " is not allowed on " + path;
            }
            default -> {
                error = code >= 500 ? "internal" : "bad_request";
                msg = code >= 500 ? "internal error" : "bad request";
            }
        }
        return Json.error(error, msg);
    }
}
