-- names.lua: every name and number the scripts share with Java, one per line.
-- Java holds the same values (io.ticketrush.redis.Keys, io.ticketrush.order.Order, OrderIds,
-- io.ticketrush.sale.Outcome and the script replies); LuaNamesTest fails when the two differ.

-- the stock hash: the article's two fields, then the books the orders keep
local TOTAL = 'ticket_total_nums'
local SOLD = 'ticket_sold_nums'
local PAID = 'ticket_paid_nums'
local EXPIRED = 'ticket_expired_nums'
local VOIDED = 'ticket_voided_nums'
local ID_BASE = 'order_id_base'
local SEQ = 'order_seq'
-- a sale's definition, next to its counters
local NAME = 'name'
local OPENS_AT = 'opens_at'
local CLOSES_AT = 'closes_at'
local USER_LIMIT = 'user_limit'
local PAY_MS = 'pay_ms'
local BUYERS = 'buyers'
local MOVES = 'ticket_moves'
-- a hot sale's bucket count (its stock lies in its buckets)
local BUCKETS = 'buckets'
-- a hot sale's home, once its archiving began (archive_sale.lua 'mark'): its buckets go one by one
local ARCHIVING = 'archiving'
-- money the payment provider took for orders that had expired or were voided: owed back
local REFUNDS_DUE = 'refunds_due'
-- orders their buyers cancelled while pending
local CANCELLED = 'ticket_cancelled_nums'
-- a queued sale (docs/queue.md): its rate and puzzle, arrivals after the opening, places admitted,
-- passes lapsed unused, tickets come back
local QUEUE_RATE = 'queue_rate'
local POW_BITS = 'pow_bits'
local QUEUE_SEQ = 'queue_seq'
local QUEUE_ADMITTED = 'queue_admitted'
local QUEUE_LAPSED = 'queue_lapsed'
local QUEUE_RETURNED = 'queue_returned'
-- an order's fields, in its stream events and (in the order of ORDER, see orders.lua) in the orders hash
local ID = 'id'
local USER = 'user'
local NODE = 'node'
local CREATED = 'created'
local DEADLINE = 'deadline'
local STATE = 'state'
local CLOSED = 'closed'
local EVENT = 'event'
local RID = 'rid'
local BATCH = 'batch'
local SEP = '|'
-- a payment's fields (in the order of PAYMENT, see payments.lua) in the sale's payments hash; the
-- paid and refund_due events carry PAYMENT (its id) and AMOUNT too
local PAY_ORDER = 'order'
local AMOUNT = 'amount'
local SETTLED_BY = 'settled_by'
local PAYMENT = 'payment'
-- an order's states, and the event that creates one (the others are named after their state)
local PENDING_STATE = 'pending'
local PAID_STATE = 'paid'
local EXPIRED_STATE = 'expired'
local VOIDED_STATE = 'voided'
local CANCELLED_STATE = 'cancelled'
local CREATED_EVENT = 'created'
-- a payment's states: started, then succeeded (its order paid) or refund_due (money for an order that
-- had expired or was voided); the event that records a refund due
local STARTED_PAYMENT = 'started'
local SUCCEEDED_PAYMENT = 'succeeded'
local REFUND_DUE_PAYMENT = 'refund_due'
local REFUND_DUE_EVENT = 'refund_due'
-- a buy call's entry in the batches hash: voided before it ran, or settled
local VOID_MARK = 'void'
local SETTLED = 'ok'
-- the most orders one sale numbers after its id base
local MAX_SEQ = 9999999

-- what a buy answers, per buyer or for the whole call: an outcome has the number the JSON
-- answers carry (io.ticketrush.sale.Outcome); the others never reach a buyer (BuyReply)
local CODE = {}
CODE.TICKET = 1
CODE.EXISTING = 2
CODE.SOLD_OUT = -1
CODE.NOT_OPEN = -2
CODE.CLOSED = -3
CODE.EXPIRED = -4
CODE.NOT_ADMITTED = -5
CODE.TRY_AGAIN = 3
CODE.NO_ORDER = 4
CODE.NO_SALE = -10
CODE.TOO_LATE = -11
CODE.VOIDED = -12
CODE.NO_ID_BASE = -13
CODE.NUMBERS_USED_UP = -14
CODE.RESET_SINCE = -15

-- what starting a payment answers (io.ticketrush.order.Payment.Start)
local START = {}
START.STARTED = 1
START.RESUMED = 2
START.ALREADY_PAID = 3
START.UNKNOWN = -1
START.EXPIRED = -2
START.NOT_YOURS = -3
START.VOIDED = -4
START.CANCELLED = -5

-- what the provider's word that a payment succeeded answers (io.ticketrush.order.Payment.Confirmation)
local CONFIRM = {}
CONFIRM.PAID = 1
CONFIRM.ALREADY_PAID = 2
CONFIRM.REFUND_DUE = 3
CONFIRM.UNKNOWN = -1
CONFIRM.MISMATCH = -2

-- the long run (docs/orders.md, "What Redis keeps"): in the stock hash, the order event id below
-- which the stream was trimmed (a node's order feed that read less than that loads the sale again)
local EVENTS_TRIMMED = 'order_events_trimmed_to'

-- what cancelling an order answers (io.ticketrush.order.OrderBook.Cancel)
local CANCEL = {}
CANCEL.CANCELLED = 1
CANCEL.UNKNOWN = -1
CANCEL.NOT_YOURS = -2
CANCEL.ALREADY_PAID = -3
CANCEL.NOT_PENDING = -4

-- what the waiting room's scripts answer for the whole call (io.ticketrush.redis.queue.RedisQueue)
local ROOM = {}
ROOM.NO_SALE = -1
ROOM.NOT_QUEUED = -2
ROOM.CLOSED = -3

-- what queue_pass.lua says of a pass issued (io.ticketrush.redis.script.RoomReply.PassUse)
local PASS_USE = {}
PASS_USE.UNSPENT = 0
PASS_USE.SPENT = 1
PASS_USE.CONFIRMING = 2

-- what queue_leave.lua answers (io.ticketrush.redis.script.RoomReply.Leave)
local LEAVE = {}
LEAVE.ADMITTED = 1
LEAVE.WAITING = 2
LEAVE.SPENT = -1
LEAVE.NOT_IN_ROOM = -2

-- a waiting buyer who left the room: its pass, when its place is admitted, lapses at the next step
local LEFT_MARK = -2
-- a pass handed back (queue_leave.lua): due, it lapses at the next admission step
local HANDED_BACK = 1
