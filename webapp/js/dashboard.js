// ticket-rush live dashboard: polls /dashboard/data about once a second and draws what it says.
// The chart is drawn on a <canvas> by hand (no library: the machine has no internet).
'use strict';

(function () {
  const POLL_MS = 1000;
  const HISTORY = 60; // points on the chart: a minute at one a second
  const $ = (selector) => document.querySelector(selector);
  const fmt = (n) => Number(n).toLocaleString('en');
  const history = [];

  function text(id, value) {
    const element = document.getElementById(id);
    if (element.textContent !== String(value)) {
      element.textContent = value;
    }
  }

  function render(data) {
    const global = data.global;
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
    const maxRps = niceMax(Math.max(1, ...history.map((p) => p.rps)));
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
    const live = $('#live');
    try {
      const response = await fetch('/dashboard/data', { cache: 'no-store' });
      const body = await response.json();
      if (response.status !== 200 || body.code !== 1) {
        throw new Error(body.msg || 'status ' + response.status);
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
      live.className = 'live off';
      live.textContent = 'no data: ' + failed.message;
    }
    drawChart();
    setTimeout(poll, POLL_MS);
  }

  window.addEventListener('resize', drawChart);
  poll();
})();
