package io.ticketrush.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A TCP proxy on a free loopback port in front of a real server, for a network that misbehaves
 * in one direction: {@link #dropAnswers(boolean)} keeps forwarding what clients send but throws
 * away what the server answers, as a link that fails after a request went out
 * ({@link #breakOnAnswers(boolean)}: and breaks the connection, once answered). It counts what
 * reached the server ({@link #requestBytes()}). Every connection and thread it makes is closed by
 * {@link #close()}.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket listener;
    private final int target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean dropAnswers;
    private volatile boolean breakOnAnswers;
    /** Answers to pass before the one that breaks its connection; negative: none breaks so. */
    private final AtomicInteger answersBeforeBreak = new AtomicInteger(-1);
    private final LongAdder requestBytes = new LongAdder();
    private final Thread acceptor;

    private TcpProxy(int target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "tcp-proxy-accept");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** A proxy to 127.0.0.1:{@code targetPort}. */
    public static TcpProxy to(int targetPort) {
        try {
            return new TcpProxy(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Bytes the clients sent that were passed to the server so far: 0 while nothing reached it. */
    public long requestBytes() {
        return requestBytes.sum();
    }

    /** While true, the server's answers are read and thrown away instead of reaching the client. */
    public void dropAnswers(boolean drop) {
        dropAnswers = drop;
    }

    /**
     * While true, a connection on which the server answers is closed instead, the answer thrown
     * away: a link that failed after the request went out, which its client sees at once (a broken
     * connection), not after its read timeout; and only once the server has run the request.
     */
    public void breakOnAnswers(boolean breakOn) {
        breakOnAnswers = breakOn;
    }

    /**
     * The answer after the next {@code passing} ones (each a read of the server's side, which for a
     * short answer is the whole of it) closes its connection instead, thrown away, as
     * {@link #breakOnAnswers}; the ones after it pass again.
     */
    public void breakAnswerAfter(int passing) {
        answersBeforeBreak.set(passing);
    }

    /** Closes every connection made so far (the clients see them broken); new ones are made as before. */
    public void cutConnections() {
        sockets.forEach(TcpProxy::closeQuietly);
        sockets.clear();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 2000);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, false);
                pump(server, client, true);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean answers) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    if (!answers) {
                        // counted before the server can see them, so before any answer to them
                        requestBytes.add(n);
                    }
                    if (answers && (breakOnAnswers || answersBeforeBreak.getAndDecrement() == 0)) {
                        break; // both sides closed below
                    }
                    if (!(answers && dropAnswers)) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // one side closed: close the other below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-" + (answers ? "answers" : "requests"));
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // already closed
        }
        sockets.forEach(TcpProxy::closeQuietly);
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
