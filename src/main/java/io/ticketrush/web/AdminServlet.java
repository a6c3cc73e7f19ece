package io.ticketrush.web;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.ticketrush.redis.sales.SaleAdmin;
import io.ticketrush.sale.Sale;
import io.ticketrush.sale.Standing;
import io.ticketrush.settings.AdminSettings;
import io.ticketrush.settings.InvalidSettingsException;
import io.ticketrush.settings.ShedSettings;
import io.ticketrush.shed.NodeAdmission;
import io.ticketrush.stats.AdmissionRate;
import io.ticketrush.stats.NodeReport;
import io.ticketrush.stats.NodeStats;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The administration of sales, served only on the node's admin connector ({@code rush.admin.port},
 * bound to loopback or {@code rush.admin.host}): on any other connector, the public port included,
 * {@code /admin/*} is the 404 of an unknown path, whatever the method. There, {@code POST} with header
 * {@code X-Admin-Token} (refused without the token of {@code rush.admin.token.file}); each request is
 * recorded in the admin audit log ({@link AdminAudit}):
 *
 * <ul>
 * <li>{@code /admin/sales?id=G1234&stock=500[&opens=+30|ISO-8601|ms][&closes=...][&name=...][&limit=1][&pay-within=300]
 *     [&buyers=signed|open][&queue=RATE|auto[&pow=BITS]]}: a new sale, 201; 400 if a value breaks a rule, 409
 *     if the sale exists. Its buyers are signed (each request carries a token naming them) unless
 *     {@code buyers=open}; with {@code queue} its buyers wait in a room and RATE places a second are
 *     admitted from the opening, each joiner first solving a puzzle of BITS (docs/queue.md);
 *     {@code queue=auto}: the rate derived from the cluster's measured capacity to sell
 *     ({@link AdmissionRate}), 409 {@code not_measured} while no node up has measured one;</li>
 * <li>{@code /admin/sales/close?id=G1234}: closes the sale now;</li>
 * <li>{@code /admin/sales/reset?stock=N[&id=G1234]}: a fresh start of the sale (the default sale when
 *     none is named), its orders dropped;</li>
 * <li>{@code /admin/refresh}: reads the sales again now (after a change made through another node);</li>
 * <li>{@code /admin/reset-local[?sale=G1234]}: starts this node's local stock of the sale afresh;</li>
 * <li>{@code /admin/shed[?limit=N]}: how many buyers this node lets wait for Redis at once (as
 *     {@code rush.shed.limit}; 0: no bound; also the bounds of the rooms' and the order paths), from now on; without it, the bound in force, unchanged.</li>
 * </ul>
 *
 * None needs a node restart. A change made here is seen by this node at once, by the others
 * within {@code rush.sync.ms}, or at once after their {@code /admin/refresh}.
 */
public final class AdminServlet extends JsonServlet {
    private static final Logger LOG = Logger.getLogger(AdminServlet.class.getName());
    /** {@code queue=auto}: the rate derived from the cluster's measured capacity ({@link AdmissionRate}). */
    static final String AUTO = "auto";

    private transient AdminAudit audit;
    /** The addresses the admin connector listens on; null: every address of the machine. */
    private transient List<InetAddress> adminAddresses;

    public AdminServlet() {
        super("POST");
    }

    @Override
    public void init() {
        super.init();
        AdminSettings admin = app().settings().admin();
        audit = new AdminAudit(Path.of(admin.auditLog()));
        try {
            InetAddress[] all = InetAddress.getAllByName(admin.host());
            adminAddresses = Arrays.stream(all).anyMatch(InetAddress::isAnyLocalAddress) ? null : List.of(all);
        } catch (UnknownHostException e) {
            LOG.severe("rush.admin.host=" + admin.host() + " does not resolve: admin is unreachable (" + e + ")");
            adminAddresses = List.of();
        }
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws ServletException, IOException {
        if (!onAdminConnector(request)) {
            // as an unknown path: the public port does not say that admin exists
            Json.write(response, HttpServletResponse.SC_NOT_FOUND,
                    ErrorServlet.body(HttpServletResponse.SC_NOT_FOUND, request.getMethod(), request.getRequestURI()));
            return;
        }
        super.service(request, response);
    }

    /** Whether the request came in on the admin connector: its port, on its address. */
    private boolean onAdminConnector(HttpServletRequest request) {
        AdminSettings admin = app().settings().admin();
        if (!admin.on() || request.getLocalPort() != admin.port()) {
            return false;
        }
        if (adminAddresses == null) {
            return true;
        }
        try {
            return adminAddresses.contains(InetAddress.getByName(request.getLocalAddr()));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    @Override
    protected void answered(HttpServletRequest request, Reply reply) {
        Map<String, String[]> params;
        try {
            params = request.getParameterMap();
        } catch (RuntimeException e) {
            params = Map.of("(undecodable)", new String[] {""});
        }
        Object error = reply.body() instanceof Map<?, ?> body ? body.get("error") : null;
        try {
            audit.record(request.getRemoteAddr(), request.getMethod(), request.getPathInfo() == null ? ""
                    : request.getPathInfo(), params, reply.status(), error == null ? null : error.toString());
        } catch (RuntimeException e) {
            // the action is done (or refused) whatever the log: say so loudly rather than hide its answer
            LOG.log(Level.SEVERE, "admin request not audited: " + request.getMethod() + " " + request.getRequestURI()
                    + " from " + request.getRemoteAddr() + " -> " + reply.status(), e);
        }
    }

    @Override
    protected Reply handle(HttpServletRequest request) {
        String expected = app().settings().admin().token();
        if (expected == null) {
            return new Reply(HttpServletResponse.SC_FORBIDDEN,
                    Json.error("admin_disabled", "admin is disabled: no rush.admin.token.file is configured"));
        }
        String given = request.getHeader("X-Admin-Token");
        if (given == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8))) {
            return new Reply(HttpServletResponse.SC_FORBIDDEN, Json.error("forbidden", "wrong or missing X-Admin-Token"));
        }
        String action = request.getPathInfo() == null ? "" : request.getPathInfo();
        return switch (action) {
            case "/sales" -> create(request);
            case "/sales/close" -> answer(HttpServletResponse.SC_OK, "closed", admin().close(id(request)));
            case "/sales/reset" -> reset(request);
            case "/refresh" -> {
                app().sales().refresh(true);
                yield Reply.ok(Json.body(Json.OK, "sales read again", Map.of("sales", app().sales().all().size())));
            }
            case "/reset-local" -> {
                Sale sale = app().sales().sale(sale(request));
                int quota = app().settings().localStockFor(sale);
                app().sales().seller(sale.id()).resetLocal(quota);
                yield Reply.ok(Json.body(Json.OK, "local stock reset", Map.of("sale", sale.id(), "quota", quota)));
            }
            case "/shed" -> shed(request);
            default -> new Reply(HttpServletResponse.SC_NOT_FOUND,
                    Json.error("not_found", "no such admin action: " + request.getRequestURI()));
        };
    }

    private SaleAdmin admin() {
        return app().redis().admin();
    }

    private static String id(HttpServletRequest request) {
        return Sale.requireId("id", param(request, "id"));
    }

    private Reply create(HttpServletRequest request) {
        String id = id(request);
        app().refuseArchived(id); // an archived sale whose tombstone left Redis: only the database knows it
        OptionalInt rate = queueRate(request);
        if (rate.isEmpty()) {
            return new Reply(HttpServletResponse.SC_CONFLICT, Json.error("not_measured", "queue=auto: no node up has"
                    + " measured its capacity to sell yet (the most tickets a second it sold in a half second with a buy"
                    + " p99 within " + (long) NodeStats.CAPACITY_P99_MILLIS + " ms: a rush such as ./rush bench measures"
                    + " it); give queue=RATE"));
        }
        String opens = param(request, "opens");
        String closes = param(request, "closes");
        String name = param(request, "name");
        Sale sale = new Sale(id, name == null ? id : name, number(request, "stock", null),
                opens == null ? 0 : admin().moment("opens", opens), closes == null ? 0 : admin().moment("closes", closes),
                (int) number(request, "limit", (long) app().settings().store().perUserLimit()),
                number(request, "pay-within", app().settings().store().orderTtlMillis() / 1000) * 1000, 0,
                (int) Math.min(Integer.MAX_VALUE, number(request, "buckets", 0L)),
                Sale.signedBuyers(Objects.requireNonNullElse(param(request, "buyers"), Sale.SIGNED)))
                .withQueue(rate.getAsInt(), (int) Math.min(Integer.MAX_VALUE, number(request, "pow", 0L)));
        return answer(HttpServletResponse.SC_CREATED, "created", admin().create(sale));
    }

    /**
     * A queued sale's admission rate: {@code queue=RATE} as given, or {@code queue=auto} derived from
     * the cluster's measured capacity ({@link AdmissionRate}: half the tickets a second the nodes up
     * have sold in time, as their last reports say); empty when no node up has measured it yet.
     */
    private OptionalInt queueRate(HttpServletRequest request) {
        if (!AUTO.equals(param(request, "queue"))) {
            return OptionalInt.of((int) Math.min(Integer.MAX_VALUE, number(request, "queue", 0L)));
        }
        List<NodeReport> reports = app().cluster().reports();
        return AdmissionRate.derive(reports, System.currentTimeMillis());
    }

    private Reply reset(HttpServletRequest request) {
        String id = param(request, "id") == null ? Sale.DEFAULT : id(request);
        long dropped = admin().reset(id, number(request, "stock", null));
        app().sales().refresh(true);
        return Reply.ok(Json.body(Json.OK, "reset", Map.of("sale", id, "ordersDropped", dropped)));
    }

    private Reply answer(int status, String msg, Sale sale) {
        app().sales().refresh(true);
        long sold = app().redis().admin().stock(sale.id()).map(s -> s.sold()).orElse(0L);
        return new Reply(status, Json.body(Json.OK, msg, SaleViews.view(new Standing(sale, sold), app().sales().now())));
    }

    /** Changes this node's bound on buyers in flight when {@code limit} is given, then shows it. */
    private Reply shed(HttpServletRequest request) {
        NodeAdmission admission = app().admission();
        String limit = param(request, "limit");
        if (limit != null) {
            try {
                ShedSettings changed = ShedSettings.from(name -> "rush.shed.limit".equals(name) ? limit : null);
                admission.change(changed);
                app().roomAdmission().change(changed);
                app().orderAdmission().change(changed);
            } catch (InvalidSettingsException e) {
                throw new BadRequestException(e.getMessage());
            }
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("limit", admission.settings().limit());
        view.put("inFlight", admission.inFlight());
        view.put("shed", admission.shed());
        return Reply.ok(Json.body(Json.OK, "buyers waiting for Redis: " + admission, view));
    }

    /** A whole number parameter; required when {@code absent} is null. */
    private static long number(HttpServletRequest request, String name, Long absent) {
        String value = param(request, name);
        if (value == null) {
            if (absent == null) {
                throw new BadRequestException(name + " is required");
            }
            return absent;
        }
        if (!value.matches("[0-9]{1,12}")) {
            throw new BadRequestException(name + " must be a whole number");
        }
        return Long.parseLong(value);
    }
}
