package io.ticketrush.cluster;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.ticketrush.auth.PublicOrderIds;
import io.ticketrush.redis.keys.Keys;
import io.ticketrush.support.BuyerCrowd;
import io.ticketrush.support.Deadline;
import io.ticketrush.support.EmbeddedNode;
import io.ticketrush.support.FreePort;
import io.ticketrush.support.HttpCall;
import io.ticketrush.support.NginxServer;
import io.ticketrush.support.Payments;
import io.ticketrush.support.PrintLogsOnFailure;
import io.ticketrush.support.RedisOrders;
import io.ticketrush.support.RedisServer;
import io.ticketrush.support.TestTokens;
import io.ticketrush.support.TimeScale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import redis.clients.jedis.Jedis;

/**
 * A person in a browser: Debian's headless Chromium, driven through its own chromedriver by
 * Selenium, opens the buy page through real Nginx in front of four nodes, buys a ticket, pays
 * it through the demo payment provider's checkout and back, and watches the dashboard's sold count
 * follow Redis. Then, in a browser whose clock is an hour behind, a second sale created while the
 * page is open, whose buyers are signed, refuses the person until they sign in (the demo login),
 * counts down to its opening on the sales' clock, opens, sells to them under their token's name,
 * is paid by them through the checkout and back with their token, and shows on the dashboard when
 * picked there. Screenshots of both
 * pages go to {@code target/screenshots/} for a human to look at.
 *
 * <p>Nothing is downloaded: the browser and the driver are Debian's ({@code ./rush test} installs
 * {@code chromium} and {@code chromium-driver}), and Selenium Manager is never asked for one.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final String STOCK_KEY = "ticket_hash_key";
    private static final int TOTAL = 1000;
    private static final int[] WEIGHTS = {1, 2, 3, 4};
    private static final Duration WAIT = TimeScale.of(Duration.ofSeconds(20));
    /** The whole dashboard in one screenshot. */
    private static final Dimension DASHBOARD_SIZE = new Dimension(1280, 1480);
    private static final String ADMIN_TOKEN = "browser-test-admin-token";
    /**
     * The later sale: its id, its stock, and how long after its creation it opens (long enough for
     * the page to show its countdown and be refused a buy before then, stretched on a slow machine).
     */
    private static final String LATER = "G1234";
    private static final int LATER_TOTAL = 5;
    /** A queued sale: its waiting room, its puzzle, one ticket (docs/queue.md). */
    private static final String QUEUED = "Q9";
    private static final int OPENS_IN_SECONDS = (int) ((TimeScale.ms(8_000) + 999) / 1000);
    /** A countdown to an opening as the page shows it (m:ss). */
    private static final Pattern COUNTDOWN = Pattern.compile("opens in (\\d+):([0-5]\\d)");
    /**
     * Sets the page's clock ({@code Date}) an hour behind: a page counting down on the browser's
     * clock would show an hour too much; on the sales' clock (Redis's) it shows the seconds left.
     */
    private static final String CLOCK_AN_HOUR_BEHIND = """
            (() => {
              const Real = Date;
              const skew = -3600000;
              function Skewed(...args) {
                if (!new.target) {
                  return new Real(Real.now() + skew).toString();
                }
                return args.length === 0 ? new Real(Real.now() + skew) : new Real(...args);
              }
              Skewed.prototype = Real.prototype;
              Skewed.now = () => Real.now() + skew;
              Skewed.parse = Real.parse;
              Skewed.UTC = Real.UTC;
              window.Date = Skewed;
            })();
            """;

    @RegisterExtension
    final PrintLogsOnFailure logs = new PrintLogsOnFailure();

    private RedisServer redis;
    private final List<EmbeddedNode> nodes = new ArrayList<>();
    private NginxServer nginx;
    @TempDir
    Path dir;

    private ChromeDriverService driverService;
    private WebDriver browser;
    /** The nodes' public order ids, to find the order a page shows in Redis. */
    private PublicOrderIds orderIds;

    @BeforeEach
    void startClusterAndBrowser() throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new IllegalStateException("the browser test needs Debian's chromium and chromedriver at " + CHROMIUM
                    + " and " + CHROMEDRIVER + ": ./rush test installs them, or apt-get install -y chromium chromium-driver");
        }
        redis = RedisServer.start();
        redis.initStock(STOCK_KEY, TOTAL);
        Path statLog = dir.resolve("stat.log");
        // what ./rush up gives every node: the operator's token key, the order key, the demo login
        Path keys = TestTokens.write(dir.resolve("jwt-keys.json"), List.of(TestTokens.secret("k1")));
        Path orderKey = Files.writeString(dir.resolve("order-key"), Base64.getEncoder().encodeToString(
                new SecureRandom().generateSeed(32)));
        orderIds = PublicOrderIds.fromFile(orderKey);
        // the waiting room's key, the same on every node: tickets, passes and puzzles of one node hold on another
        Path queueKey = Files.writeString(dir.resolve("queue-key"), Base64.getEncoder().encodeToString(
                new SecureRandom().generateSeed(32)));
        Map<Integer, Integer> upstream = new LinkedHashMap<>();
        for (int weight : WEIGHTS) {
            Map<String, String> settings = new HashMap<>(redis.asNode(Map.of(
                    "rush.redis.port", String.valueOf(redis.port()),
                    "rush.stock.key", STOCK_KEY,
                    "rush.stock.total", String.valueOf(TOTAL),
                    "rush.node.weight", String.valueOf(weight),
                    "rush.node.weights.total", "10",
                    "rush.lock.wait.ms", "5000",
                    "rush.redis.timeout.ms", "2000", "rush.redis.pool.wait.ms", "2000",
                    "rush.statlog", statLog.toString(), "rush.admin.token", ADMIN_TOKEN)));
            settings.put(EmbeddedNode.ADMIN_PORT, String.valueOf(FreePort.find()));
            settings.put("rush.admin.audit", dir.resolve("admin-audit-" + weight + ".log").toString());
            settings.putAll(Payments.SETTINGS);
            settings.putAll(Map.of("rush.auth.keys.file", keys.toString(), "rush.order.key.file", orderKey.toString(),
                    "rush.auth.login", "true", "rush.queue.key.file", queueKey.toString()));
            EmbeddedNode node = EmbeddedNode.start(settings);
            nodes.add(node);
            upstream.put(node.port(), weight);
            // a node started on port 0 learns its port from its first request; Prometheus's
            // scrape is that request here, so every node reports to the dashboard from the start
            assertEquals(200, HttpCall.get(node.uri("/metrics")).status());
        }
        nginx = NginxServer.start(upstream);
        logs.watch("nginx", nginx::log);
        startBrowser();
    }

    private void startBrowser() throws IOException {
        Path driverLog = dir.resolve("chromedriver.log");
        logs.watch("chromedriver", () -> read(driverLog));
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--user-data-dir=" + dir.resolve("chromium-profile"), "--window-size=1280,1000",
                "--force-device-scale-factor=1", "--lang=en-GB");
        driverService = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(driverLog.toFile())
                .build();
        browser = new ChromeDriver(driverService, options);
    }

    @AfterEach
    void stopEverything() {
        if (browser != null) {
            browser.quit();
        }
        if (driverService != null) {
            driverService.stop();
        }
        if (nginx != null) {
            nginx.close();
        }
        nodes.forEach(EmbeddedNode::stop);
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void a_person_buys_a_ticket_pays_it_and_sees_the_dashboard_follow_the_sale() throws IOException {
        browser.get(nginx.uri("/").toString());
        assertEquals("ticket-rush: buy a ticket", browser.getTitle());

        browser.findElement(By.id("user")).sendKeys("alice");
        browser.findElement(By.id("buy")).click();
        WebElement answer = waitFor(ExpectedConditions.attributeToBeNotEmpty(
                browser.findElement(By.id("answer")), "data-order-id"), By.id("answer"));
        String orderId = answer.getAttribute("data-order-id");
        assertTrue(answer.getText().contains("Ticket! Order #" + orderId), answer::getText);
        assertEquals("alice", redisOrder(orderId, "user"), "the order the page shows is alice's in Redis");
        assertEquals("pending", redisOrder(orderId, "state"));

        By row = By.cssSelector("#orders tr[data-order-id='" + orderId + "']");
        wait(ExpectedConditions.textToBePresentInElementLocated(row, "pending"));
        String countdown = wait(driver -> driver.findElement(row).findElement(By.cssSelector(".left")).getText());
        assertTrue(countdown.matches("[45]:[0-5]\\d"), () -> "about 5 minutes to pay: " + countdown);
        wait(ExpectedConditions.textToBe(By.cssSelector("#stock b"), String.format("%,d", TOTAL - 1)));
        screenshot("buy-page.png");

        // Pay: the demo provider's checkout, its Pay, and back to the shop
        wait(driver -> {
            driver.findElement(row).findElement(By.cssSelector("button.pay")).click();
            return true;
        });
        wait(ExpectedConditions.titleIs("ticket-rush: demo payment"));
        assertTrue(browser.getCurrentUrl().contains("/demo-pay/checkout?payment=pay.default."), browser::getCurrentUrl);
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("what"), "Order #" + orderId));
        assertEquals("pending", redisOrder(orderId, "state"), "the checkout is open: nothing paid yet");
        screenshot("demo-pay.png");
        wait(ExpectedConditions.elementToBeClickable(By.id("pay"))).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("result"), "Paid: order #" + orderId));
        assertEquals("paid", redisOrder(orderId, "state"), "paid once the provider's word reached the shop");
        browser.findElement(By.id("back")).click();
        wait(ExpectedConditions.titleIs("ticket-rush: buy a ticket"));
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("pay-answer"), "Paid: order #" + orderId));
        wait(ExpectedConditions.textToBePresentInElementLocated(row, "paid"));
        assertEquals("paid", redisOrder(orderId, "state"));
        screenshot("buy-page-paid.png");

        browser.findElement(By.id("buy")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("answer"),
                "You already have a ticket: order #" + orderId));

        browser.findElement(By.id("user")).clear();
        browser.findElement(By.id("user")).sendKeys("not valid!");
        browser.findElement(By.id("buy")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("answer"), "Bad input"));
        screenshot("buy-page-bad-input.png");

        browser.manage().window().setSize(DASHBOARD_SIZE);
        browser.get(nginx.uri("/dashboard").toString());
        awaitDashboardSold(1);
        assertEquals("1", browser.findElement(By.id("paid")).getText());
        wait(driver -> browser.findElements(By.cssSelector("#nodes tbody tr.up")).size() == WEIGHTS.length);

        // a burst of anonymous buyers through Nginx while the page watches: more than the stock,
        // so the sale sells out
        List<HttpCall.Answer> answers = BuyerCrowd.rush(nginx.uri("/buy/ticket"), 3 * TOTAL, 20,
                TimeScale.of(Duration.ofSeconds(90)));
        assertTrue(answers.stream().allMatch(a -> a.status() == 200), "every buyer got a ticket or sold out");
        assertEquals(TOTAL, redis.sold(STOCK_KEY));
        awaitDashboardSold(TOTAL);
        wait(ExpectedConditions.textToBe(By.id("remaining"), "0"));
        wait(ExpectedConditions.textToBe(By.id("pending"), String.format("%,d", TOTAL - 1)));
        wait(driver -> sumOfColumn("tickets") == TOTAL);
        wait(driver -> sumOfColumn("requests") == 3 * TOTAL + 3);
        screenshot("dashboard.png");

        int stopped = nodes.get(3).port();
        nodes.get(3).stop();
        nodes.remove(3);
        wait(ExpectedConditions.textToBePresentInElementLocated(
                By.cssSelector("#nodes tr[data-port='" + stopped + "'] .status"), "down"));
        assertEquals("3 / 4", browser.findElement(By.id("nodes-up")).getText());
        screenshot("dashboard-node-down.png");
    }

    @Test
    void a_sale_opening_later_counts_down_on_the_sales_clock_opens_sells_and_shows_on_the_dashboard()
            throws IOException, InterruptedException {
        ((ChromeDriver) browser).executeCdpCommand("Page.addScriptToEvaluateOnNewDocument",
                Map.of("source", CLOCK_AN_HOUR_BEHIND));
        browser.get(nginx.uri("/").toString());
        long pageClock = ((Number) ((JavascriptExecutor) browser).executeScript("return Date.now()")).longValue();
        assertTrue(Math.abs(System.currentTimeMillis() - 3_600_000 - pageClock) < 60_000,
                () -> "the page's clock is an hour behind: " + pageClock);
        wait(ExpectedConditions.attributeToBe(By.cssSelector("#sales tr[data-sale='default']"), "class", "picked"));
        browser.findElement(By.id("user")).sendKeys("bob");
        browser.findElement(By.id("buy")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("answer"), "Ticket! Order #"));
        String firstOrder = browser.findElement(By.id("answer")).getAttribute("data-order-id");
        assertEquals("bob", redisOrder(Keys.ofDefault(STOCK_KEY), firstOrder, "user"));

        // a second train, created while the page is open: it opens in a few seconds
        HttpCall.Answer created = createSale(LATER, LATER_TOTAL, OPENS_IN_SECONDS, "Beijing South to Shanghai");
        assertEquals(201, created.status(), created::toString);
        long opensAt = created.json().getAsJsonObject("data").get("opensAt").getAsLong();
        By laterRow = By.cssSelector("#sales tr[data-sale='" + LATER + "']");
        wait(ExpectedConditions.textToBePresentInElementLocated(laterRow, "upcoming"));
        wait("a countdown in the row of " + LATER, driver -> COUNTDOWN.matcher(driver.findElement(laterRow)
                .findElement(By.cssSelector(".when")).getText()).matches());
        // what the page shows, bracketed by the sales' clock read before and after reading it: the
        // countdown is one of those seconds left, give or take one, however long the reading took
        long before = redisNow();
        String countdown = browser.findElement(laterRow).findElement(By.cssSelector(".when")).getText();
        long after = redisNow();
        Matcher shown = COUNTDOWN.matcher(countdown);
        assertTrue(shown.matches(), () -> "a countdown still: " + countdown);
        long shownSeconds = Long.parseLong(shown.group(1)) * 60 + Long.parseLong(shown.group(2));
        long mostLeft = (opensAt - before + 999) / 1000;
        long leastLeft = (opensAt - after + 999) / 1000;
        assertTrue(shownSeconds >= leastLeft - 1 && shownSeconds <= mostLeft + 1, () -> "the page shows " + countdown
                + " while " + mostLeft + " to " + leastLeft + " s were left on the sales' clock (the browser's is an"
                + " hour behind)");
        assertTrue(browser.findElement(laterRow).getText().contains("0 / " + LATER_TOTAL));

        // its buyers are signed: the list says so, and a buy without signing in is refused
        wait(ExpectedConditions.visibilityOf(browser.findElement(laterRow).findElement(By.cssSelector(".badge.signed"))));
        assertTrue(browser.findElements(By.cssSelector("#sales tr[data-sale='default'] .badge.signed")).stream()
                .noneMatch(WebElement::isDisplayed), "the article's sale is open to anyone");
        browser.findElement(laterRow).findElement(By.cssSelector("input[type=radio]")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("picked"), "Beijing South to Shanghai (" + LATER + ")"));
        browser.findElement(By.id("buy")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("answer"), "Sign in first"));

        // bob signs in (the demo login): his name is his token's from now on
        browser.findElement(By.id("signin")).click();
        wait(ExpectedConditions.textToBe(By.id("signed-in-user"), "bob"));
        assertEquals("true", browser.findElement(By.id("user")).getAttribute("readonly"));
        String stored = (String) ((JavascriptExecutor) browser).executeScript(
                "return JSON.parse(localStorage.getItem('ticket-rush.token')).token");
        assertTrue(stored.split("\\.").length == 3, "the page holds a JWT");

        // picked before it opens: buying says so in words
        browser.findElement(By.id("buy")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("answer"), "Not open yet (opens in "));
        assertEquals(0, redis.sold(laterStock()), "a buy before the opening sold nothing");
        screenshot("buy-page-countdown.png");

        Deadline.await(Duration.ofSeconds(OPENS_IN_SECONDS).plus(WAIT), "the buy page to show " + LATER + " open",
                () -> "open".equals(browser.findElement(laterRow).getAttribute("data-state")));
        assertTrue(redisNow() >= opensAt, "the page showed the sale open only once the sales' clock reached its opening");
        browser.findElement(By.id("buy")).click();
        WebElement answer = waitFor(ExpectedConditions.attributeToBeNotEmpty(
                browser.findElement(By.id("answer")), "data-order-id"), By.id("answer"));
        String orderId = answer.getAttribute("data-order-id");
        assertTrue(answer.getText().contains("Ticket! Order #" + orderId), answer::getText);
        assertTrue(PublicOrderIds.looksPublic(orderId), () -> "a signed sale's order shows its public id: " + orderId);
        assertEquals("bob", redisOrder(Keys.of(LATER, STOCK_KEY), orderIds.toInternal(orderId).orElseThrow(), "user"),
                "the order is bob's, in " + LATER);
        assertEquals(1, redis.sold(laterStock()));

        // your orders: one in each sale, each named with its sale
        By laterOrder = By.cssSelector("#orders tr[data-order-id='" + orderId + "']");
        wait(ExpectedConditions.textToBePresentInElementLocated(laterOrder, "Beijing South to Shanghai"));
        WebElement row = browser.findElement(laterOrder);
        assertEquals(LATER, row.getAttribute("data-sale"));
        assertTrue(row.getText().contains("pending"), row::getText);
        assertEquals(1, row.findElements(By.cssSelector("button.pay")).size(), "a Pay button");
        assertTrue(row.findElement(By.cssSelector(".left")).getText().matches("[45]:[0-5]\\d"),
                "about 5 minutes to pay");
        assertEquals("default", browser.findElement(By.cssSelector("#orders tr[data-order-id='" + firstOrder + "']"))
                .getAttribute("data-sale"));
        wait(driver -> driver.findElement(laterRow).getText().contains("1 / " + LATER_TOTAL));
        screenshot("buy-page-two-sales.png");

        // bob pays it: POST /pay with his token, the demo provider's checkout, and back to the shop,
        // whose return step asks for the order by its public id with the token the page holds
        wait(driver -> {
            driver.findElement(laterOrder).findElement(By.cssSelector("button.pay")).click();
            return true;
        });
        wait(ExpectedConditions.titleIs("ticket-rush: demo payment"));
        assertTrue(browser.getCurrentUrl().contains("/demo-pay/checkout?payment=pay." + LATER + "."),
                browser::getCurrentUrl);
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("what"), "Order #" + orderId));
        wait(ExpectedConditions.elementToBeClickable(By.id("pay"))).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("result"), "Paid: order #" + orderId));
        String number = orderIds.toInternal(orderId).orElseThrow();
        assertEquals("paid", redisOrder(Keys.of(LATER, STOCK_KEY), number, "state"), "paid on the provider's word");
        browser.findElement(By.id("back")).click();
        wait(ExpectedConditions.titleIs("ticket-rush: buy a ticket"));
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("pay-answer"), "Paid: order #" + orderId));
        wait(ExpectedConditions.textToBePresentInElementLocated(laterOrder, "paid"));
        screenshot("buy-page-signed-paid.png");

        // the dashboard: the article's sale by default, then the later one picked, then all of them
        browser.manage().window().setSize(DASHBOARD_SIZE);
        browser.get(nginx.uri("/dashboard").toString());
        awaitDashboardSold(1);
        wait(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#sale-pick option[value='" + LATER + "']")));
        new Select(browser.findElement(By.id("sale-pick"))).selectByValue(LATER);
        wait(ExpectedConditions.textToBe(By.id("total"), String.valueOf(LATER_TOTAL)));
        wait(driver -> driver.findElement(By.id("sold")).getText().equals(String.valueOf(redis.sold(laterStock()))));
        assertEquals("1", browser.findElement(By.id("sold")).getText(), "the dashboard's sold of " + LATER);
        assertEquals(String.valueOf(LATER_TOTAL - 1), browser.findElement(By.id("remaining")).getText());
        wait(ExpectedConditions.textToBe(By.id("sale-state"), "open"));
        wait(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("#sales tr[data-sale='" + LATER + "']"),
                "1 / " + LATER_TOTAL));
        screenshot("dashboard-sale.png");

        new Select(browser.findElement(By.id("sale-pick"))).selectByValue("all");
        wait(ExpectedConditions.textToBe(By.id("total"), String.format("%,d", TOTAL + LATER_TOTAL)));
        wait(ExpectedConditions.textToBe(By.id("sold"), "2"));
        assertEquals(2, redis.sold(STOCK_KEY) + redis.sold(laterStock()));
        screenshot("dashboard-all.png");
    }

    @Test
    void a_signed_buyer_waits_in_a_queued_sales_room_after_its_puzzle_and_buys_with_the_pass_when_admitted()
            throws IOException, InterruptedException {
        // Buy before the opening: the page solves the room's puzzle (10 bits) and joins; the draw is at the opening
        Keys room = joinQueuedSaleOnThePage("bob", "&queue=1000&pow=10");
        try (Jedis jedis = redis.client()) {
            assertEquals(1, jedis.zcard(room.queue()), "bob's one place in the room");
        }
        screenshot("buy-page-waiting-room.png");

        // the opening: bob's place comes up, the page shows his turn; Buy sends the pass
        Deadline.await(Duration.ofSeconds(OPENS_IN_SECONDS).plus(WAIT), "the page to show bob's turn",
                () -> browser.findElement(By.id("answer")).getText().contains("Your turn! Press Buy within"));
        assertEquals("Give up my turn", browser.findElement(By.cssSelector("#answer button.leave")).getText(),
                "with the pass, a way to hand the turn back (POST /queue/leave)");
        browser.findElement(By.id("buy")).click();
        WebElement answer = waitFor(ExpectedConditions.attributeToBeNotEmpty(
                browser.findElement(By.id("answer")), "data-order-id"), By.id("answer"));
        String orderId = answer.getAttribute("data-order-id");
        assertTrue(answer.getText().contains("Ticket! Order #" + orderId), answer::getText);
        try (Jedis jedis = redis.client()) {
            assertEquals(Set.of("bob"), jedis.smembers(room.queueSpent()), "the ticket sold with bob's pass, spent");
        }
        screenshot("buy-page-queued-bought.png");
    }

    /**
     * The page's "Give up my turn": cat, admitted, hands the turn back; the room passes it to the next
     * place, dan, who joined after the opening (so behind cat, whatever the draw), at its next
     * admission step: one turn lapsed, two admitted, nothing sold.
     */
    @Test
    void an_admitted_buyer_gives_the_turn_back_on_the_page_and_the_next_place_is_admitted()
            throws IOException, InterruptedException {
        Keys room = joinQueuedSaleOnThePage("cat", "&queue=1000&pow=0");
        Deadline.await(Duration.ofSeconds(OPENS_IN_SECONDS).plus(WAIT), "the page to show cat's turn",
                () -> browser.findElement(By.id("answer")).getText().contains("Your turn! Press Buy within"));

        // dan joins after the opening: his place is behind cat's
        String dan = post("/login?user=dan", null).json().getAsJsonObject("data").get("token").getAsString();
        HttpCall.Answer joined = post("/queue/join?sale=" + QUEUED, dan);
        assertEquals(200, joined.status(), joined::toString);
        String ticket = joined.json().getAsJsonObject("data").get("ticket").getAsString();
        assertEquals("waiting", poll(dan, ticket), "one ticket: dan waits behind cat's turn");

        browser.findElement(By.cssSelector("#answer button.leave")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("answer"), "You gave up your turn"));
        screenshot("buy-page-gave-up-turn.png");
        Deadline.await(WAIT, "dan admitted once cat's turn came back", () -> "admitted".equals(poll(dan, ticket)));
        try (Jedis jedis = redis.client()) {
            assertEquals("1", jedis.hget(room.stock(), Keys.QUEUE_LAPSED), "cat's turn, given up, lapsed");
            assertEquals("2", jedis.hget(room.stock(), Keys.QUEUE_ADMITTED), "cat's place and dan's");
        }
        assertEquals(0, redis.sold(room.stock()), "nothing sold");
    }

    /**
     * Creates queued sale {@link #QUEUED} of one ticket, opening in {@link #OPENS_IN_SECONDS}
     * ({@code room}: the form's queue settings), opens its buy page, signs in as {@code user} and
     * presses Buy before the opening: the page joins the room (solving its puzzle if it has one).
     */
    private Keys joinQueuedSaleOnThePage(String user, String room) throws IOException, InterruptedException {
        HttpCall.Answer created = createSale(QUEUED, 1, OPENS_IN_SECONDS, "Wuhan to Guangzhou", room);
        assertEquals(201, created.status(), created::toString);
        browser.get(nginx.uri("/?sale=" + QUEUED).toString());
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("picked"), "Wuhan to Guangzhou (" + QUEUED + ")"));
        browser.findElement(By.id("user")).sendKeys(user);
        browser.findElement(By.id("signin")).click();
        wait(ExpectedConditions.textToBe(By.id("signed-in-user"), user));
        browser.findElement(By.id("buy")).click();
        wait(ExpectedConditions.textToBePresentInElementLocated(By.id("answer"), "In the waiting room: the draw is at"
                + " the opening"));
        return Keys.of(QUEUED, STOCK_KEY);
    }

    /** A POST through Nginx with {@code token} as Bearer (none if null). */
    private HttpCall.Answer post(String path, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(nginx.uri(path)).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(WAIT);
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> response = HttpCall.newClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(), "");
    }

    /** The state the room answers {@code token}'s holder of queue ticket {@code ticket}. */
    private String poll(String token, String ticket) {
        try {
            HttpResponse<String> response = HttpCall.newClient().send(HttpRequest.newBuilder(nginx.uri("/queue?sale="
                    + QUEUED)).header("Authorization", "Bearer " + token).header("X-Queue-Ticket", ticket).GET()
                    .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
            HttpCall.Answer answer = new HttpCall.Answer(response.statusCode(), response.body(), "");
            return answer.status() == 200 ? answer.json().getAsJsonObject("data").get("state").getAsString()
                    : "status " + answer.status();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Creates a sale through a node's admin connector (Nginx never forwards {@code /admin/}). */
    private HttpCall.Answer createSale(String id, int stock, int opensInSeconds, String name)
            throws IOException, InterruptedException {
        return createSale(id, stock, opensInSeconds, name, "");
    }

    /** {@link #createSale(String, int, int, String)} with more of the form ({@code &queue=...}). */
    private HttpCall.Answer createSale(String id, int stock, int opensInSeconds, String name, String more)
            throws IOException, InterruptedException {
        String form = "id=" + id + "&stock=" + stock + "&opens=" + URLEncoder.encode("+" + opensInSeconds,
                StandardCharsets.UTF_8) + "&name=" + URLEncoder.encode(name, StandardCharsets.UTF_8) + more;
        HttpResponse<String> response = HttpCall.newClient().send(HttpRequest.newBuilder(nodes.get(0).adminUri("/admin/sales"))
                .header("X-Admin-Token", ADMIN_TOKEN).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
        return new HttpCall.Answer(response.statusCode(), response.body(), "");
    }

    private static String laterStock() {
        return Keys.of(LATER, STOCK_KEY).stock();
    }

    /** Redis's clock, the sales' clock, in ms since the epoch. */
    private long redisNow() {
        try (Jedis jedis = redis.client()) {
            List<String> time = jedis.time();
            return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
        }
    }

    /** Waits until the dashboard shows {@code sold} as sold, and checks Redis says the same. */
    private void awaitDashboardSold(long sold) {
        String shown = String.format("%,d", sold);
        wait(ExpectedConditions.textToBe(By.id("sold"), shown));
        assertAll(
                () -> assertEquals(sold, redis.sold(STOCK_KEY), "Redis sold"),
                () -> assertEquals(String.format("%,d", TOTAL), browser.findElement(By.id("total")).getText()));
    }

    private long sumOfColumn(String column) {
        long sum = 0;
        for (WebElement cell : browser.findElements(By.cssSelector("#nodes tbody td." + column))) {
            sum += Long.parseLong(cell.getText().replace(",", ""));
        }
        return sum;
    }

    /** Waits for {@code condition}; the pages redraw their tables, so a stale element means "look again". */
    private <T> T wait(org.openqa.selenium.support.ui.ExpectedCondition<T> condition) {
        return wait(null, condition);
    }

    /** {@link #wait(org.openqa.selenium.support.ui.ExpectedCondition)}, saying {@code what} it waited for if it times out. */
    private <T> T wait(String what, org.openqa.selenium.support.ui.ExpectedCondition<T> condition) {
        WebDriverWait wait = new WebDriverWait(browser, WAIT, Duration.ofMillis(100));
        if (what != null) {
            wait.withMessage(what);
        }
        return wait.ignoring(StaleElementReferenceException.class).until(condition);
    }

    private WebElement waitFor(org.openqa.selenium.support.ui.ExpectedCondition<Boolean> condition, By element) {
        wait(condition);
        return browser.findElement(element);
    }

    private String redisOrder(String orderId, String field) {
        return redisOrder(Keys.ofDefault(STOCK_KEY), orderId, field);
    }

    private String redisOrder(Keys sale, String orderId, String field) {
        try (Jedis jedis = redis.client()) {
            Map<String, String> order = RedisOrders.one(jedis, sale, orderId);
            return order == null ? null : order.get(field);
        }
    }

    private void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        Path file = SCREENSHOTS.resolve(name);
        Files.write(file, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(no " + file + ")";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
