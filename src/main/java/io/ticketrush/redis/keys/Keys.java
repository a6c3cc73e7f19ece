package io.ticketrush.redis.keys;

import java.util.List;

import io.ticketrush.redis.script.LuaScripts;
import io.ticketrush.redis.stock.RedisBuckets;
import io.ticketrush.sale.Sale;

/**
 * Every Redis key and hash field name, defined here and nowhere else but in the Lua scripts'
 * {@code lua/lib/names.lua}, which LuaNamesTest holds equal to these constants.
 *
 * <p>An instance holds the keys of one sale. Every key of a sale carries the sale's hash tag, so
 * that one Redis, a replicated one and a Redis Cluster run the same scripts: {@code rush:{G1234}:stock},
 * {@code rush:{G1234}:order:17960256675700001}, ... The default sale keeps its names: its stock
 * is the hash {@code ticket_hash_key}, and its other keys take that name as their tag
 * ({@code rush:{ticket_hash_key}:order-seq}), which Redis Cluster hashes to the same slot as the
 * bare {@code ticket_hash_key}. The keys of no sale (the list of sales, the nodes' and the
 * writer's reports) are static.
 */
public final class Keys {
    public static final String PREFIX = "rush:";

    /** The stock hash: the article's two fields, then the books the orders keep. */
    public static final String TOTAL = "ticket_total_nums";
    public static final String SOLD = "ticket_sold_nums";
    public static final String PAID = "ticket_paid_nums";
    public static final String EXPIRED = "ticket_expired_nums";
    /** Tickets of calls whose node never got the answer, given back ({@link LuaScripts#VOID}). */
    public static final String VOIDED = "ticket_voided_nums";
    /** The sale's order id base ({@link OrderIds}), and the last order number after it. */
    public static final String ID_BASE = "order_id_base";
    public static final String SEQ = "order_seq";

    /**
     * An order's fields: in an order event of the stream (which adds {@link #EVENT}), and, in the
     * order of {@link #ORDER}, in its entry of {@link #orders()}.
     */
    public static final String ID = "id";
    public static final String USER = "user";
    public static final String NODE = "node";
    public static final String CREATED = "created";
    public static final String DEADLINE = "deadline";
    public static final String STATE = "state";
    public static final String CLOSED = "closed";
    public static final String EVENT = "event";
    /** The request id that bought the order ('' for none). */
    public static final String RID = "rid";
    /** The buy call (its batch token) that made the order. */
    public static final String BATCH = "batch";
    /** The event that creates an order (the others are named after the state they move it to). */
    public static final String CREATED_EVENT = "created";
    /** A batch's entry in {@link #batches()} once its call has been voided before it ran. */
    public static final String VOID_MARK = "void";
    /** What a settled call's entry in {@link #batches()} starts with. */
    public static final String SETTLED = "ok";

    /**
     * An order as {@link #orders()} holds it: these fields joined by {@link #ORDER_SEPARATOR}
     * (user and request ids cannot hold it). {@link #CLOSED} is when it was paid, expired or
     * voided (empty while pending).
     */
    public static final List<String> ORDER = List.of(STATE, USER, NODE, CREATED, DEADLINE, CLOSED, RID, BATCH);
    public static final String ORDER_SEPARATOR = "|";

    /** A sale's definition, in its stock hash next to its counters ({@link Sale}). */
    public static final String NAME = "name";
    public static final String OPENS_AT = "opens_at";
    public static final String CLOSES_AT = "closes_at";
    public static final String USER_LIMIT = "user_limit";
    public static final String PAY_MS = "pay_ms";
    /** Transfers a hot sale's bucket took part in, given or taken: moves on with each ({@link RedisBuckets}). */
    public static final String MOVES = "ticket_moves";
    /**
     * Who buys in the sale: {@link Sale#SIGNED} (a token names the buyer) or {@link Sale#OPEN} (the
     * request does); absent (the default sale made by a bare HMSET, a sale made before buyers were
     * signed) is open.
     */
    public static final String BUYERS = "buyers";
    /** A hot sale's bucket count (its stock lies in its buckets' stock hashes); absent for others. */
    public static final String BUCKETS = "buckets";
    /**
     * In a hot sale's stock hash (its home) once its archiving began (docs/archive.md): its buckets,
     * in other slots, go one by one, the home last; a sale marked so is not reset again.
     */
    public static final String ARCHIVING = "archiving";
    /** Payments the provider confirmed for orders that had expired or were voided: money owed back. */
    public static final String REFUNDS_DUE = "refunds_due";
    /** Orders their buyers cancelled while pending: their tickets went back. */
    public static final String CANCELLED = "ticket_cancelled_nums";

    /**
     * A queued sale (docs/queue.md): passes a second from the opening ({@link Sale#queueRate}; absent
     * or 0: not queued), the join puzzle's bits ({@link Sale#powBits}), the arrivals after the opening
     * so far (the next one's place is 1 + this), places admitted so far (each given a pass), passes
     * that lapsed unused and tickets that came back (each of either admits one more place).
     */
    public static final String QUEUE_RATE = "queue_rate";
    public static final String POW_BITS = "pow_bits";
    public static final String QUEUE_SEQ = "queue_seq";
    public static final String QUEUE_ADMITTED = "queue_admitted";
    public static final String QUEUE_LAPSED = "queue_lapsed";
    public static final String QUEUE_RETURNED = "queue_returned";

    /**
     * A payment's fields, in the order of {@link #PAYMENT}, in its entry of {@link #payments()}: its
     * state, its order, its amount (in the currency's smallest unit), when it started and was
     * settled (empty until then), the provider's event that settled it. The paid and refund_due
     * events of the order stream name their payment ({@link #PAYMENT_ID}) and {@link #AMOUNT}.
     */
    public static final String PAY_ORDER = "order";
    public static final String AMOUNT = "amount";
    public static final String SETTLED_BY = "settled_by";
    public static final String PAYMENT_ID = "payment";
    public static final List<String> PAYMENT = List.of(STATE, PAY_ORDER, AMOUNT, CREATED, CLOSED, SETTLED_BY);

    /**
     * The order writer's counters: orders in the database, when it last wrote (ms), when it last
     * read events (ms, with replicas only), and the entries it set aside in {@link #orderDeadLetters()}.
     */
    public static final String IN_DATABASE = "orders";
    public static final String LAST_WRITE = "lastWrite";
    public static final String LAST_READ = "lastRead";
    public static final String DEAD_LETTERS = "deadLetters";
    /**
     * The writers' lag: order events in the streams that no writer has written yet, as a writer last
     * counted them (every second while one runs), and when it did (ms).
     */
    public static final String LAG = "lag";
    public static final String LAG_AT = "lagAt";

    /**
     * In the stock hash: the order event id below which the sale's order stream was trimmed (the
     * events every writer had written; lua/trim_events.lua). A node's order feed that read less
     * than that may have missed events, and loads who holds what again.
     */
    public static final String EVENTS_TRIMMED = "order_events_trimmed_to";

    /** A dead letter: the entry's fields as written, plus why it was set aside and its id in the order stream. */
    public static final String REASON = "reason";
    public static final String STREAM_ID = "streamId";
    /** The sale whose stream a dead letter came from. */
    public static final String SALE = "sale";

    private final String sale;
    private final String stock;
    /** {@code rush:{TAG}:}: what every key of the sale but its stock starts with. */
    private final String prefix;

    private Keys(String sale, String stock, String tag) {
        this.sale = sale;
        this.stock = stock;
        this.prefix = PREFIX + "{" + tag + "}:";
    }

    /** The keys of the default sale, whose stock is the hash {@code stockKey} ({@code rush.stock.key}). */
    public static Keys ofDefault(String stockKey) {
        return new Keys(Sale.DEFAULT, stockKey, stockKey);
    }

    /** The keys of sale {@code id} ({@link Sale#DEFAULT} is the default sale's: see {@link #ofDefault}). */
    public static Keys of(String id, String defaultStockKey) {
        return Sale.DEFAULT.equals(id) ? ofDefault(defaultStockKey)
                : new Keys(id, PREFIX + "{" + id + "}:stock", id);
    }

    /** The sale these keys are of. */
    public String sale() {
        return sale;
    }

    /** The sale's hash: its counters ({@link #TOTAL}, {@link #SOLD}, ...) and its definition ({@link #NAME}, ...). */
    public String stock() {
        return stock;
    }

    /** The sale's orders: order id -> the order ({@link #ORDER}). */
    public String orders() {
        return prefix + "orders";
    }

    /** The stream of the sale's order events (created / paid / expired / voided). */
    public String orderStream() {
        return prefix + "order-events";
    }

    /** Pending orders scored by deadline, for the sweep. */
    public String pending() {
        return prefix + "pending";
    }

    /** User -> the ids of the user's pending and paid orders, comma separated (the per-user limit). */
    public String holders() {
        return prefix + "holders";
    }

    /** User -> the ids of every order the user ever had in the sale, comma separated. */
    public String history() {
        return prefix + "history";
    }

    /** {@code user:rid} -> the order a request made, so a retried request gets the same order. */
    public String requests() {
        return prefix + "requests";
    }

    /**
     * The buy calls that made orders, by batch token: "GIVE_UP|ids" while unsettled (the moment on
     * Redis's clock after which the node has given up on it, and the orders it made; an order of
     * an unsettled call is nobody's yet), {@link #SETTLED}{@code |ids} once its node, having the
     * answer, settled it (before it told its buyers), or {@link #VOID_MARK} for a call voided
     * before it ran.
     */
    public String batches() {
        return prefix + "batches";
    }

    /**
     * The unsettled calls by the moment their node gives up on them (a sorted set of batch tokens):
     * while one holds tickets, a buyer who finds the stock gone is told to try again, not "sold
     * out", and one past that moment is voided by the buy that finds it.
     */
    public String unsettled() {
        return prefix + "unsettled";
    }

    /** Orders a buyer has been told of as "you already have a ticket": voiding their call leaves them be. */
    public String seen() {
        return prefix + "seen";
    }

    /**
     * In a Redis Cluster, the entries of this sale's order stream the writer set aside (elsewhere
     * they go to {@link #orderDeadLetters()}): the MULTI that keeps them and acknowledges their
     * entries must stay in the sale's slot.
     */
    public String deadLetters() {
        return prefix + "order-dead-letters";
    }

    /**
     * Tickets this bucket of a hot sale gave to another and that have not been confirmed there:
     * transfer id -> "TO|N|AT" (the receiving bucket's id, the tickets, when, on Redis's clock).
     */
    public String transfers() {
        return prefix + "transfers";
    }

    /** The transfer ids this bucket of a hot sale has been given (a transfer is given once). */
    public String received() {
        return prefix + "received";
    }

    /** The sale's payments: payment id -> the payment ({@link #PAYMENT}). */
    public String payments() {
        return prefix + "payments";
    }

    /** Order id -> the id of the order's latest payment (starting again answers it while it is started). */
    public String orderPayments() {
        return prefix + "order-payments";
    }

    /**
     * The answer to the payment provider's event {@code eventId}, kept for a while (the key
     * expires) so that the same event again is answered as the first time and applied once.
     * {@code eventId} is checked by the caller (letters, digits, {@code _ -}).
     */
    public String paymentEvent(String eventId) {
        return prefix + "payment-event:" + eventId;
    }

    /** The orders the order writer has put in the database. */
    public String persisted() {
        return prefix + "persisted";
    }

    /**
     * A queued sale's waiting room: user -> place score. Who joined before the opening has a random
     * score in [0, 1) (the lottery), who joined after it 1 + their arrival number ({@link #QUEUE_SEQ}).
     */
    public String queue() {
        return prefix + "queue";
    }

    /**
     * A queued sale's passes: user -> until when (ms, Redis's clock) the pass buys; 0 once it lapsed
     * unused, -1 once it was spent and its time is over.
     */
    public String queuePasses() {
        return prefix + "queue-passes";
    }

    /** The users whose pass bought their ticket (a pass buys once). */
    public String queueSpent() {
        return prefix + "queue-spent";
    }

    /** The KEYS every script that changes the sale's orders takes, in the order of lua/lib/sale_keys.lua. */
    public List<String> forScripts() {
        return List.of(stock, orderStream(), pending(), orders(), holders(), history(), requests(), batches(), seen(),
                unsettled(), queue(), queuePasses(), queueSpent());
    }

    /** The ids of the sales created besides the default one (a set; its tag: {@link #salesVersion()}'s slot). */
    public static String sales() {
        return PREFIX + "{sales}:ids";
    }

    /** Counts every change to the sales (created, closed, reset): nodes reload them when it moves. */
    public static String salesVersion() {
        return PREFIX + "{sales}:version";
    }

    /**
     * The archived sales' tombstones: id -> {@code archivedAt|total|sold|paid|closesAt|name}. An id here is
     * never created again (docs/archive.md); its tag is {@link #sales()}'s slot.
     */
    public static String archivedSales() {
        return PREFIX + "{sales}:archived";
    }

    /** Which node archives the finished sales for now (a string that expires: the lease). */
    public static String archiver() {
        return PREFIX + "{sales}:archiver";
    }

    /**
     * The last order id base handed out ({@link OrderIds}); kept by a reset, so that a sale never
     * numbers its orders where an earlier one did.
     */
    public static String idBases() {
        return PREFIX + "id-bases";
    }

    /**
     * Order stream entries the writer could not write (malformed, or an order id the database
     * holds for another order), acknowledged and kept here for a person to look at.
     */
    public static String orderDeadLetters() {
        return PREFIX + "order-dead-letters";
    }

    /**
     * Counters the order writer keeps ({@link #IN_DATABASE}, {@link #LAST_WRITE}, {@link #LAST_READ},
     * {@link #DEAD_LETTERS}).
     */
    public static String writerStats() {
        return PREFIX + "writer-stats";
    }

    /** Each node's latest report for the dashboard: field = the node's port, value = JSON. */
    public static String nodeStats() {
        return PREFIX + "node-stats";
    }

    @Override
    public String toString() {
        return "keys of sale " + sale + " (" + stock + ")";
    }
}
