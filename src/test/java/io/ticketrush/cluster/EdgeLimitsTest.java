package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.NginxServer;
import io.ticketrush.support.OpenFiles;
import io.ticketrush.support.RawExchange;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TcpProxy;
import io.ticketrush.support.TempFiles;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import redis.clients.jedis.Jedis;

/**
 * Nginx's limits (nginx-conf/nginx.conf as render.sh writes it by default) through real Nginx in
 * front of two real nodes and a real Redis, with strangers on their own loopback addresses
 * (127.0.0.2 and up: Linux routes all of 127.0.0.0/8 to the loopback) and the operator's trusted
 * 127.0.0.1: a slowloris of 9,000 connections starves no buyer, a flood is answered 429 and sells
 * nothing for the refused, a trusted burst is never limited, an idle stranger is cut off, and a
 * stranger's requests in progress are capped.
 *
 * <p>The slowloris holds 9,000 connections in this JVM: {@link OpenFiles#ensure} raises the open files
 * limit when the test runs as root (CI), else the test fails naming the {@code ulimit -n} it needs.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class EdgeLimitsTest {
    private static final String STOCK_KEY = "ticket_hash_key";
    private static final int TOTAL = 10_000;
    private static final InetAddress TRUSTED = RawExchange.address("127.0.0.1");
    /** render.sh's defaults, as RUSH_NGINX_RATE and RUSH_NGINX_BURST (twice the rate) leave them. */
    private static final int RATE = 10;
    private static final int BURST = 2 * RATE;
    /** RUSH_NGINX_CONN's default: a stranger's requests in progress at once. */
    private static final int CONN = 32;
    /** nginx.conf's client_header_timeout and client_body_timeout. */
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);
    private static final int SLOWLORIS = 9_000;

    private static RedisServer redis;
    private static final List<EmbeddedNode> NODES = new ArrayList<>();
    private static final List<TcpProxy> PROXIES = new ArrayList<>();
    private static NginxServer nginx;
    /**
     * The same Nginx but for a client_header_timeout of 120 s: the slowloris test is of capacity (do
     * 9,000 idle connections leave room for a buyer?), and on a loaded machine opening them takes
     * longer than the 5 s after which Nginx would close the first ones. The timeout has its own test.
     */
    private static NginxServer patient;
    private static Path statDir;

    @BeforeAll
    static void startCluster() throws IOException {
        redis = RedisServer.start();
        redis.initStock(STOCK_KEY, TOTAL);
        statDir = Files.createTempDirectory("rush-edge-");
        Map<Integer, Integer> upstream = new LinkedHashMap<>();
        for (int weight = 1; weight <= 2; weight++) {
            EmbeddedNode node = EmbeddedNode.start(redis.asNode(Map.of(
                    "rush.redis.port", String.valueOf(redis.port()),
                    "rush.stock.key", STOCK_KEY,
                    "rush.stock.total", String.valueOf(TOTAL),
                    "rush.node.weight", String.valueOf(weight),
                    "rush.node.weights.total", "3",
                    "rush.statlog", statDir.resolve("stat.log").toString())));
            NODES.add(node);
            TcpProxy proxy = TcpProxy.to(node.port());
            PROXIES.add(proxy);
            upstream.put(proxy.port(), weight);
        }
        nginx = NginxServer.start(upstream);
        // for the test of capacity alone: idle connections that outlive a slow set-up of 9,000 of them
        patient = NginxServer.start(upstream, List.of("--client-header-timeout", "120"));
    }

    @AfterAll
    static void stopCluster() {
        if (nginx != null) {
            nginx.close();
        }
        if (patient != null) {
            patient.close();
        }
        PROXIES.forEach(TcpProxy::close);
        NODES.forEach(EmbeddedNode::stop);
        if (redis != null) {
            redis.close();
        }
        TempFiles.deleteRecursively(statDir);
    }

    @Test
    void nine_thousand_idle_connections_from_one_stranger_starve_no_buyer() throws IOException {
        OpenFiles.ensure(SLOWLORIS + 3_000);
        InetAddress stranger = RawExchange.address("127.0.0.2");
        int buys = 20;
        // a sale's servers are warm when it opens (the first buy of a node loads its scripts)
        RawExchange.Answer warm = RawExchange.send(TRUSTED, patient.port(), "POST", "/buy/ticket?user=warm", 30_000);
        assertEquals(1, warm.code(), warm::toString);
        long soldBefore = redis.sold(STOCK_KEY);
        List<SocketChannel> held = new ArrayList<>(SLOWLORIS);
        try {
            long start = System.nanoTime();
            for (int i = 0; i < SLOWLORIS; i++) {
                // a request head never finished: Nginx cannot take the connection back for another client
                held.add(openHeld(stranger, "POST /buy/ticket HTTP/1.1\r\nHost: rush\r\n"));
            }
            // the attack is in place once Nginx holds every connection, none waiting to be accepted
            Deadline.await(TimeScale.of(Duration.ofSeconds(3)), "Nginx to accept the " + SLOWLORIS + " connections",
                    () -> acceptQueue(patient.port()) == 0);
            long opened = System.nanoTime();
            List<Long> millis = new ArrayList<>();
            for (int i = 0; i < buys; i++) {
                long sent = System.nanoTime();
                RawExchange.Answer answer = RawExchange.send(TRUSTED, patient.port(), "POST",
                        "/buy/ticket?user=calm" + i, 30_000);
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
                millis.add(took);
                String which = "buy " + (i + 1) + " while " + SLOWLORIS + " connections are held: " + answer;
                assertEquals(200, answer.status(), which);
                assertEquals(1, answer.code(), which);
                assertTrue(took <= TimeScale.ms(1000), () -> which + " took " + took + " ms, more than "
                        + TimeScale.ms(1000));
            }
            long bought = System.nanoTime();
            // every one of them was open all along: Nginx neither dropped nor timed out a single one
            int closed = 0;
            for (SocketChannel channel : held) {
                if (closedByPeer(channel)) {
                    closed++;
                }
            }
            int closedCount = closed;
            assertEquals(0, closed, () -> closedCount + " of " + SLOWLORIS + " held connections were closed by Nginx "
                    + "before the buys ended (opened in " + TimeUnit.NANOSECONDS.toMillis(opened - start)
                    + " ms, bought in " + TimeUnit.NANOSECONDS.toMillis(bought - opened) + " ms: "
                    + millis + ")");
        } finally {
            held.forEach(EdgeLimitsTest::closeQuietly);
        }
        assertEquals(buys, redis.sold(STOCK_KEY) - soldBefore, "tickets sold == buys answered with a ticket");
        try (Jedis jedis = redis.client()) {
            for (int i = 0; i < buys; i++) {
                assertTrue(jedis.hexists(Keys.ofDefault(STOCK_KEY).history(), "calm" + i), "calm" + i + " has an order");
            }
        }
    }

    @Test
    void a_flood_from_one_stranger_is_answered_429_and_sells_nothing_while_a_trusted_buyer_gets_a_ticket()
            throws Exception {
        InetAddress stranger = RawExchange.address("127.0.0.3");
        int threads = 8;
        int atLeast = 200;
        long soldBefore = redis.sold(STOCK_KEY);
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean buyerDone = new AtomicBoolean();
        CountDownLatch firstRefusal = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Map<String, RawExchange.Answer>>> flooders = new ArrayList<>();
        RawExchange.Answer calm;
        long start = System.nanoTime();
        long end;
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                flooders.add(pool.submit(() -> {
                    Map<String, RawExchange.Answer> mine = new LinkedHashMap<>();
                    // until the trusted buyer was answered, and at least `atLeast` requests in all
                    for (int i = 0; !buyerDone.get() || sent.get() < atLeast; i++) {
                        String user = "flood" + thread + "x" + i;
                        sent.incrementAndGet();
                        RawExchange.Answer answer = RawExchange.send(stranger, nginx.port(), "POST",
                                "/buy/ticket?user=" + user, 30_000);
                        mine.put(user, answer);
                        if (answer.status() == 429) {
                            firstRefusal.countDown();
                        }
                    }
                    return mine;
                }));
            }
            assertTrue(firstRefusal.await(TimeScale.ms(30_000), TimeUnit.MILLISECONDS), "the flood is refused");
            calm = RawExchange.send(TRUSTED, nginx.port(), "POST", "/buy/ticket?user=calm-in-flood", 30_000);
            buyerDone.set(true);
            Map<String, RawExchange.Answer> answers = new LinkedHashMap<>();
            for (Future<Map<String, RawExchange.Answer>> flooder : flooders) {
                answers.putAll(flooder.get(TimeScale.ms(60_000), TimeUnit.MILLISECONDS));
            }
            end = System.nanoTime();

            assertEquals(200, calm.status(), calm::toString);
            assertEquals(1, calm.code(), () -> "the trusted buyer got a ticket during the flood: " + calm);

            Set<String> served = new TreeSet<>();
            int refused = 0;
            for (Map.Entry<String, RawExchange.Answer> entry : answers.entrySet()) {
                RawExchange.Answer answer = entry.getValue();
                String which = entry.getKey() + ": " + answer;
                if (answer.status() == 429) {
                    refused++;
                    assertTrue(answer.contentType().startsWith("application/json"), which);
                    assertEquals("rate_limited", answer.json().get("error").getAsString(), which);
                    assertEquals(0, answer.code(), which);
                    assertEquals("1", answer.headers().get("retry-after"), which);
                } else {
                    assertEquals(200, answer.status(), which);
                    assertEquals(1, answer.code(), which);
                    served.add(entry.getKey());
                }
            }
            int refusedCount = refused;
            // the configured limit: BURST at once, then RATE a second for as long as the flood lasted
            long most = BURST + 1 + (long) Math.ceil(RATE * (end - start) / 1e9);
            assertTrue(!served.isEmpty() && served.size() <= most, () -> served.size() + " of " + answers.size()
                    + " flood requests served, " + refusedCount + " refused; at most " + most);
            assertEquals(answers.size(), served.size() + refused);

            // what was refused sold nothing: Redis sold exactly the tickets answered, each with its order
            assertEquals(served.size() + 1, redis.sold(STOCK_KEY) - soldBefore, "tickets sold == tickets answered");
            try (Jedis jedis = redis.client()) {
                Set<String> withOrders = new HashSet<>(jedis.hkeys(Keys.ofDefault(STOCK_KEY).history()));
                Set<String> floodersWithOrders = new TreeSet<>(answers.keySet());
                floodersWithOrders.retainAll(withOrders);
                assertEquals(served, floodersWithOrders, "the flood's buyers with an order are exactly those served");
                assertTrue(withOrders.contains("calm-in-flood"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void a_burst_from_a_trusted_address_is_never_limited() throws Exception {
        // the article's `ab -n ... -c ...` from the machine itself: anonymous buys, many at once
        int requests = 600;
        int clients = 40;
        long soldBefore = redis.sold(STOCK_KEY);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        List<Future<RawExchange.Answer>> sent = new ArrayList<>();
        try {
            for (int i = 0; i < requests; i++) {
                sent.add(pool.submit(() -> RawExchange.send(TRUSTED, nginx.port(), "GET", "/buy/ticket", 30_000)));
            }
            for (Future<RawExchange.Answer> future : sent) {
                RawExchange.Answer answer = future.get(TimeScale.ms(60_000), TimeUnit.MILLISECONDS);
                assertEquals(200, answer.status(), answer::toString);
                assertEquals(1, answer.code(), answer::toString);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(requests, redis.sold(STOCK_KEY) - soldBefore, "every request of the burst sold its ticket");
    }

    @Test
    void a_stranger_that_never_finishes_its_request_is_cut_off_after_the_header_timeout() throws IOException {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(RawExchange.address("127.0.0.4"), 0));
            socket.connect(new InetSocketAddress(TRUSTED, nginx.port()), 5_000);
            socket.getOutputStream().write("GET /sales HTTP/1.1\r\nHost: rush\r\n".getBytes(StandardCharsets.US_ASCII));
            long limit = TimeScale.of(CLIENT_TIMEOUT.multipliedBy(2)).toMillis();
            socket.setSoTimeout((int) limit);
            long start = System.nanoTime();
            try {
                byte[] answer = socket.getInputStream().readAllBytes();
                // whatever Nginx says as it closes (nothing, or a 408), it closes
                assertTrue(answer.length == 0 || new String(answer, StandardCharsets.ISO_8859_1).startsWith(
                        "HTTP/1.1 408"), () -> new String(answer, StandardCharsets.ISO_8859_1));
            } catch (SocketTimeoutException e) {
                fail("a connection with half a request head was still open after " + limit + " ms");
            } catch (IOException reset) {
                // reset_timedout_connection: closed with a reset
            }
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(took >= CLIENT_TIMEOUT.toMillis() - 1_000, () -> "cut off after " + took + " ms, before "
                    + CLIENT_TIMEOUT + ": not by the timeout");
        }
    }

    @Test
    void a_strangers_requests_in_progress_are_capped_and_a_body_never_sent_reaches_no_node() throws IOException {
        InetAddress stranger = RawExchange.address("127.0.0.5");
        int each = CONN + 8;
        // a body announced and never sent: each request stays in progress until client_body_timeout
        String head = "POST /pay/callback HTTP/1.1\r\nHost: rush\r\nContent-Type: application/json\r\n"
                + "Content-Length: 10\r\n\r\n";
        long before = PROXIES.stream().mapToLong(TcpProxy::requestBytes).sum();
        List<Socket> strangers = new ArrayList<>();
        List<Socket> trusted = new ArrayList<>();
        try {
            for (int i = 0; i < each; i++) {
                strangers.add(openBlocking(stranger, head));
                trusted.add(openBlocking(TRUSTED, head));
            }
            // Nginx refuses the stranger's requests past the cap at once, and none of the trusted ones
            List<RawExchange.Answer> refused = new ArrayList<>();
            Deadline.await(TimeScale.of(Duration.ofSeconds(3)), (each - CONN) + " of the stranger's requests refused",
                    () -> {
                        for (Socket socket : strangers) {
                            RawExchange.Answer answer = answerIfAny(socket);
                            if (answer != null) {
                                refused.add(answer);
                            }
                        }
                        return refused.size() >= each - CONN;
                    });
            for (Socket socket : trusted) {
                RawExchange.Answer answer = answerIfAny(socket);
                assertEquals(null, answer, () -> "a trusted request answered before its body came: " + answer);
            }
            assertEquals(each - CONN, refused.size(), () -> "refused at once: " + refused);
            for (RawExchange.Answer answer : refused) {
                assertEquals(429, answer.status(), answer::toString);
                assertEquals("rate_limited", answer.json().get("error").getAsString(), answer::toString);
                assertEquals("1", answer.headers().get("retry-after"), answer::toString);
            }
            // the others are cut off once client_body_timeout has passed, never passed on
            long limit = TimeScale.of(CLIENT_TIMEOUT.multipliedBy(3)).toMillis();
            List<Socket> waiting = new ArrayList<>(trusted);
            for (Socket socket : strangers) {
                if (!socket.isClosed()) {
                    waiting.add(socket);
                }
            }
            for (Socket socket : waiting) {
                socket.setSoTimeout((int) limit);
                try {
                    byte[] answer = socket.getInputStream().readAllBytes();
                    String text = new String(answer, StandardCharsets.ISO_8859_1);
                    assertTrue(answer.length == 0 || text.startsWith("HTTP/1.1 408"), text);
                } catch (SocketTimeoutException e) {
                    fail("a request whose body never came was still open after " + limit + " ms");
                } catch (IOException reset) {
                    // closed with a reset (reset_timedout_connection)
                }
            }
        } finally {
            strangers.forEach(EdgeLimitsTest::closeQuietly);
            trusted.forEach(EdgeLimitsTest::closeQuietly);
        }
        assertEquals(before, PROXIES.stream().mapToLong(TcpProxy::requestBytes).sum(),
                "no byte of a request without its body reached a node");
    }

    /** A connection from {@code from} to Nginx that has sent {@code head} and reads nothing; closed with a reset. */
    private static SocketChannel openHeld(InetAddress from, String head) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            channel.bind(new InetSocketAddress(from, 0));
            channel.connect(new InetSocketAddress(TRUSTED, nginx.port()));
            channel.write(ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII)));
            channel.configureBlocking(false);
            return channel;
        } catch (IOException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Socket openBlocking(InetAddress from, String head) throws IOException {
        Socket socket = new Socket();
        socket.setSoLinger(true, 0);
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress(TRUSTED, nginx.port()), 5_000);
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /**
     * Connections waiting in the accept queues of Nginx's listening sockets on {@code port} (one per
     * worker: reuseport): for a listening socket, /proc/net/tcp's rx_queue is its accept queue.
     */
    private static long acceptQueue(int port) {
        String local = String.format("0100007F:%04X", port);
        try {
            return Files.readAllLines(Path.of("/proc/net/tcp")).stream().skip(1).map(line -> line.trim().split("\\s+"))
                    .filter(fields -> fields[1].equals(local) && fields[3].equals("0A"))
                    .mapToLong(fields -> Long.parseLong(fields[4].split(":")[1], 16)).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/net/tcp", e);
        }
    }

    /** Whether Nginx closed {@code channel} (non-blocking: nothing to read means still open). */
    private static boolean closedByPeer(SocketChannel channel) {
        try {
            return channel.read(ByteBuffer.allocate(256)) != 0;
        } catch (IOException reset) {
            return true;
        }
    }

    /**
     * The answer waiting on {@code socket}, read to its end (Nginx may reset a connection whose
     * announced body never came, once it answered), or null while none has come.
     */
    private static RawExchange.Answer answerIfAny(Socket socket) {
        try {
            if (socket.isClosed() || socket.getInputStream().available() == 0) {
                return null;
            }
            socket.setSoTimeout(5_000);
            ByteArrayOutputStream raw = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                // to the answer's end (its head and Content-Length bytes), not to the connection's:
                // Nginx may linger on a connection whose announced body never came before closing it
                // (lingering_timeout, 5 s), as long as this read's own timeout
                for (int n = socket.getInputStream().read(buffer); n >= 0;
                        n = socket.getInputStream().read(buffer)) {
                    raw.write(buffer, 0, n);
                    if (whole(raw.toByteArray())) {
                        break;
                    }
                }
            } catch (SocketException reset) {
                // after the answer: what came is all there is
            }
            socket.close();
            return RawExchange.parse(raw.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether {@code raw} holds a whole answer: its head, and as many body bytes as its Content-Length says. */
    private static boolean whole(byte[] raw) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$")
                .matcher(text.substring(0, end));
        return length.find() && raw.length - (end + 4) >= Integer.parseInt(length.group(1));
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
