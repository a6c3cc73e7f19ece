package io.ticketrush.web;

import java.io.IOException;

import io.ticketrush.node.RushApp;
import io.ticketrush.stats.NodeStats;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/**
 * Notes when each buy reaches the WAR; {@link BuyTicketServlet} records into {@link NodeStats}
 * how long it took once its answer is given, which may be in another thread (a buyer who waited
 * in line is answered by the thread that sold its batch).
 */
public final class BuyTimingFilter implements Filter {
    private static final String START = BuyTimingFilter.class.getName() + ".start";
    private NodeStats stats;

    @Override
    public void init(FilterConfig config) {
        stats = RushApp.of(config.getServletContext()).stats();
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        stats.seenOn(request.getLocalPort());
        request.setAttribute(START, System.nanoTime());
        chain.doFilter(request, response);
    }

    /** Records the time since {@code request} reached the WAR, if it came through this filter. */
    static void took(ServletRequest request, NodeStats stats) {
        if (request.getAttribute(START) instanceof Long start) {
            stats.took(System.nanoTime() - start);
        }
    }
}
