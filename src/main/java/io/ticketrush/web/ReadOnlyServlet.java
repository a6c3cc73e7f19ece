package io.ticketrush.web;

import java.io.IOException;
import java.util.List;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * A servlet that only reads (a page, {@code /noop}, {@code /metrics}): GET and HEAD reach its
 * {@code doGet}; any other method gets the same JSON 405 as a {@link JsonServlet}. HttpServlet's
 * own answers would be an empty 405 or 501 (a container writes error pages only for GET, POST
 * and HEAD), 200 with an Allow header to OPTIONS, or an echo of the request to TRACE.
 */
public abstract class ReadOnlyServlet extends HttpServlet {
    static final List<String> METHODS = List.of("GET", "HEAD");

    @Override
    protected final void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        String method = request.getMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            super.service(request, response);
        } else {
            refuse(request, response);
        }
    }

    /** The JSON 405 with {@code Allow: GET, HEAD}. */
    static void refuse(HttpServletRequest request, HttpServletResponse response) throws IOException {
        JsonServlet.Reply reply = JsonServlet.methodNotAllowed(request, response, METHODS);
        Json.write(response, reply.status(), reply.body());
    }
}
