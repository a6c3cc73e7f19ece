// ticket-rush buy page: buy a ticket, see your orders with the time left to pay, pay one.
// Talks to the same JSON endpoints as curl does: POST /buy/ticket, GET /orders, POST /pay, GET /stock.
'use strict';

(function () {
  const $ = (selector) => document.querySelector(selector);
  const userInput = $('#user');
  const answerBox = $('#answer');
  const payBox = $('#pay-answer');
  const ordersBody = $('#orders tbody');
  const USER_KEY = 'ticket-rush.user';

  /** Orders as last loaded, each with dueAt: when its time to pay ends, on this page's clock. */
  let orders = [];
  let shownUser = null;
  let refreshTimer = null;

  /** One call; never throws: {status, json} with status 0 when nothing answered. */
  async function call(method, url, form) {
    const init = { method, cache: 'no-store', headers: {} };
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

  function minutes(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const m = Math.floor(total / 60);
    const s = total % 60;
    return m + ':' + String(s).padStart(2, '0');
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
    } else {
      show(box, 'bad', what + ' failed (' + result.status + ')', msg);
    }
  }

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
      ordersBody.innerHTML = '<tr><td colspan="5" class="empty">Loading your orders...</td></tr>';
    }
    const button = $('#buy');
    button.disabled = true;
    const result = await call('POST', '/buy/ticket', { user });
    button.disabled = false;
    const body = result.json;
    answerBox.removeAttribute('data-order-id');
    if (result.status === 200 && body && body.code === 1) {
      const data = body.data;
      answerBox.dataset.orderId = data.orderId;
      const left = data.deadline ? 'pay within ' + minutes(data.deadline - Date.now()) : '';
      if (data.existing) {
        show(answerBox, 'info', 'You already have a ticket: order #' + data.orderId,
          'One ticket per person. ' + (left ? 'If it is not paid yet, ' + left + '.' : ''));
      } else {
        show(answerBox, 'ok', 'Ticket! Order #' + data.orderId,
          'Sold by node ' + data.node + '. Pay for it below' + (left ? ': ' + left + '.' : '.'));
      }
    } else if (result.status === 200 && body && body.code === -1) {
      show(answerBox, 'soldout', 'Sold out', 'Every ticket has been taken. Tickets of unpaid orders come back when their time runs out.');
    } else {
      failure(answerBox, result, 'Buying');
    }
    if (result.status === 400) {
      ordersBody.innerHTML = '<tr><td colspan="5" class="empty">Enter a valid user id to see your orders.</td></tr>';
    } else {
      localStorage.setItem(USER_KEY, user);
      await loadOrders(user);
    }
    loadStock();
  }

  async function loadOrders(user) {
    if (!user) {
      return;
    }
    const result = await call('GET', '/orders?user=' + encodeURIComponent(user));
    if (result.status !== 200 || !result.json) {
      if (result.status === 400) {
        orders = [];
        shownUser = null;
        ordersBody.innerHTML = '<tr><td colspan="5" class="empty">No orders: that is not a valid user id.</td></tr>';
      }
      return;
    }
    const now = performance.now();
    shownUser = user;
    orders = result.json.data.orders.map((order) => Object.assign({ dueAt: now + order.msLeftToPay }, order));
    renderOrders();
    scheduleRefresh();
  }

  function renderOrders() {
    ordersBody.replaceChildren();
    if (orders.length === 0) {
      ordersBody.innerHTML = '<tr><td colspan="5" class="empty">No orders yet.</td></tr>';
      return;
    }
    for (const order of orders.slice().reverse()) {
      const row = document.createElement('tr');
      row.dataset.orderId = order.orderId;
      row.innerHTML = '<td class="mono"></td><td class="state"><span class="badge"></span></td>'
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
    tick();
  }

  /** Updates every countdown; once a pending order's time is up, asks the server what became of it. */
  function tick() {
    const now = performance.now();
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
      const left = order.dueAt - now;
      cell.textContent = left > 0 ? minutes(left) : 'time is up';
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

  async function payOrder(orderId, button) {
    const user = shownUser || userInput.value.trim();
    button.disabled = true;
    const result = await call('POST', '/pay?order=' + encodeURIComponent(orderId) + '&user=' + encodeURIComponent(user));
    const body = result.json;
    payBox.dataset.orderId = orderId;
    if (result.status === 200 && body && body.code === 1) {
      show(payBox, 'ok', 'Paid: order #' + orderId, 'The ticket is yours. Have a good trip!');
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

  async function loadStock() {
    const result = await call('GET', '/stock');
    const box = $('#stock');
    if (result.status === 200 && result.json && result.json.data.global) {
      const global = result.json.data.global;
      box.innerHTML = '<b></b> of <b></b> tickets left';
      box.querySelectorAll('b')[0].textContent = global.remaining.toLocaleString('en');
      box.querySelectorAll('b')[1].textContent = global.total.toLocaleString('en');
    } else {
      box.textContent = '';
    }
  }

  $('#buy-form').addEventListener('submit', buy);
  const remembered = localStorage.getItem(USER_KEY);
  if (remembered) {
    userInput.value = remembered;
    loadOrders(remembered);
  }
  loadStock();
  setInterval(tick, 250);
})();
