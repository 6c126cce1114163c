// One chat login kept alive across WebSocket connections, with the terminal
// client's behaviour (docs/client.md, src/client/session*.cc): heartbeat,
// silent-server and login timeouts, reconnect with full-jitter backoff,
// re-JOIN and re-WATCH, HISTORY recovery page by page (no gap, no duplicate),
// history reset on a new epoch, resend of unacknowledged SAY/WHISPER with the
// same client_id and req.
//
// Everything the page should show is reported to `onEvent` as an object whose
// `event` field names it, like the terminal client's script mode (welcome,
// joined, left, ack, message, private, room_event, presence, watching,
// unwatched, members, rooms, history, history_end, error, disconnected,
// reconnecting, reconnected, history_reset, history_gap, gave_up, closed) plus
// `state` and `rtt` for the status indicator.
//
// Single-threaded like every page script; the WebSocket, the clock and the
// random source are injectable so the logic can run outside a browser.
import * as proto from './protocol.js';
import { RoomMethods } from './session_rooms.js';
import { RequestMethods } from './session_requests.js';
import { handleFrame } from './session_replies.js';
import { State } from './session_state.js';

const T = proto.Type;

export { State };

// A random non-zero u64 (BigInt), fixed for the life of the page.
export function randomClientId() {
  const words = new Uint32Array(2);
  let id = 0n;
  while (id === 0n) {
    globalThis.crypto.getRandomValues(words);
    id = (BigInt(words[0]) << 32n) | BigInt(words[1]);
  }
  return id;
}

// Attempt n waits a uniformly random time in [0, min(max, base * 2^(n-1))].
export function backoffDelayMs(attempt, { baseMs = 500, maxMs = 30000 } = {}, random = Math.random) {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * (cap + 1));
}


export class Session {
  constructor(options) {
    this.opt = {
      retries: 0, // reconnect attempts after a loss before giving up; 0 = forever
      connectTimeoutMs: 10000,
      closeTimeoutMs: 2000,
      maxRecoveryPages: 10,
      rateLimitRetries: 5,
      rateLimitRetryMs: 1000,
      tickMs: 250,
      autoTick: true, // false: the owner calls tick() (tests in fake time)
      backoff: { baseMs: 500, maxMs: 30000 },
      token: '',
      WebSocket: globalThis.WebSocket,
      now: () => Date.now(),
      random: Math.random,
      clientId: randomClientId(),
      ...options,
    };
    this.onEvent = options.onEvent ?? (() => {});
    this.clientId = this.opt.clientId;
    this.state = State.IDLE;
    this.everLive = false;
    this.attempt = 0;
    this.deadline = 0;
    this.retryAt = 0;
    this.ws = null;
    this.conn = 0; // connection generation: callbacks of an old socket are ignored
    this.reader = null;
    this.timer = null;

    this.user = '';
    this.epoch = 0n;
    this.heartbeatMs = 30000;
    this.timeoutMs = 60000;
    this.maxFrame = proto.DEFAULT_MAX_FRAME;
    this.lastSent = 0;
    this.lastRecv = 0;
    this.pingNonce = 0n;
    this.pingSentAt = null;
    this.rttMs = null;

    this.reqCounter = 0;
    this.requests = new Map(); // req -> request; insertion order is req order
    this.rooms = new Map(); // name -> room state; insertion order is join order
    this.leaving = new Set(); // LEAVE in flight: ignore the room's late traffic
    this.declined = new Set(); // rooms the server put us in and the user left
    this.watched = new Set();
    this.rewatchVisible = false;
  }

  emit(event) {
    this.onEvent(event);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit({ event: 'state', state });
  }

  finished() {
    return this.state === State.CLOSED || this.state === State.GAVE_UP;
  }

  // ---- lifecycle ----

  start() {
    if (this.state !== State.IDLE) return;
    if (this.opt.autoTick) this.timer = setInterval(() => this.tick(), this.opt.tickMs);
    this.connectNow();
  }

  quit() {
    if (this.finished() || this.state === State.CLOSING) return;
    if (this.state === State.LIVE) {
      this.sendRequest(this.addRequest({ kind: 'bye', visible: false }));
      this.setState(State.CLOSING);
      this.deadline = this.opt.now() + this.opt.closeTimeoutMs;
      return;
    }
    this.finishClosing();
  }

  connectNow() {
    this.setState(State.CONNECTING);
    this.deadline = this.opt.now() + this.opt.connectTimeoutMs;
    const conn = ++this.conn;
    let ws;
    try {
      ws = new this.opt.WebSocket(this.opt.url);
    } catch (e) {
      this.connectionFailed(e.message);
      return;
    }
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => conn === this.conn && this.onConnected();
    ws.onmessage = (ev) => conn === this.conn && this.onData(ev.data, conn);
    ws.onclose = (ev) => conn === this.conn && this.onClosed(closeReason(ev, this.state));
    ws.onerror = () => {}; // a close event follows with what we can know
    this.ws = ws;
    this.reader = new proto.FrameReader(proto.DEFAULT_MAX_FRAME);
  }

  closeTransport() {
    ++this.conn;
    if (this.ws) {
      try {
        this.ws.close();
      } catch {
        // already closed
      }
    }
    this.ws = null;
  }

  onConnected() {
    if (this.state !== State.CONNECTING) return;
    this.setState(State.LOGGING_IN);
    this.lastRecv = this.opt.now();
    this.sendRequest(this.addRequest({ kind: 'hello', visible: false }));
  }

  onData(data, conn) {
    if (typeof data === 'string') {
      this.onClosed('the server sent a text message');
      return;
    }
    let frames;
    try {
      frames = this.reader.push(new Uint8Array(data));
    } catch (e) {
      this.onClosed(`the server sent a bad frame (${e.message})`);
      return;
    }
    for (const f of frames) {
      if (conn !== this.conn) return; // the connection ended while handling
      if (![State.LOGGING_IN, State.LIVE, State.CLOSING].includes(this.state)) return;
      this.lastRecv = this.opt.now();
      handleFrame(this, f.type, f.payload);
    }
  }

  onClosed(reason) {
    switch (this.state) {
      case State.CONNECTING:
      case State.LOGGING_IN:
        this.connectionFailed(reason);
        break;
      case State.LIVE:
        this.lose(reason);
        break;
      case State.CLOSING:
        this.finishClosing();
        break;
      default:
        break;
    }
  }

  // A connection attempt that never reached WELCOME.
  connectionFailed(reason) {
    this.closeTransport();
    this.forgetConnectionRequests();
    if (!this.everLive) {
      this.giveUp(`cannot connect to ${this.opt.url}: ${reason}`);
      return;
    }
    this.scheduleReconnect(reason);
  }

  // A live session lost its connection.
  lose(reason) {
    this.closeTransport();
    this.emit({ event: 'disconnected', reason });
    this.forgetConnectionRequests();
    this.scheduleReconnect(reason);
  }

  scheduleReconnect(reason) {
    ++this.attempt;
    const max = this.opt.retries;
    if (max !== 0 && this.attempt > max) {
      this.giveUp(`gave up after ${max} reconnect attempt${max === 1 ? '' : 's'}: ${reason}`);
      return;
    }
    const delayMs = backoffDelayMs(this.attempt, this.opt.backoff, this.opt.random);
    this.retryAt = this.opt.now() + delayMs;
    this.setState(State.WAITING);
    this.emit({ event: 'reconnecting', attempt: this.attempt, max, delay_ms: delayMs, reason });
  }

  giveUp(reason) {
    this.closeTransport();
    this.stopTimer();
    this.setState(State.GAVE_UP);
    this.emit({ event: 'gave_up', reason });
  }

  finishClosing() {
    this.closeTransport();
    this.stopTimer();
    this.setState(State.CLOSED);
    this.emit({ event: 'closed' });
  }

  stopTimer() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  goLive(epoch) {
    const reconnected = this.everLive;
    this.everLive = true;
    this.setState(State.LIVE);
    this.lastRecv = this.opt.now();
    if (reconnected) this.emit({ event: 'reconnected', attempt: this.attempt });
    // Seqs of another epoch mean nothing here (PROTOCOL.md section 4).
    if (reconnected && epoch !== this.epoch) this.resetHistories();
    this.epoch = epoch;
    this.attempt = 0;
    this.sendPing(); // an early round-trip time for the status indicator
    this.resendAfterLogin();
  }

  sendPing() {
    this.pingNonce += 1n;
    this.sendBytes(proto.encode(T.PING, { nonce: this.pingNonce }));
    this.pingSentAt = this.opt.now();
  }

  sendBytes(bytes) {
    if (!this.ws) return;
    this.ws.send(bytes);
    this.lastSent = this.opt.now();
  }

  // Runs what is due: timeouts, heartbeat, the next attempt, delayed resends.
  tick() {
    const t = this.opt.now();
    switch (this.state) {
      case State.CONNECTING:
        if (t >= this.deadline) this.connectionFailed(`no connection within ${this.opt.connectTimeoutMs} ms`);
        break;
      case State.LOGGING_IN:
        if (t >= this.deadline) this.connectionFailed(`no WELCOME within ${this.opt.connectTimeoutMs} ms`);
        break;
      case State.WAITING:
        if (t >= this.retryAt) this.connectNow();
        break;
      case State.CLOSING:
        if (t >= this.deadline) this.finishClosing();
        break;
      case State.LIVE: {
        if (t - this.lastRecv >= this.timeoutMs) {
          this.lose(`no word from the server for ${this.timeoutMs / 1000} s`);
          return;
        }
        const weIdle = t - this.lastSent >= this.heartbeatMs;
        const itIdle = t - this.lastRecv >= this.heartbeatMs && this.pingSentAt === null;
        if (weIdle || itIdle) this.sendPing();
        for (const [req, r] of this.requests) {
          if (r.retryAt && t >= r.retryAt) {
            r.retryAt = 0;
            this.sendRequest(req);
          }
        }
        break;
      }
      default:
        break;
    }
  }
}

// The Session's other methods live beside it, one role per file.
for (const mixin of [RequestMethods, RoomMethods]) {
  for (const name of Object.getOwnPropertyNames(mixin.prototype)) {
    if (name !== 'constructor') Object.defineProperty(Session.prototype, name, Object.getOwnPropertyDescriptor(mixin.prototype, name));
  }
}

function closeReason(ev, state) {
  if (ev.code === 1000 || ev.code === 1005) return 'the server closed the connection';
  if (ev.code === 1006) {
    return state === State.CONNECTING ? 'connection refused' : 'the connection was lost';
  }
  return `the server closed the connection (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`;
}
