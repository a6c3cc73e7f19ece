// ticket-rush: the waiting room's puzzle, solved in the browser. GET /queue/challenge answers an ALTCHA
// challenge ({algorithm: "SHA-256", challenge, maxnumber, salt, signature}); the number that solves it
// is the one from 0 to maxnumber whose SHA-256(salt + number), in hex, is the challenge. The answer goes
// to POST /queue/join in X-Queue-Proof as ALTCHA's payload: base64 of
// {"algorithm","challenge","number","salt","signature"}. (docs/queue-puzzle.md.)
//
// One file, two roles: on the page it is window.RushPuzzle, which hands the work to a Web Worker
// running this same file, so the page keeps drawing while it hashes. SHA-256 is written out here
// (FIPS 180-4), not crypto.subtle: that one is only there on https or localhost, and costs more per
// call than a short hash takes; the salt's whole 64-byte blocks are hashed once, so each number
// tried costs one or two blocks.
'use strict';

(function (scope) {
  const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const w = new Uint32Array(64);

  /** Runs SHA-256's compression over the 64-byte block of `bytes` at `at`, into `state` (8 words). */
  function compress(state, bytes, at) {
    for (let i = 0; i < 16; i++) {
      const j = at + 4 * i;
      w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15];
      const b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = state[0], b = state[1], c = state[2], d = state[3], e = state[4], f = state[5], g = state[6], h = state[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    state[0] = (state[0] + a) | 0; state[1] = (state[1] + b) | 0; state[2] = (state[2] + c) | 0;
    state[3] = (state[3] + d) | 0; state[4] = (state[4] + e) | 0; state[5] = (state[5] + f) | 0;
    state[6] = (state[6] + g) | 0; state[7] = (state[7] + h) | 0;
  }

  /** The hex text of a hash as its 8 words. */
  function words(hex) {
    const out = new Int32Array(8);
    for (let i = 0; i < 8; i++) {
      out[i] = parseInt(hex.substr(8 * i, 8), 16) | 0;
    }
    return out;
  }

  /**
   * The number in [0, maxnumber] whose SHA-256(salt + number) is `challenge` (hex), or null. The
   * salt's whole blocks are hashed once; each number then hashes the rest, its digits and the padding.
   */
  function search(challenge, salt, maxnumber) {
    const saltBytes = new TextEncoder().encode(salt);
    const whole = saltBytes.length - (saltBytes.length % 64);
    const mid = Int32Array.from(INITIAL);
    for (let at = 0; at < whole; at += 64) {
      compress(mid, saltBytes, at);
    }
    const rest = saltBytes.subarray(whole);
    const want = words(challenge);
    const tail = new Uint8Array(192); // the rest (< 64) + up to 16 digits + padding: at most 2 blocks
    tail.set(rest);
    const state = new Int32Array(8);
    for (let n = 0; n <= maxnumber; n++) {
      const digits = String(n);
      let len = rest.length;
      for (let i = 0; i < digits.length; i++) {
        tail[len++] = digits.charCodeAt(i);
      }
      const bits = (saltBytes.length + digits.length) * 8;
      tail[len++] = 0x80;
      const blocks = len + 8 <= 64 ? 1 : 2;
      tail.fill(0, len, blocks * 64);
      // the message's length in bits, big-endian, in the last 8 bytes (salts are far shorter than 2^32 bits)
      const end = blocks * 64;
      tail[end - 4] = bits >>> 24; tail[end - 3] = bits >>> 16; tail[end - 2] = bits >>> 8; tail[end - 1] = bits;
      state.set(mid);
      compress(state, tail, 0);
      if (blocks === 2) {
        compress(state, tail, 64);
      }
      if (state[0] === want[0] && state[1] === want[1] && state[2] === want[2] && state[3] === want[3]
        && state[4] === want[4] && state[5] === want[5] && state[6] === want[6] && state[7] === want[7]) {
        return n;
      }
    }
    return null;
  }

  /** ALTCHA's payload for a challenge and its number: what X-Queue-Proof carries. */
  function payload(challenge, number) {
    return btoa(JSON.stringify({
      algorithm: challenge.algorithm, challenge: challenge.challenge, number,
      salt: challenge.salt, signature: challenge.signature,
    }));
  }

  if (typeof window === 'undefined') {
    // the worker: one challenge in, its number (or null) and the time it took out
    scope.onmessage = (event) => {
      const c = event.data;
      const started = Date.now();
      const number = search(c.challenge, c.salt, c.maxnumber);
      scope.postMessage({ number, took: Date.now() - started });
    };
    return;
  }

  const SCRIPT = document.currentScript ? document.currentScript.src : '/js/puzzle.js';

  /**
   * Solves `challenge` (GET /queue/challenge's data) in a worker. Resolves {proof, number, took}
   * (proof: the X-Queue-Proof header's value); rejects if the challenge has no solution or is not
   * SHA-256.
   */
  function solve(challenge) {
    if (challenge.algorithm !== 'SHA-256') {
      return Promise.reject(new Error('a puzzle of ' + challenge.algorithm + ': only SHA-256 is solved here'));
    }
    const task = { challenge: challenge.challenge, salt: challenge.salt, maxnumber: challenge.maxnumber };
    const finish = (found) => {
      if (found.number === null) {
        throw new Error('no number up to ' + challenge.maxnumber + ' solves the puzzle');
      }
      return { proof: payload(challenge, found.number), number: found.number, took: found.took };
    };
    if (typeof Worker === 'undefined') {
      const started = Date.now();
      return Promise.resolve().then(() => finish({ number: search(task.challenge, task.salt, task.maxnumber),
        took: Date.now() - started }));
    }
    return new Promise((resolve, reject) => {
      const worker = new Worker(SCRIPT);
      worker.onmessage = (event) => {
        worker.terminate();
        try {
          resolve(finish(event.data));
        } catch (failed) {
          reject(failed);
        }
      };
      worker.onerror = (event) => {
        worker.terminate();
        reject(new Error('the puzzle worker failed: ' + (event.message || 'no message')));
      };
      worker.postMessage(task);
    });
  }

  scope.RushPuzzle = { solve, search };
})(self);
