package io.ticketrush.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.HttpServer;
import io.ticketrush.auth.JoinPuzzle.Challenge;
import io.ticketrush.auth.JoinPuzzle.Verdict;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The browser's solver (webapp/js/puzzle.js) and the node's puzzle agree: headless Chromium
 * (Debian's, as in cluster/BrowserTest) loads puzzle.js from a page, finds the same number as
 * {@link JoinPuzzle#solve} for challenges whose salts end at every place in a SHA-256 block, and
 * the X-Queue-Proof its Web Worker makes is one the node accepts.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JoinPuzzleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path PUZZLE_JS = Path.of("webapp/js/puzzle.js");
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;
    private HttpServer server;
    private ChromeDriverService driverService;
    private ChromeDriver browser;
    private final JoinPuzzle puzzle = new JoinPuzzle(KEY, System::currentTimeMillis);

    @BeforeEach
    void servePageAndStartBrowser() throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new IllegalStateException("this test needs Debian's chromium and chromedriver at " + CHROMIUM
                    + " and " + CHROMEDRIVER + ": ./rush test installs them, or apt-get install -y chromium chromium-driver");
        }
        byte[] script = Files.readAllBytes(PUZZLE_JS);
        byte[] page = "<!doctype html><title>puzzle</title><script src=\"/js/puzzle.js\"></script>"
                .getBytes(StandardCharsets.UTF_8);
        // 127.0.0.1 is a secure context, as the https site is: crypto.subtle is there to compare with
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            boolean js = exchange.getRequestURI().getPath().equals("/js/puzzle.js");
            byte[] body = js ? script : page;
            exchange.getResponseHeaders().set("Content-Type", js ? "text/javascript" : "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + dir.resolve("chromium-profile"));
        driverService = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(dir.resolve("chromedriver.log").toFile())
                .build();
        browser = new ChromeDriver(driverService, options);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        browser.get("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @AfterEach
    void stopEverything() {
        if (browser != null) {
            browser.quit();
        }
        if (driverService != null) {
            driverService.stop();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void the_browser_finds_the_numbers_the_node_hid() throws Exception {
        // users of 1 to 70 characters: the salt's last block holds every length from 0 to 63 bytes;
        // numbers of 1 to 4 digits: with each, the padding falls in the same block or the next, and
        // on the boundary between the two (the message ends 55 or 56 bytes into its last block)
        for (int length = 1; length <= 70; length++) {
            Challenge made = puzzle.challenge("Q1", "u".repeat(length), 16);
            for (long number : new long[] {7, 42, 523, 6007}) {
                String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest((made.salt() + number).getBytes(StandardCharsets.UTF_8)));
                Challenge challenge = new Challenge(made.algorithm(), hash, number, made.salt(), made.signature());
                assertEquals(OptionalLong.of(number), JoinPuzzle.solve(challenge));
                Object js = browser.executeScript("return RushPuzzle.search(arguments[0], arguments[1], arguments[2]);",
                        challenge.challenge(), challenge.salt(), challenge.maxnumber());
                assertEquals(number, js, () -> "salt " + challenge.salt().length() + " bytes: " + challenge.salt());
            }
        }
        // a challenge with another puzzle's salt: nothing up to maxnumber solves it, in either
        Challenge one = puzzle.challenge("Q1", "alice", 4);
        Challenge mixed = new Challenge(one.algorithm(), one.challenge(), one.maxnumber(),
                puzzle.challenge("Q1", "alice", 4).salt(), one.signature());
        assertEquals(OptionalLong.empty(), JoinPuzzle.solve(mixed));
        assertNull(browser.executeScript("return RushPuzzle.search(arguments[0], arguments[1], arguments[2]);",
                mixed.challenge(), mixed.salt(), mixed.maxnumber()));
    }

    @Test
    @SuppressWarnings("unchecked")
    void the_proof_the_page_makes_in_its_worker_joins() {
        Challenge challenge = puzzle.challenge("Q1", "alice", 14);
        Map<String, Object> solved = (Map<String, Object>) browser.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                RushPuzzle.solve(arguments[0]).then(done, (e) => done({ error: String(e) }));""",
                Map.of("algorithm", challenge.algorithm(), "challenge", challenge.challenge(),
                        "maxnumber", challenge.maxnumber(), "salt", challenge.salt(), "signature", challenge.signature()));
        assertEquals(null, solved.get("error"));
        assertEquals(JoinPuzzle.solve(challenge).orElseThrow(), solved.get("number"));
        assertEquals(Verdict.SOLVED, puzzle.verify((String) solved.get("proof"), "Q1", "alice", 14));
    }

    /** What a hash costs the page: puzzle.js's SHA-256 against crypto.subtle's, one number after another (printed). */
    @Test
    @SuppressWarnings("unchecked")
    void the_cost_of_a_hash_in_the_browser_is_printed() {
        Challenge challenge = puzzle.challenge("Q1", "alice", 16);
        List<Object> took = (List<Object>) browser.executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                const [salt, count] = [arguments[0], arguments[1]];
                let started = performance.now();
                RushPuzzle.search('0'.repeat(64), salt, count - 1);
                const own = performance.now() - started;
                (async () => {
                  const encoder = new TextEncoder();
                  started = performance.now();
                  for (let n = 0; n < count; n++) {
                    await crypto.subtle.digest('SHA-256', encoder.encode(salt + n));
                  }
                  return performance.now() - started;
                })().then((subtle) => done([own, subtle]), (e) => done([own, String(e)]));""",
                challenge.salt(), 1 << 16);
        assertTrue(took.get(1) instanceof Number, () -> "crypto.subtle failed: " + took.get(1));
        double own = ((Number) took.get(0)).doubleValue() * 1000 / (1 << 16);
        double subtle = ((Number) took.get(1)).doubleValue() * 1000 / (1 << 16);
        System.out.printf("puzzle.js in Chromium: %.2f us a hash (a 20-bit puzzle: %.0f ms on average); crypto.subtle"
                + " one digest at a time: %.2f us a hash (%.0f ms)%n", own, own * (1 << 19) / 1000, subtle,
                subtle * (1 << 19) / 1000);
    }
}
