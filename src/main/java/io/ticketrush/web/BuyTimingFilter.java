package io.ticketrush.web;

import java.io.IOException;

import io.ticketrush.RushApp;
import io.ticketrush.stats.NodeStats;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/** Times each buy, from the request reaching the WAR to its answer written, into {@link NodeStats}. */
public final class BuyTimingFilter implements Filter {
    private NodeStats stats;

    @Override
    public void init(FilterConfig config) {
        stats = RushApp.of(config.getServletContext()).stats();
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        stats.seenOn(request.getLocalPort());
        long start = System.nanoTime();
        try {
            chain.doFilter(request, response);
        } finally {
            stats.took(System.nanoTime() - start);
        }
    }
}
