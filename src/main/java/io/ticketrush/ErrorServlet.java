package io.ticketrush;

import java.io.IOException;

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
                msg = request.getMethod() + " is not allowed on " + path;
            }
            default -> {
                error = code >= 500 ? "internal" : "bad_request";
                msg = code >= 500 ? "internal error" : "bad request";
            }
        }
        Json.write(response, code, Json.error(error, msg));
    }
}
