// web/session.js in fake time with a fake WebSocket: login, heartbeat,
// timeouts, backoff, reconnect, recovery without gap or duplicate, resend
// with the same req, history reset on a new epoch, frames split anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import * as proto from '../../web/protocol.js';
import { Session, State, backoffDelayMs } from '../../web/session.js';

const T = proto.Type;
const EPOCH = 77n;

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.closed = false;
    FakeSocket.all.push(this);
  }
  send(bytes) {
    if (this.closed) throw new Error('send on a closed socket');
    this.sent.push(...new proto.FrameReader().push(bytes).map((f) => ({ type: f.type, ...proto.decodePayload(f.type, f.payload) })));
  }
  close() {
    this.closed = true;
  }
  // ---- the server side ----
  open() {
    this.onopen();
  }
  deliver(type, fields) {
    this.onmessage({ data: proto.encode(type, fields).buffer });
  }
  deliverBytes(bytes) {
    this.onmessage({ data: bytes.slice().buffer });
  }
  drop(code = 1006) {
    this.closed = true;
    this.onclose({ code, reason: '' });
  }
  take(type) {
    const i = this.sent.findIndex((f) => f.type === type);
    assert.ok(i >= 0, `no ${proto.typeName(type)} in ${JSON.stringify(this.sent.map((f) => proto.typeName(f.type)))}`);
    return this.sent.splice(i, 1)[0];
  }
  types() {
    return this.sent.map((f) => proto.typeName(f.type));
  }
}

function setup(options = {}) {
  FakeSocket.all = [];
  const clock = { t: 1000 };
  const events = [];
  const s = new Session({
    url: 'ws://test/ws', user: 'ana', WebSocket: FakeSocket, now: () => clock.t, random: () => 0.5,
    autoTick: false, clientId: 42n, onEvent: (e) => events.push(e), ...options,
  });
  const socket = () => FakeSocket.all.at(-1);
  const advance = (ms) => {
    clock.t += ms;
    s.tick();
  };
  const login = (epoch = EPOCH) => {
    socket().open();
    const hello = socket().take(T.HELLO);
    socket().deliver(T.WELCOME, {
      req: hello.req, session: 1n, time: 5n, heartbeat: 30, timeout: 60, max_frame: 65536, user: 'ana', epoch,
    });
    return hello;
  };
  const of = (name) => events.filter((e) => e.event === name);
  return { s, clock, events, socket, advance, login, of };
}

test('logs in with the client_id and pings for a first round-trip time', () => {
  const { s, socket, login, of } = setup();
  s.start();
  assert.equal(s.state, State.CONNECTING);
  const hello = login();
  assert.equal(hello.client_id, 42n);
  assert.equal(hello.user, 'ana');
  assert.equal(s.state, State.LIVE);
  assert.deepEqual(socket().types(), ['PING']);
  assert.equal(of('welcome').length, 1);
});

test('a WELCOME cut into single bytes over many messages is reassembled', () => {
  const { s, socket } = setup();
  s.start();
  socket().open();
  const hello = socket().take(T.HELLO);
  const bytes = proto.encode(T.WELCOME, {
    req: hello.req, session: 1n, time: 5n, heartbeat: 30, timeout: 60, max_frame: 65536, user: 'ana', epoch: EPOCH,
  });
  for (const b of bytes) socket().deliverBytes(Uint8Array.of(b));
  assert.equal(s.state, State.LIVE);
});

test('heartbeat: PING after silence, reconnect when the server stays silent', () => {
  const { s, socket, login, advance, of } = setup();
  s.start();
  login();
  const ping = socket().take(T.PING);
  socket().deliver(T.PONG, { nonce: ping.nonce });
  assert.equal(of('rtt').length, 1);
  advance(29000);
  assert.deepEqual(socket().types(), []);
  advance(1000);
  assert.deepEqual(socket().types(), ['PING']);
  socket().deliver(T.PING, { nonce: 9n });
  assert.equal(socket().sent.at(-1).nonce, 9n, 'a server PING is answered with its nonce');
  advance(60000);
  assert.equal(of('disconnected').length, 1);
  assert.match(of('disconnected')[0].reason, /no word from the server/);
  assert.equal(s.state, State.WAITING);
});

test('backoff: full jitter under min(30 s, 0.5 s x 2^(n-1))', () => {
  assert.deepEqual([1, 2, 3, 4, 6, 7, 20].map((n) => backoffDelayMs(n, undefined, () => 0.9999999)), [500, 1000, 2000, 4000, 16000, 30000, 30000]);
  assert.equal(backoffDelayMs(5, undefined, () => 0), 0);
});

test('after a reconnect: JOIN first, the unacknowledged SAY resent with its req, every missed message once', () => {
  const { s, socket, login, advance, of } = setup();
  s.start();
  login();
  s.join('r');
  const join = socket().take(T.JOIN);
  socket().deliver(T.ACK, { req: join.req, id: 2n, time: 6n });
  assert.deepEqual(of('joined'), [{ event: 'joined', room: 'r', last_seq: 2 }]);
  socket().deliver(T.MESSAGE, { room: 'r', seq: 3n, time: 7n, from: 'bob', body: 'three' });
  const sayReq = s.say('r', 'mine');
  assert.equal(socket().take(T.SAY).req, sayReq);

  socket().drop();
  assert.equal(of('disconnected').length, 1);
  const [reconnecting] = of('reconnecting');
  assert.ok(reconnecting.delay_ms >= 0 && reconnecting.delay_ms <= 500);
  const typedWhileDown = s.say('r', 'typed while down');
  advance(reconnecting.delay_ms);
  assert.equal(FakeSocket.all.length, 2, 'a new connection');
  login();
  assert.deepEqual(socket().types(), ['PING', 'JOIN', 'SAY', 'SAY']);
  const rejoin = socket().take(T.JOIN);
  const resent = socket().take(T.SAY);
  assert.equal(resent.req, sayReq, 'same req');
  assert.equal(resent.body, 'mine');
  assert.equal(socket().take(T.SAY).req, typedWhileDown);

  // The server: JOIN ACK (last seq 7), the original ACK of the resent SAY
  // (seq 5), a live message (8) during recovery, then the history page.
  socket().deliver(T.ACK, { req: rejoin.req, id: 7n, time: 8n });
  const history = socket().take(T.HISTORY);
  assert.equal(history.after_seq, 3n);
  socket().deliver(T.ACK, { req: sayReq, id: 5n, time: 8n });
  socket().deliver(T.ACK, { req: typedWhileDown, id: 9n, time: 8n });
  socket().deliver(T.MESSAGE, { room: 'r', seq: 8n, time: 9n, from: 'bob', body: 'eight' });
  const page = [4, 5, 6, 7].map((n) => ({ seq: BigInt(n), time: 9n, from: n === 5 ? 'ana' : 'bob', body: `m${n}` }));
  socket().deliver(T.HISTORY_PAGE, { req: history.req, room: 'r', messages: page, more: 0 });
  socket().deliver(T.MESSAGE, { room: 'r', seq: 8n, time: 9n, from: 'bob', body: 'eight' });

  const shown = of('message').map((m) => m.seq);
  assert.deepEqual(shown, [3, 4, 6, 7, 8]);
  assert.ok(of('message').filter((m) => m.seq >= 4 && m.seq <= 7).every((m) => m.recovered));
  assert.equal(of('ack').length, 2);
  assert.equal(s.unackedSends(), 0);
  assert.ok(s.allAnswered());
  assert.equal(of('history_gap').length, 0);
});

test('recovery page by page; a gap the history no longer holds is reported', () => {
  const { s, socket, login, advance, of } = setup();
  s.start();
  login();
  s.join('r');
  socket().deliver(T.ACK, { req: socket().take(T.JOIN).req, id: 0n, time: 6n });
  socket().drop();
  advance(1000);
  login();
  socket().deliver(T.ACK, { req: socket().take(T.JOIN).req, id: 250n, time: 8n });
  let h = socket().take(T.HISTORY);
  assert.equal(h.after_seq, 0n);
  const entries = (from, n) => Array.from({ length: n }, (_, i) => ({ seq: BigInt(from + i), time: 1n, from: 'bob', body: 'x' }));
  socket().deliver(T.HISTORY_PAGE, { req: h.req, room: 'r', messages: entries(51, 100), more: 1 });
  assert.deepEqual(of('history_gap').map((g) => [g.first_seq, g.last_seq]), [[1, 50]]);
  h = socket().take(T.HISTORY);
  assert.equal(h.after_seq, 150n);
  socket().deliver(T.HISTORY_PAGE, { req: h.req, room: 'r', messages: entries(151, 100), more: 0 });
  const seqs = of('message').map((m) => m.seq);
  assert.equal(seqs.length, 200);
  assert.equal(new Set(seqs).size, 200);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
});

test('a new epoch resets every room\'s history once, and recovery starts at 0', () => {
  const { s, socket, login, advance, of } = setup();
  s.start();
  login();
  s.join('r');
  socket().deliver(T.ACK, { req: socket().take(T.JOIN).req, id: 40n, time: 6n });
  socket().drop();
  advance(1000);
  login(EPOCH + 1n);
  assert.deepEqual(of('history_reset'), [{ event: 'history_reset', room: 'r' }]);
  socket().deliver(T.ACK, { req: socket().take(T.JOIN).req, id: 2n, time: 8n });
  assert.equal(socket().take(T.HISTORY).after_seq, 0n);
  assert.equal(of('history_reset').length, 1);
});

test('requests are checked before sending; refusals come back as errors', () => {
  const { s, socket, login, of } = setup();
  s.start();
  login();
  socket().take(T.PING);
  assert.equal(s.join('bad room'), 0);
  assert.equal(s.say('r', ''), 0);
  assert.equal(s.whisper('bob', 'x'.repeat(70000)), 0);
  assert.deepEqual(of('error').map((e) => e.code), ['INVALID_NAME', 'INVALID_BODY', 'INVALID_BODY']);
  assert.deepEqual(socket().types(), []);
  const req = s.whisper('nobody', 'hi');
  socket().deliver(T.ERROR, { req, code: proto.ErrorCode.NO_SUCH_USER, text: 'no such user' });
  const e = of('error').at(-1);
  assert.equal(e.code, 'NO_SUCH_USER');
  assert.equal(e.request, 'WHISPER');
  assert.equal(e.to, 'nobody');
  assert.equal(s.unackedSends(), 0);
});

test('RATE_LIMITED: sent again with the same req after 1 s', () => {
  const { s, socket, login, advance } = setup();
  s.start();
  login();
  const req = s.say('r', 'hi');
  socket().take(T.SAY);
  socket().deliver(T.ERROR, { req, code: proto.ErrorCode.RATE_LIMITED, text: 'slow down' });
  advance(999);
  assert.deepEqual(socket().types().filter((t) => t === 'SAY'), []);
  advance(1);
  assert.equal(socket().take(T.SAY).req, req);
});

test('a refused login is final; a first connection that fails gives up', () => {
  let t = setup();
  t.s.start();
  t.socket().open();
  const hello = t.socket().take(T.HELLO);
  t.socket().deliver(T.ERROR, { req: hello.req, code: proto.ErrorCode.AUTH_FAILED, text: 'bad token' });
  assert.equal(t.s.state, State.GAVE_UP);
  assert.match(t.of('gave_up')[0].reason, /AUTH_FAILED/);
  t = setup();
  t.s.start();
  t.socket().drop();
  assert.equal(t.s.state, State.GAVE_UP);
  assert.match(t.of('gave_up')[0].reason, /cannot connect/);
});

test('the lobby is adopted from its first message, joined to learn its last seq', () => {
  const { s, socket, login, of } = setup();
  s.start();
  login();
  socket().deliver(T.MESSAGE, { room: 'lobby', seq: 12n, time: 1n, from: 'bob', body: 'hi all' });
  assert.deepEqual(of('message').map((m) => m.seq), [12]);
  const join = socket().take(T.JOIN);
  assert.equal(join.room, 'lobby');
  socket().deliver(T.ACK, { req: join.req, id: 12n, time: 2n });
  socket().deliver(T.MESSAGE, { room: 'lobby', seq: 13n, time: 1n, from: 'bob', body: 'again' });
  assert.deepEqual(of('message').map((m) => m.seq), [12, 13]);
  assert.deepEqual(s.roomNames(), ['lobby']);
});

test('quit says BYE and ends at its OK', () => {
  const { s, socket, login, of } = setup();
  s.start();
  login();
  s.quit();
  const bye = socket().take(T.BYE);
  socket().deliver(T.OK, { req: bye.req });
  assert.equal(s.state, State.CLOSED);
  assert.equal(of('closed').length, 1);
});
