// ticket-rush buy page: pick a sale (a train), buy a ticket of it, see your orders in every sale
// with the time left to pay, pay one (through the payment provider's checkout, and back). Talks to the
// same JSON endpoints as curl does: GET /sales, POST /buy/ticket, GET /orders, POST /pay, GET /order.
// A queued sale's Buy joins its waiting room first (GET /queue/challenge, the puzzle solved by
// js/puzzle.js, POST /queue/join, GET /queue) and buys with the pass (X-Queue-Pass): docs/queue.md.
// Needs js/sales.js first. (Not /stock: through Nginx it answers the operators' addresses only.)
// Signing in (POST /login, the demo login, when the operator turned it on) gets a token that every
// call then carries as Authorization: Bearer; a sale with signed buyers sells to signed-in buyers only.
'use strict';

(function () {
  const $ = (selector) => document.querySelector(selector);
  const Sales = window.RushSales;
  const userInput = $('#user');
  const answerBox = $('#answer');
  const payBox = $('#pay-answer');
  const salesBody = $('#sales tbody');
  const ordersBody = $('#orders tbody');
  const USER_KEY = 'ticket-rush.user';
  const TOKEN_KEY = 'ticket-rush.token';
  const signinBox = $('#signin-answer');
  const DEFAULT_SALE = 'default'; // the article's sale: what /buy/ticket sells when no sale is named
  const SALES_EVERY_MS = 2000;

  /** The sales as last listed, in the server's order, and by id. */
  let sales = [];
  let salesById = new Map();
  /** The sale the buyer buys from: null until the list arrived or the buyer picked one. */
  let picked = null;
  let salesTimer = null;
  /** Loads of the list: the last one asked for, the last one drawn, when the last one was asked for. */
  let salesAsked = 0;
  let salesDrawn = 0;
  let salesAskedAt = -Infinity;

  /** Orders as last loaded, each with dueAt: when its time to pay ends, on this page's monotonic clock. */
  let orders = [];
  let shownUser = null;
  let refreshTimer = null;

  /** The sign-in: {token, user, expiresAt} from POST /login, or null. */
  let signedIn = readSignIn();

  function readSignIn() {
    try {
      const kept = JSON.parse(localStorage.getItem(TOKEN_KEY));
      return kept && kept.token && kept.user ? kept : null;
    } catch (notJson) {
      return null;
    }
  }

  /** One call; never throws: {status, json} with status 0 when nothing answered. */
  async function call(method, url, form, headers) {
    const init = { method, cache: 'no-store', headers: Object.assign({}, headers) };
    const sentToken = signedIn ? signedIn.token : null;
    if (sentToken) {
      init.headers.Authorization = 'Bearer ' + sentToken;
    }
    if (form) {
      init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = new URLSearchParams(form).toString();
    }
    try {
      const response = await fetch(url, init);
      let json = null;
      try {
        json = await response.json();
      } catch (notJson) {
        json = null;
      }
      if (response.status === 401 && sentToken && signedIn && signedIn.token === sentToken) {
        // the token no longer names anyone (expired, its key retired): signed out
        signOut('Your sign-in ended (' + (json && json.msg ? json.msg : 'the token was refused') + '). Sign in again.');
      }
      return { status: response.status, json };
    } catch (failed) {
      return { status: 0, json: null };
    }
  }

  function show(box, kind, title, detail) {
    box.className = 'answer ' + kind;
    box.replaceChildren();
    const strong = document.createElement('strong');
    strong.textContent = title;
    box.appendChild(strong);
    if (detail) {
      const small = document.createElement('div');
      small.className = 'detail';
      small.textContent = detail;
      box.appendChild(small);
    }
  }

  /** A sale as a buyer reads it: its name, and its id when the name is not just the id. */
  function saleTitle(id) {
    const sale = salesById.get(id);
    return sale && sale.name && sale.name !== id ? sale.name + ' (' + id + ')' : String(id);
  }

  /** The answer to anything that is not a 200, in words. */
  function failure(box, result, what) {
    const msg = result.json && result.json.msg ? result.json.msg : '';
    if (result.status === 0) {
      show(box, 'busy', 'No answer', 'The ticket servers could not be reached. Try again.');
    } else if (result.status === 503) {
      show(box, 'busy', 'Busy, try again', msg || 'The ticket servers are overloaded right now.');
    } else if (result.status === 429) {
      show(box, 'busy', 'Too many requests', 'Slow down a little, then try again.');
    } else if (result.status === 400) {
      show(box, 'bad', 'Bad input', msg);
    } else if (result.status === 401) {
      show(box, 'info', 'Sign in first', 'This train sells to signed-in buyers only: enter your name and press Sign in.');
    } else if (result.status === 403 && result.json && result.json.error === 'forbidden') {
      show(box, 'bad', 'Not you', 'You are signed in as ' + (signedIn ? signedIn.user : 'someone else') + '. ' + msg);
    } else if (result.status === 404 && result.json && result.json.error === 'unknown_sale') {
      show(box, 'bad', 'No such train', msg || 'That sale does not exist (any more). Pick another one.');
    } else {
      show(box, 'bad', what + ' failed (' + result.status + ')', msg);
    }
  }

  // ------------------------------------------------------------------ the sales

  async function loadSales() {
    clearTimeout(salesTimer);
    const asked = ++salesAsked;
    salesAskedAt = performance.now();
    const result = await Sales.load();
    if (asked < salesDrawn) {
      return; // a later list is on screen already
    }
    const note = $('#sales-note');
    if (result.sales) {
      salesDrawn = asked;
      sales = result.sales;
      salesById = new Map(sales.map((sale) => [sale.id, sale]));
      note.textContent = '';
      if (picked === null) {
        picked = firstPick();
      }
      renderSales();
      renderOrderSales();
    } else {
      note.textContent = 'Could not load the list of sales ('
        + (result.status === 0 ? 'no answer' : result.status) + '); trying again.';
    }
    if (asked === salesAsked) {
      clearTimeout(salesTimer);
      salesTimer = setTimeout(loadSales, SALES_EVERY_MS);
    }
  }

  /** The sale picked for the buyer: the page's ?sale=, else the article's sale while open, else the first open one. */
  function firstPick() {
    const asked = new URLSearchParams(location.search).get('sale');
    if (asked && salesById.has(asked)) {
      return asked;
    }
    const now = Sales.now();
    const article = salesById.get(DEFAULT_SALE);
    if (article && Sales.stateAt(article, now) === 'open') {
      return DEFAULT_SALE;
    }
    const open = sales.find((sale) => Sales.stateAt(sale, now) === 'open');
    if (open) {
      return open.id;
    }
    return article ? DEFAULT_SALE : (sales.length > 0 ? sales[0].id : null);
  }

  /** Draws the list, keeping each sale's row (and the buyer's pick) across redraws. */
  function renderSales() {
    if (sales.length === 0) {
      salesBody.innerHTML = '<tr><td colspan="5" class="empty">No sale yet.</td></tr>';
      return;
    }
    salesBody.querySelectorAll('tr:not([data-sale])').forEach((row) => row.remove());
    const rows = new Map([...salesBody.querySelectorAll('tr[data-sale]')].map((row) => [row.dataset.sale, row]));
    for (const sale of sales) {
      let row = rows.get(sale.id);
      rows.delete(sale.id);
      if (!row) {
        row = saleRow(sale.id);
      }
      salesBody.appendChild(row); // in the list's order
      row.querySelector('.name').textContent = sale.name || sale.id;
      row.querySelector('.signed').hidden = sale.buyers !== 'signed';
      row.querySelector('.id').textContent = sale.id;
      row.querySelector('.sold').textContent = sale.sold.toLocaleString('en') + ' / ' + sale.total.toLocaleString('en');
    }
    rows.forEach((row) => row.remove());
    markPicked();
    tickSales();
    showStock();
  }

  function saleRow(id) {
    const row = document.createElement('tr');
    row.dataset.sale = id;
    row.innerHTML = '<td class="pick"><input type="radio" name="sale"></td>'
      + '<td><div class="name"></div><div><span class="id mono"></span> <span class="badge signed" hidden>sign-in</span></div></td>'
      + '<td class="state"><span class="badge"></span></td>'
      + '<td class="num sold"></td><td class="when countdown"></td>';
    const radio = row.querySelector('input');
    radio.value = id;
    radio.setAttribute('aria-label', 'buy from ' + id);
    row.addEventListener('click', () => pick(id));
    return row;
  }

  function pick(id) {
    if (picked === id) {
      return;
    }
    picked = id;
    const url = new URL(location.href);
    url.searchParams.set('sale', id);
    window.history.replaceState(null, '', url);
    answerBox.replaceChildren();
    answerBox.className = 'answer';
    answerBox.removeAttribute('data-order-id');
    markPicked();
    tickSales();
    showStock();
  }

  function markPicked() {
    for (const row of salesBody.querySelectorAll('tr[data-sale]')) {
      const mine = row.dataset.sale === picked;
      row.classList.toggle('picked', mine);
      row.querySelector('input').checked = mine;
    }
  }

  /**
   * Every sale's state and countdown on the sales' clock, four times a second; a sale that opens
   * or closes by that clock flips here at once and the list is asked for again.
   */
  function tickSales() {
    const now = Sales.now();
    let turned = false;
    for (const sale of sales) {
      const row = salesBody.querySelector('tr[data-sale="' + CSS.escape(sale.id) + '"]');
      if (!row) {
        continue;
      }
      const state = Sales.stateAt(sale, now);
      turned = turned || state !== sale.state;
      const badge = row.querySelector('.state .badge');
      badge.className = 'badge ' + state;
      badge.textContent = Sales.stateWords(state);
      row.dataset.state = state;
      const next = Sales.next(sale, now).text;
      row.querySelector('.when').textContent = next || (state === 'closed' && sale.closesAt
        ? 'closed at ' + Sales.moment(sale.closesAt) : '');
    }
    renderPicked(now);
    if (turned && performance.now() - salesAskedAt > 500) {
      // the list is out of date already: hear the sale's new state from the server now, not in 2 s
      loadSales();
    }
  }

  function renderPicked(now) {
    const box = $('#picked');
    const sale = salesById.get(picked);
    if (!sale) {
      box.textContent = picked ? 'Buying from ' + picked : '';
      return;
    }
    const state = Sales.stateAt(sale, now);
    if (!box.querySelector('.badge')) {
      box.innerHTML = 'Buying from <b></b>: <span class="badge"></span> <span class="countdown"></span>';
    }
    box.querySelector('b').textContent = saleTitle(sale.id);
    box.querySelector('.badge').className = 'badge ' + state;
    box.querySelector('.badge').textContent = Sales.stateWords(state);
    box.querySelector('.countdown').textContent = Sales.next(sale, now).text;
  }

  // ------------------------------------------------------------------ buying

  async function buy(event) {
    event.preventDefault();
    const user = userInput.value.trim();
    if (!user) {
      show(answerBox, 'bad', 'Bad input', 'Enter your name or user id first.');
      userInput.focus();
      return;
    }
    if (user !== shownUser) {
      // another person at the keyboard: nothing of the last one's stays on screen
      payBox.replaceChildren();
      payBox.className = 'answer';
      orders = [];
      shownUser = null;
      ordersBody.innerHTML = '<tr><td colspan="6" class="empty">Loading your orders...</td></tr>';
    }
    if (picked === null) {
      picked = DEFAULT_SALE; // bought before the list came: the sale /buy/ticket sells by default
    }
    const sale = picked;
    const queued = salesById.get(sale);
    const room = queued && queued.queued ? rooms.get(sale) : null;
    if (queued && queued.queued && !(room && room.pass && room.user === user)) {
      await enterRoom(sale, user);
      return;
    }
    const button = $('#buy');
    button.disabled = true;
    const result = await call('POST', '/buy/ticket', { sale, user },
      room ? { 'X-Queue-Pass': room.pass } : undefined);
    if (room) {
      clearTimeout(room.timer);
      if (result.status === 503 || result.status === 0) {
        // nothing sold: if the buy ran anyway its pass comes back once it is voided; the room says when
        room.pass = null;
        room.timer = setTimeout(() => pollRoom(sale), 1000);
      } else {
        // a pass buys once: what it bought is the answer below, and the room has nothing more to say
        rooms.delete(sale);
      }
    }
    button.disabled = false;
    const body = result.json;
    const data = body && body.data ? body.data : {};
    answerBox.removeAttribute('data-order-id');
    answerBox.dataset.sale = sale;
    const title = saleTitle(data.sale || sale);
    if (result.status === 200 && body && body.code === 1) {
      answerBox.dataset.orderId = data.orderId;
      const left = data.deadline ? 'pay within ' + Sales.countdown(payWithin(data)) : '';
      if (data.existing) {
        show(answerBox, 'info', 'You already have a ticket: order #' + data.orderId,
          title + '. One ticket per person. ' + (left ? 'If it is not paid yet, ' + left + '.' : ''));
      } else {
        show(answerBox, 'ok', 'Ticket! Order #' + data.orderId,
          title + ', sold by node ' + data.node + '. Pay for it below' + (left ? ': ' + left + '.' : '.'));
      }
    } else if (result.status === 200 && body && body.code === -1) {
      show(answerBox, 'soldout', 'Sold out', 'Every ticket of ' + title
        + ' has been taken. Tickets of unpaid orders come back when their time runs out.');
    } else if (result.status === 200 && body && body.code === -2) {
      const wait = data.opensAt - Sales.now();
      show(answerBox, 'info', 'Not open yet (opens in ' + (wait > 0 ? Sales.countdown(wait) : 'a moment') + ')',
        title + ' opens at ' + Sales.moment(data.opensAt) + '. Try again then.');
    } else if (result.status === 200 && body && body.code === -3) {
      show(answerBox, 'soldout', 'Closed', title + (data.closesAt ? ' closed at ' + Sales.moment(data.closesAt) : ' is closed')
        + ': it sells no more tickets.');
    } else if (result.status === 200 && body && body.code === -4) {
      show(answerBox, 'bad', 'Too late: order #' + data.orderId + ' expired',
        'It was not paid in time and its ticket went back on sale. Buy again for a new one.');
    } else {
      failure(answerBox, result, 'Buying');
    }
    if (result.status === 400) {
      ordersBody.innerHTML = '<tr><td colspan="6" class="empty">Enter a valid user id to see your orders.</td></tr>';
    } else {
      localStorage.setItem(USER_KEY, user);
      await loadOrders(user);
    }
    loadSales();
  }

  /**
   * The time left to pay the order of a buy's answer: to its deadline on the sales' clock (Redis's,
   * on which it is judged), never more than the sale's time to pay (that clock as the page knows it
   * may be up to half a second late).
   */
  function payWithin(data) {
    const left = data.deadline - Sales.now();
    const sale = salesById.get(data.sale);
    return sale ? Math.min(left, 1000 * sale.payWithinSeconds) : left;
  }

  // ------------------------------------------------------------------ the waiting room

  /**
   * A queued sale (docs/queue.md) sells to buyers its waiting room admitted: Buy joins the room
   * (solving its puzzle first, in a worker: js/puzzle.js), the page polls where the buyer stands
   * (place, people ahead, ETA) as often as the room says, and once admitted Buy sends the pass.
   * By sale: {user, ticket, pass, timer}.
   */
  const rooms = new Map();

  async function enterRoom(sale, user) {
    if (!signedIn) {
      show(answerBox, 'info', 'Sign in first', 'This train has a waiting room: a place in it belongs to a signed-in buyer.'
        + ' Enter your name and press Sign in.');
      return;
    }
    const known = rooms.get(sale);
    if (known && known.user === user && known.ticket) {
      pollRoom(sale); // in the room already: where do I stand now
      return;
    }
    const button = $('#buy');
    button.disabled = true;
    try {
      const headers = {};
      const asked = await call('GET', '/queue/challenge?sale=' + encodeURIComponent(sale));
      if (asked.status !== 200 || !asked.json || asked.json.code !== 1) {
        failure(answerBox, asked, 'Joining the waiting room');
        return;
      }
      if (asked.json.data.required) {
        show(answerBox, 'info', 'Entering the waiting room...', 'Your browser solves a small puzzle first (it keeps'
          + ' bots from filling the room): ' + asked.json.data.bits + ' bits.');
        try {
          headers['X-Queue-Proof'] = (await window.RushPuzzle.solve(asked.json.data)).proof;
        } catch (failed) {
          show(answerBox, 'bad', 'The puzzle failed', String(failed.message || failed));
          return;
        }
      }
      const joined = await call('POST', '/queue/join?sale=' + encodeURIComponent(sale), null, headers);
      if (joined.status !== 200 || !joined.json || joined.json.code !== 1) {
        failure(answerBox, joined, 'Joining the waiting room');
        return;
      }
      rooms.set(sale, { user, ticket: joined.json.data.ticket, pass: null, timer: null });
      showRoom(sale, joined.json.data);
    } finally {
      button.disabled = false;
    }
  }

  async function pollRoom(sale) {
    const room = rooms.get(sale);
    if (!room) {
      return;
    }
    clearTimeout(room.timer);
    const polled = await call('GET', '/queue?sale=' + encodeURIComponent(sale) + '&waitlist=1', null,
      { 'X-Queue-Ticket': room.ticket });
    if (rooms.get(sale) !== room) {
      return; // left meanwhile
    }
    if (polled.status === 200 && polled.json && polled.json.code === 1) {
      room.ticket = polled.json.data.ticket || room.ticket;
      showRoom(sale, polled.json.data);
    } else {
      if (picked === sale) {
        failure(answerBox, polled, 'Waiting');
      }
      if (polled.status === 400) {
        rooms.delete(sale); // the ticket is no good any more (the sale was reset): join again with Buy
        return;
      }
      room.timer = setTimeout(() => pollRoom(sale), 2000);
    }
  }

  /** Gives the buyer's turn in `sale`'s room back (POST /queue/leave): it goes to the next place in line. */
  async function leaveRoom(sale, button) {
    button.disabled = true;
    const left = await call('POST', '/queue/leave?sale=' + encodeURIComponent(sale));
    if (left.status === 200 && left.json && left.json.code === 1) {
      const room = rooms.get(sale);
      if (room) {
        clearTimeout(room.timer);
        rooms.delete(sale);
      }
      show(answerBox, 'info', 'You gave up your turn', saleTitle(sale) + ': it goes to the next buyer in line.');
    } else {
      button.disabled = false;
      failure(answerBox, left, 'Giving up the turn');
    }
  }

  /** Where the buyer stands in `sale`'s room, in words; the next poll when the room says. */
  function showRoom(sale, data) {
    const room = rooms.get(sale);
    const title = saleTitle(sale);
    room.pass = data.pass || null;
    if (picked === sale) {
      answerBox.dataset.sale = sale;
      answerBox.dataset.room = data.state;
      if (data.state === 'admitted' && data.pass) {
        const left = data.passUntil ? Sales.countdown(data.passUntil - Sales.now()) : 'a minute';
        show(answerBox, 'ok', 'Your turn! Press Buy within ' + left, title + ': the waiting room let you in.');
        const leave = document.createElement('button');
        leave.className = 'small leave';
        leave.type = 'button';
        leave.textContent = 'Give up my turn';
        leave.addEventListener('click', () => leaveRoom(sale, leave));
        answerBox.appendChild(leave);
      } else if (data.state === 'admitted' && data.passUsed) {
        show(answerBox, 'info', 'Your turn was used', title + ': your pass bought already. See your orders below.');
      } else if (data.state === 'admitted') {
        // spent by a buy not confirmed yet: if it answered 503, the pass comes back
        show(answerBox, 'info', 'Your buy is being confirmed', title + ': if it did not go through, your turn'
          + ' comes back here in a moment. Keep this page open.');
      } else if (data.state === 'waiting' && data.position === null) {
        show(answerBox, 'info', 'In the waiting room: the draw is at the opening',
          title + (data.opensInMs ? ' opens in ' + Sales.countdown(data.opensInMs) : ' opens soon')
          + '. Everyone here before then gets a random place: arriving earlier buys nothing. '
          + (data.inRoom ? data.inRoom.toLocaleString('en') + ' in the room.' : ''));
      } else if (data.state === 'waiting' && data.etaMs === null && data.passesOut !== undefined
        && data.passesOut !== null) {
        // beyond every ticket's place: the line moves only if a buyer ahead gives up their turn
        show(answerBox, 'info', 'Place ' + data.position.toLocaleString('en') + ' in line',
          data.ahead.toLocaleString('en') + ' ahead of you. Every ticket goes to a place ahead of yours, but '
          + (data.passesOut > 0 ? data.passesOut.toLocaleString('en') + ' of them have not bought yet'
            : 'not every ticket is bought yet') + ': a turn not used in time goes to the next place, in order.'
          + ' Keep this page open.');
      } else if (data.state === 'waiting') {
        show(answerBox, 'info', 'Place ' + data.position.toLocaleString('en') + ' in line',
          data.ahead.toLocaleString('en') + ' ahead of you' + (data.etaMs !== null
            ? ', your turn in about ' + Sales.countdown(data.etaMs) : '') + '. Keep this page open.');
      } else if ((data.state === 'waitlisted' || data.state === 'sold_out') && data.last) {
        show(answerBox, 'soldout', 'Sold out', 'Every ticket is sold and paid for: none can come back.');
      } else if (data.state === 'waitlisted' || data.state === 'sold_out') {
        show(answerBox, 'soldout', 'Sold out: you are on the waitlist' + (data.position ? ', place '
          + data.position.toLocaleString('en') : ''), 'A ticket that comes back (an unpaid order, a cancel) goes to'
          + ' the next place on the waitlist, in order.' + (data.unpaid ? ' Orders not paid yet: '
          + data.unpaid.toLocaleString('en') + '.' : ''));

      } else if (data.state === 'lapsed') {
        show(answerBox, 'bad', 'Your turn lapsed', title + ': the pass was not used in time, and the turn went on.');
      }
    }
    if (data.state !== 'lapsed' && !(data.state === 'admitted' && data.passUsed)) {
      room.timer = setTimeout(() => pollRoom(sale), Math.max(500, data.retryAfterMs || 1000));
    }
  }

  // ------------------------------------------------------------------ orders

  async function loadOrders(user) {
    if (!user) {
      return;
    }
    const result = await call('GET', signedIn ? '/orders' : '/orders?user=' + encodeURIComponent(user));
    if (result.status !== 200 || !result.json) {
      if (result.status === 400) {
        orders = [];
        shownUser = null;
        ordersBody.innerHTML = '<tr><td colspan="6" class="empty">No orders: that is not a valid user id.</td></tr>';
      }
      return;
    }
    const now = performance.now();
    shownUser = user;
    orders = result.json.data.orders.map((order) => Object.assign({ dueAt: now + order.msLeftToPay }, order));
    // the newest first, whatever its sale
    orders.sort((a, b) => (b.created || 0) - (a.created || 0));
    renderOrders();
    scheduleRefresh();
  }

  function renderOrders() {
    ordersBody.replaceChildren();
    if (orders.length === 0) {
      ordersBody.innerHTML = '<tr><td colspan="6" class="empty">No orders yet.</td></tr>';
      return;
    }
    for (const order of orders) {
      const row = document.createElement('tr');
      row.dataset.orderId = order.orderId;
      row.dataset.sale = order.sale;
      row.innerHTML = '<td class="mono"></td><td class="sale"><div class="name"></div><div class="id mono"></div></td>'
        + '<td class="state"><span class="badge"></span></td>'
        + '<td class="node"></td><td class="left countdown"></td><td class="num action"></td>';
      row.querySelector('td.mono').textContent = '#' + order.orderId;
      const badge = row.querySelector('.badge');
      badge.textContent = order.state;
      badge.classList.add(order.state);
      row.querySelector('.node').textContent = order.node || '';
      if (order.state === 'pending') {
        const pay = document.createElement('button');
        pay.className = 'small pay';
        pay.textContent = 'Pay';
        pay.addEventListener('click', () => payOrder(order.orderId, pay));
        row.querySelector('.action').appendChild(pay);
      }
      ordersBody.appendChild(row);
    }
    renderOrderSales();
    tick();
  }

  /** The sale of each order by name, once the list of sales has it. */
  function renderOrderSales() {
    for (const row of ordersBody.querySelectorAll('tr[data-sale]')) {
      const sale = salesById.get(row.dataset.sale);
      row.querySelector('.name').textContent = sale && sale.name ? sale.name : row.dataset.sale;
      row.querySelector('.id').textContent = row.dataset.sale;
    }
  }

  /** Updates every countdown; once a pending order's time is up, asks the server what became of it. */
  function tick() {
    let due = false;
    for (const order of orders) {
      const cell = ordersBody.querySelector('tr[data-order-id="' + order.orderId + '"] .left');
      if (!cell) {
        continue;
      }
      if (order.state !== 'pending') {
        cell.textContent = order.state === 'paid' ? 'paid' : '-';
        cell.classList.remove('late');
        continue;
      }
      const left = order.dueAt - performance.now();
      cell.textContent = left > 0 ? Sales.countdown(left) : 'time is up';
      cell.classList.toggle('late', left < 30000);
      if (left <= 0) {
        due = true;
      }
    }
    if (due && shownUser) {
      scheduleRefresh(1000);
    }
  }

  function scheduleRefresh(delay) {
    clearTimeout(refreshTimer);
    if (!orders.some((order) => order.state === 'pending')) {
      return;
    }
    refreshTimer = setTimeout(() => loadOrders(shownUser), delay || 5000);
  }

  /**
   * Pays through the payment provider: POST /pay starts a payment (the order stays pending), then the
   * buyer goes to the provider's checkout (payUrl); the order is paid once the provider tells the
   * shop so, and the checkout sends the buyer back here (?order=ID), where returned() shows it.
   */
  async function payOrder(orderId, button) {
    const user = shownUser || userInput.value.trim();
    button.disabled = true;
    const result = await call('POST', '/pay?order=' + encodeURIComponent(orderId)
      + (signedIn ? '' : '&user=' + encodeURIComponent(user)));
    const body = result.json;
    payBox.dataset.orderId = orderId;
    if (result.status === 202 && body && body.data && body.data.payUrl) {
      location.assign(body.data.payUrl);
      return;
    } else if (result.status === 202 && body && body.data) {
      show(payBox, 'info', 'Payment started: order #' + orderId, 'Pay with your payment provider (payment '
        + body.data.paymentId + '); the order shows paid once the provider confirms it.');
    } else if (result.status === 409 && body && body.error === 'already_paid') {
      show(payBox, 'info', 'Already paid: order #' + orderId, '');
    } else if (result.status === 409 && body && body.error === 'order_expired') {
      show(payBox, 'bad', 'Too late: order #' + orderId + ' expired', body.msg);
    } else {
      failure(payBox, result, 'Paying');
      button.disabled = false;
    }
    await loadOrders(user);
  }

  /** Back from the payment provider's checkout (?order=ID): the order as the shop has it now. */
  async function returned(orderId) {
    history.replaceState(null, '', '/');
    const result = await call('GET', '/order?id=' + encodeURIComponent(orderId));
    const order = result.json && result.json.data;
    payBox.dataset.orderId = orderId;
    if (result.status !== 200 || !order) {
      failure(payBox, result, 'Paying');
    } else if (order.state === 'paid') {
      show(payBox, 'ok', 'Paid: order #' + orderId, 'The ticket is yours. Have a good trip!');
    } else if (order.state === 'pending') {
      show(payBox, 'info', 'Not paid yet: order #' + orderId, 'Pay before the time runs out, or it goes back on sale.');
    } else {
      show(payBox, 'bad', 'Too late: order #' + orderId + ' ' + order.state,
        'Its ticket went back on sale. Money that reached the payment provider after that is refunded.');
    }
  }

  /** The picked sale's tickets left, as the list of sales last said (loaded again after each buy). */
  function showStock() {
    const sale = salesById.get(picked);
    const box = $('#stock');
    if (sale) {
      box.innerHTML = '<b></b> of <b></b> tickets left';
      box.querySelectorAll('b')[0].textContent = sale.remaining.toLocaleString('en');
      box.querySelectorAll('b')[1].textContent = sale.total.toLocaleString('en');
    } else {
      box.textContent = '';
    }
  }

  // ------------------------------------------------------------------ signing in

  /** POST /login with the name typed: a token every call carries from now on. */
  async function signIn() {
    const user = userInput.value.trim();
    if (!user) {
      show(signinBox, 'bad', 'Bad input', 'Enter your name or user id first.');
      userInput.focus();
      return;
    }
    const button = $('#signin');
    button.disabled = true;
    const result = await call('POST', '/login', { user });
    button.disabled = false;
    const body = result.json;
    if (result.status === 200 && body && body.code === 1) {
      signedIn = { token: body.data.token, user: body.data.user, expiresAt: body.data.expiresAt };
      localStorage.setItem(TOKEN_KEY, JSON.stringify(signedIn));
      localStorage.setItem(USER_KEY, signedIn.user);
      signinBox.replaceChildren();
      signinBox.className = 'answer';
      renderSignIn();
      await loadOrders(signedIn.user);
    } else if (result.status === 404) {
      show(signinBox, 'info', 'No sign-in here', 'This site has no demo login: its operator turned it off.');
    } else {
      failure(signinBox, result, 'Signing in');
    }
  }

  function signOut(why) {
    signedIn = null;
    localStorage.removeItem(TOKEN_KEY);
    renderSignIn();
    if (why) {
      show(signinBox, 'info', 'Signed out', why);
    } else {
      signinBox.replaceChildren();
      signinBox.className = 'answer';
    }
  }

  /** The name field is the signed-in user's while signed in; the buttons say what can be done. */
  function renderSignIn() {
    const on = signedIn !== null;
    $('#signed-in').hidden = !on;
    $('#signin').hidden = on;
    userInput.readOnly = on;
    if (on) {
      $('#signed-in-user').textContent = signedIn.user;
      userInput.value = signedIn.user;
    }
  }

  $('#buy-form').addEventListener('submit', buy);
  $('#signin').addEventListener('click', signIn);
  $('#signout').addEventListener('click', () => signOut(null));
  renderSignIn();
  const remembered = signedIn ? signedIn.user : localStorage.getItem(USER_KEY);
  if (remembered) {
    userInput.value = remembered;
    loadOrders(remembered);
  }
  const back = new URLSearchParams(location.search).get('order');
  if (back) {
    returned(back);
  }
  loadSales();
  setInterval(() => {
    tick();
    tickSales();
  }, 250);
})();
