package io.ticketrush.web;

import java.io.IOException;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Serves one static page of the WAR under a clean path ({@code /dashboard} shows
 * {@code /dashboard.html}), without a redirect: behind Nginx a container's redirect could name
 * the wrong host or port.
 */
public final class PageServlet extends ReadOnlyServlet {
    private String page;

    @Override
    public void init() throws ServletException {
        page = getInitParameter("page");
        if (page == null || !page.startsWith("/")) {
            throw new ServletException("PageServlet " + getServletName() + " needs an init-param page starting with /");
        }
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        request.getRequestDispatcher(page).forward(request, response);
    }
}
