package io.ticketrush.web;

import java.io.IOException;
import java.net.MalformedURLException;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * In front of the container's default servlet (the WAR's static files, and every path no servlet
 * of ours is mapped to): GET and HEAD go through; any other method gets a JSON 405 for a file
 * that exists, a JSON 404 for a path that does not. The default servlet's own answers are an
 * empty 405 or 501 (the container writes error pages only for GET, POST and HEAD), or a 200 to
 * OPTIONS even on an unknown path.
 */
public final class StaticContentFilter implements Filter {

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest http = (HttpServletRequest) request;
        String method = http.getMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            chain.doFilter(request, response);
        } else if (exists(http)) {
            ReadOnlyServlet.refuse(http, (HttpServletResponse) response);
        } else {
            Json.write((HttpServletResponse) response, HttpServletResponse.SC_NOT_FOUND,
                    ErrorServlet.body(HttpServletResponse.SC_NOT_FOUND, method, http.getRequestURI()));
        }
    }

    private static boolean exists(HttpServletRequest request) {
        String path = request.getServletPath() + (request.getPathInfo() != null ? request.getPathInfo() : "");
        try {
            return request.getServletContext().getResource(path.isEmpty() ? "/" : path) != null;
        } catch (MalformedURLException | IllegalArgumentException e) {
            return false; // a path no file can have
        }
    }
}
