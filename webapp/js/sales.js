// ticket-rush: the list of sales (GET /sales) and the sales' clock, shared by the buy page and the dashboard.
// A sale opens and closes on Redis's clock, which every node reads; /sales answers it as `now`.
// Countdowns run on that clock, carried forward on the browser's monotonic clock, never on the
// browser's wall clock (which may be minutes off, or jump).
'use strict';

window.RushSales = (function () {
  const READINGS = 8; // about 16 s of readings at one every 2 s

  /** Recent readings of the sales' clock: {offset: salesMs - performance.now()}. */
  const readings = [];

  /**
   * Remembers one reading. A node answers /sales from a copy up to half a second old, so its `now`
   * is late by up to that, never early (but for half the round trip): the largest offset of the
   * last few readings is the best.
   */
  function observe(salesNow, sentAt, receivedAt) {
    readings.push({ offset: salesNow - (sentAt + receivedAt) / 2 });
    if (readings.length > READINGS) {
      readings.shift();
    }
  }

  function known() {
    return readings.length > 0;
  }

  /** The sales' clock now, in ms since the epoch; the browser's own clock until /sales answered once. */
  function now() {
    if (!known()) {
      return Date.now();
    }
    return performance.now() + Math.max(...readings.map((r) => r.offset));
  }

  /**
   * GET /sales. Resolves {status, sales} (sales: null when it failed; status 0: no answer) and
   * never throws.
   */
  async function load() {
    const sentAt = performance.now();
    try {
      const response = await fetch('/sales', { cache: 'no-store' });
      const body = await response.json();
      const receivedAt = performance.now();
      if (response.status !== 200 || !body || body.code !== 1) {
        return { status: response.status, sales: null, msg: body && (body.msg || body.error) };
      }
      observe(body.data.now, sentAt, receivedAt);
      return { status: 200, sales: body.data.sales };
    } catch (failed) {
      return { status: 0, sales: null, msg: failed.message };
    }
  }

  /** Where a sale stands at `at` on the sales' clock: the rule of Sale.state on the server, so a page flips on time between polls. */
  function stateAt(sale, at) {
    if (sale.closesAt !== null && sale.closesAt !== undefined && at >= sale.closesAt) {
      return 'closed';
    }
    if (at < sale.opensAt) {
      return 'upcoming';
    }
    return sale.sold >= sale.total ? 'sold_out' : 'open';
  }

  /** A state in words: "sold out", not "sold_out". */
  function stateWords(state) {
    return String(state).replace('_', ' ');
  }

  /** A duration as a countdown: 0:05, 4:59, 1:02:03, 3 d 04:05:06. */
  function countdown(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const days = Math.floor(total / 86400);
    const h = Math.floor((total % 86400) / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = String(total % 60).padStart(2, '0');
    if (days > 0) {
      return days + ' d ' + String(h).padStart(2, '0') + ':' + String(m).padStart(2, '0') + ':' + s;
    }
    return h > 0 ? h + ':' + String(m).padStart(2, '0') + ':' + s : m + ':' + s;
  }

  /** A moment as the reader's local date and time (today's without the date). */
  function moment(ms) {
    const date = new Date(ms);
    const time = date.toLocaleTimeString('en-GB');
    return date.toDateString() === new Date(now()).toDateString()
      ? time
      : date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' }) + ' ' + time;
  }

  /**
   * What is next for a sale at `at`, in words: "opens in 0:05", "closes in 1:00:00", or '' when
   * nothing is. {text, counting} (counting: a countdown that changes every second).
   */
  function next(sale, at) {
    const state = stateAt(sale, at);
    if (state === 'upcoming') {
      return { text: 'opens in ' + countdown(sale.opensAt - at), counting: true };
    }
    if (state !== 'closed' && sale.closesAt) {
      return { text: 'closes in ' + countdown(sale.closesAt - at), counting: true };
    }
    return { text: '', counting: false };
  }

  return { load, known, now, stateAt, stateWords, countdown, moment, next };
})();
