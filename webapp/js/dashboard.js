// ticket-rush live dashboard: polls /dashboard/data?sale=PICKED about once a second and /sales
// every two, and draws what they say. The chart is drawn on a <canvas> by hand (no library: the
// machine has no internet). Needs js/sales.js first.
'use strict';

(function () {
  const POLL_MS = 1000;
  const SALES_EVERY_MS = 2000;
  const HISTORY = 60; // points on the chart: a minute at one a second
  const ALL = 'all';
  const $ = (selector) => document.querySelector(selector);
  const fmt = (n) => Number(n).toLocaleString('en');
  const mib = (bytes) => (bytes / (1024 * 1024)).toFixed(1) + ' MiB';

  // Redis's memory against its limit (maxmemory, noeviction): past it Redis refuses writes and a buy
  // answers 503; the node warns from 80% (RedisMemory.WARNING_PERCENT)
  function renderRedisMemory(memory) {
    if (!memory || memory.usedBytes == null) {
      text('redis-memory', '-');
      $('#redis-memory-bar').style.width = '0';
      text('redis-memory-note', 'not read yet');
      $('#redis-memory-note').classList.remove('warn');
      return;
    }
    if (memory.limitBytes == null) {
      text('redis-memory', mib(memory.usedBytes));
      $('#redis-memory-bar').style.width = '0';
      text('redis-memory-note', 'limit not known (rush.redis.maxmemory.bytes)');
    } else {
      const pct = 100 * memory.share;
      text('redis-memory', pct.toFixed(1) + '%');
      $('#redis-memory-bar').style.width = Math.min(100, pct).toFixed(1) + '%';
      text('redis-memory-note', mib(memory.usedBytes) + ' of ' + mib(memory.limitBytes)
          + (memory.warning ? ': past ' + Math.round(100 * memory.warningShare) + '%, buys get 503 at the limit' : ''));
    }
    $('#redis-memory-note').classList.toggle('warn', memory.warning);
  }
  const Sales = window.RushSales;
  const history = [];

  /** The sale shown: an id, or "all" of them added up; the article's sale unless the page's ?sale= says otherwise. */
  let picked = new URLSearchParams(location.search).get('sale') || 'default';
  /** The sales as /sales last listed them. */
  let sales = [];
  let salesById = new Map();
  let pollTimer = null;
  /** Polls of /dashboard/data: an answer for a sale no longer picked is dropped. */
  let polls = 0;

  function text(id, value) {
    const element = document.getElementById(id);
    if (element.textContent !== String(value)) {
      element.textContent = value;
    }
  }

  function render(data) {
    const global = data.global;
    text('total-note', data.sale === null
      ? (sales.length === 1 ? 'in the global stock of the one sale' : 'in the global stocks of the ' + sales.length + ' sales')
      : 'in the global stock of ' + data.sale);
    if (global) {
      text('total', fmt(global.total));
      text('sold', fmt(global.sold));
      text('remaining', fmt(global.remaining));
      const pct = global.total > 0 ? (100 * global.sold) / global.total : 0;
      $('#sold-bar').style.width = pct.toFixed(1) + '%';
      text('sold-pct', pct.toFixed(1) + '% sold');
    } else {
      ['total', 'sold', 'remaining'].forEach((id) => text(id, '-'));
      text('sold-pct', data.globalError || 'no sale');
    }
    text('pending', fmt(data.orders.pending));
    text('paid', fmt(data.orders.paid));
    text('expired', fmt(data.orders.expired));
    text('in-db', fmt(data.orders.inDatabase));
    text('dead-letters', fmt(data.orders.deadLetters));
    // a dead letter is an order the database does not have: worth a glance (rush:order-dead-letters)
    $('#dead-letters-note').classList.toggle('warn', data.orders.deadLetters > 0);
    const wrote = data.orders.writerLastWrite;
    text('writer-note', wrote ? 'last write ' + ago(data.now - wrote) : 'no order writer has written yet');
    renderRedisMemory(data.redisMemory);
    text('nodes-up', data.totals.nodesUp + ' / ' + data.totals.nodes);
    text('rps-now', fmt(Math.round(data.totals.rps)) + ' req/s now, ' + fmt(data.totals.requests) + ' buys so far');
    renderNodes(data.nodes);
  }

  function ago(ms) {
    if (ms < 1500) {
      return 'just now';
    }
    const s = Math.round(ms / 1000);
    return s < 120 ? s + ' s ago' : Math.round(s / 60) + ' min ago';
  }

  function bar(fraction, marker, green) {
    const pct = Math.max(0, Math.min(1, fraction)) * 100;
    const mark = marker === undefined ? '' : '<b style="left:calc(' + (marker * 100).toFixed(2) + '% - 1px)"></b>';
    return '<div class="bar"><i class="' + (green ? 'green' : '') + '" style="width:' + pct.toFixed(2) + '%"></i>' + mark + '</div>';
  }

  function renderNodes(nodes) {
    const body = $('#nodes tbody');
    if (nodes.length === 0) {
      body.innerHTML = '<tr><td colspan="10" class="empty">No node has reported yet.</td></tr>';
      return;
    }
    const rows = nodes.map((node) => {
      const quota = Math.max(node.quota, 1);
      const state = node.up ? 'up' : 'down';
      const since = node.up ? '' : '<span class="since">' + ago(node.ageMs) + '</span>';
      return '<tr data-port="' + node.port + '" class="' + state + '">'
        + '<td class="mono">:' + node.port + '</td>'
        + '<td class="status"><span class="badge ' + state + '">' + state + '</span>' + since + '</td>'
        + '<td class="num">' + node.weight + '</td>'
        + '<td><div class="cellbar">' + bar(node.localLeft / quota, undefined, true)
        + '<span>' + fmt(node.localLeft) + ' / ' + fmt(node.quota) + '</span></div></td>'
        + '<td class="num requests">' + fmt(node.requests) + '</td>'
        + '<td class="num tickets">' + fmt(node.tickets) + '</td>'
        + '<td><div class="cellbar">' + bar(node.share, node.expectedShare)
        + '<span>' + (100 * node.share).toFixed(1) + '% / ' + (100 * node.expectedShare).toFixed(1) + '%</span></div></td>'
        + '<td class="num">' + fmt(Math.round(node.rps)) + '</td>'
        + '<td class="num">' + node.p50Ms.toFixed(2) + '</td>'
        + '<td class="num">' + node.p99Ms.toFixed(2) + '</td>'
        + '</tr>';
    });
    const html = rows.join('');
    if (body.dataset.html !== html) {
      body.innerHTML = html;
      body.dataset.html = html;
    }
  }

  // ------------------------------------------------------------------ the chart

  const GRID = 5; // horizontal grid lines: round maxima divide into 5 round steps

  /** A round axis maximum at or above value: 1, 2, 5 times a power of ten. */
  function niceMax(value) {
    if (value <= 0) {
      return 1;
    }
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 5, 10]) {
      if (step * power >= value) {
        return step * power;
      }
    }
    return 10 * power;
  }

  function drawChart() {
    const canvas = $('#chart');
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const left = 56;
    const right = 56;
    const top = 10;
    const bottom = 26;
    const w = width - left - right;
    const h = height - top - bottom;
    // at least GRID req/s at the top, so that the steps are whole numbers when little is sold
    const maxRps = niceMax(Math.max(GRID, ...history.map((p) => p.rps)));
    const maxMs = niceMax(Math.max(1, ...history.map((p) => p.p99)));
    const x = (i) => left + (w * (HISTORY - 1 - (history.length - 1 - i))) / (HISTORY - 1);
    const yRps = (v) => top + h - (h * v) / maxRps;
    const yMs = (v) => top + h - (h * Math.min(v, maxMs)) / maxMs;

    g.font = '12px system-ui, sans-serif';
    g.lineWidth = 1;
    for (let i = 0; i <= GRID; i++) {
      const y = top + (h * i) / GRID;
      g.strokeStyle = '#e5e9ef';
      g.beginPath();
      g.moveTo(left, Math.round(y) + 0.5);
      g.lineTo(left + w, Math.round(y) + 0.5);
      g.stroke();
      g.fillStyle = '#4b6cb7';
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      g.fillText(fmt(Math.round((maxRps * (GRID - i)) / GRID)), left - 8, y);
      g.fillStyle = '#b45309';
      g.textAlign = 'left';
      g.fillText(trimMs((maxMs * (GRID - i)) / GRID), left + w + 8, y);
    }
    g.fillStyle = '#66788a';
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (const secondsAgo of [60, 45, 30, 15, 0]) {
      const px = left + w - (w * secondsAgo) / (HISTORY - 1);
      g.fillText(secondsAgo === 0 ? 'now' : '-' + secondsAgo + ' s', px, top + h + 8);
    }
    if (history.length === 0) {
      return;
    }
    // requests per second: a filled area
    g.beginPath();
    g.moveTo(x(0), yRps(0));
    history.forEach((p, i) => g.lineTo(x(i), yRps(p.rps)));
    g.lineTo(x(history.length - 1), yRps(0));
    g.closePath();
    g.fillStyle = 'rgba(37, 99, 235, 0.18)';
    g.fill();
    line(g, history.map((p, i) => [x(i), yRps(p.rps)]), '#2563eb', 1.5);
    line(g, history.map((p, i) => [x(i), yMs(p.p50)]), '#16a34a', 2);
    line(g, history.map((p, i) => [x(i), yMs(p.p99)]), '#ea580c', 2);
  }

  function trimMs(value) {
    return (value >= 10 ? Math.round(value) : Number(value.toFixed(2))) + ' ms';
  }

  function line(g, points, color, width) {
    g.strokeStyle = color;
    g.lineWidth = width;
    g.lineJoin = 'round';
    g.beginPath();
    points.forEach(([px, py], i) => (i === 0 ? g.moveTo(px, py) : g.lineTo(px, py)));
    g.stroke();
  }

  // ------------------------------------------------------------------ polling

  async function poll() {
    clearTimeout(pollTimer);
    const live = $('#live');
    const asked = ++polls;
    const sale = picked;
    try {
      const response = await fetch('/dashboard/data?sale=' + encodeURIComponent(sale), { cache: 'no-store' });
      const body = await response.json();
      if (asked !== polls) {
        return; // another sale was picked meanwhile, and polled at once
      }
      if (response.status !== 200 || body.code !== 1) {
        throw new Error(body.msg || body.error || 'status ' + response.status);
      }
      render(body.data);
      history.push({ rps: body.data.totals.rps, p50: body.data.totals.p50Ms, p99: body.data.totals.p99Ms });
      if (history.length > HISTORY) {
        history.shift();
      }
      live.className = 'live on';
      live.textContent = 'live, updated ' + new Date(body.data.now).toLocaleTimeString('en-GB');
      text('answered-by', 'answered by node :' + body.data.answeredBy);
    } catch (failed) {
      if (asked !== polls) {
        return;
      }
      live.className = 'live off';
      live.textContent = 'no data: ' + failed.message;
    }
    drawChart();
    pollTimer = setTimeout(poll, POLL_MS);
  }

  // ------------------------------------------------------------------ the sales

  function pick(sale) {
    if (sale === picked) {
      return;
    }
    picked = sale;
    $('#sale-pick').value = sale;
    const url = new URL(location.href);
    url.searchParams.set('sale', sale);
    window.history.replaceState(null, '', url);
    // nothing of the last sale's stays on screen while the new one's figures are on their way
    ['total', 'sold', 'remaining', 'pending', 'paid', 'expired', 'in-db'].forEach((id) => text(id, '-'));
    $('#sold-bar').style.width = '0';
    text('sold-pct', '');
    renderSaleLine();
    markPicked();
    poll();
  }

  async function loadSales() {
    const result = await Sales.load();
    if (result.sales) {
      sales = result.sales;
      salesById = new Map(sales.map((sale) => [sale.id, sale]));
      renderPicker();
      renderSales();
    }
    setTimeout(loadSales, SALES_EVERY_MS);
  }

  /** One option per sale, then "all"; the picked sale stays picked, listed or not. */
  function renderPicker() {
    const select = $('#sale-pick');
    const ids = sales.map((sale) => sale.id);
    if (picked !== ALL && !ids.includes(picked)) {
      ids.push(picked);
    }
    const options = ids.map((id) => {
      const sale = salesById.get(id);
      return [id, sale && sale.name && sale.name !== id ? id + ': ' + sale.name : id];
    });
    options.push([ALL, 'all sales, added up']);
    const key = JSON.stringify(options);
    if (select.dataset.options !== key) {
      select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
      select.dataset.options = key;
    }
    select.value = picked;
  }

  function renderSales() {
    const body = $('#sales tbody');
    if (sales.length === 0) {
      body.innerHTML = '<tr><td colspan="7" class="empty">No sale yet.</td></tr>';
      return;
    }
    const html = sales.map((sale) => '<tr data-sale="' + escape(sale.id) + '">'
      + '<td class="mono">' + escape(sale.id) + '</td>'
      + '<td>' + escape(sale.name || sale.id) + '</td>'
      + '<td class="state"><span class="badge"></span></td>'
      + '<td><div class="cellbar">' + bar(sale.total > 0 ? sale.sold / sale.total : 0)
      + '<span class="sold">' + fmt(sale.sold) + ' / ' + fmt(sale.total) + '</span></div></td>'
      + '<td class="opens">' + (sale.opensAt > 0 ? Sales.moment(sale.opensAt) : 'from the start') + '</td>'
      + '<td class="closes">' + (sale.closesAt ? Sales.moment(sale.closesAt) : 'never') + '</td>'
      + '<td class="when countdown"></td></tr>').join('');
    if (body.dataset.html !== html) {
      body.innerHTML = html;
      body.dataset.html = html;
      for (const row of body.querySelectorAll('tr[data-sale]')) {
        row.addEventListener('click', () => pick(row.dataset.sale));
      }
    }
    markPicked();
    tick();
  }

  function escape(value) {
    return String(value).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  }

  function markPicked() {
    for (const row of document.querySelectorAll('#sales tr[data-sale]')) {
      row.classList.toggle('picked', row.dataset.sale === picked);
    }
  }

  /** The states and countdowns, on the sales' clock, four times a second. */
  function tick() {
    const now = Sales.now();
    for (const row of document.querySelectorAll('#sales tr[data-sale]')) {
      const sale = salesById.get(row.dataset.sale);
      if (!sale) {
        continue;
      }
      const state = Sales.stateAt(sale, now);
      const badge = row.querySelector('.badge');
      badge.className = 'badge ' + state;
      badge.textContent = Sales.stateWords(state);
      row.dataset.state = state;
      const when = row.querySelector('.when');
      const next = Sales.next(sale, now).text;
      if (when.textContent !== next) {
        when.textContent = next;
      }
    }
    renderSaleLine();
  }

  /** The picked sale's state and what comes next for it; for "all", how many sales stand where. */
  function renderSaleLine() {
    const now = Sales.now();
    const badge = $('#sale-state');
    if (picked === ALL) {
      const counts = new Map();
      sales.forEach((sale) => {
        const state = Sales.stateAt(sale, now);
        counts.set(state, (counts.get(state) || 0) + 1);
      });
      badge.className = 'badge';
      badge.textContent = sales.length + ' sales';
      text('sale-title', 'added up: ' + [...counts].map(([state, n]) => n + ' ' + Sales.stateWords(state)).join(', '));
      const upcoming = sales.filter((sale) => Sales.stateAt(sale, now) === 'upcoming')
        .sort((a, b) => a.opensAt - b.opensAt)[0];
      text('sale-when', upcoming ? 'next to open: ' + upcoming.id + ', ' + Sales.next(upcoming, now).text : '');
      return;
    }
    const sale = salesById.get(picked);
    if (!sale) {
      badge.className = 'badge';
      badge.textContent = '';
      text('sale-title', picked);
      text('sale-when', sales.length > 0 ? 'no such sale in /sales' : '');
      return;
    }
    const state = Sales.stateAt(sale, now);
    badge.className = 'badge ' + state;
    badge.textContent = Sales.stateWords(state);
    text('sale-title', (sale.name && sale.name !== sale.id ? sale.name + ' (' + sale.id + ')' : sale.id)
      + ': ' + sale.perUserLimit + ' per user, pay within ' + Sales.countdown(1000 * sale.payWithinSeconds));
    text('sale-when', Sales.next(sale, now).text);
  }

  $('#sale-pick').addEventListener('change', (event) => pick(event.target.value));
  window.addEventListener('resize', drawChart);
  renderPicker();
  renderSaleLine();
  poll();
  loadSales();
  setInterval(tick, 250);
})();
