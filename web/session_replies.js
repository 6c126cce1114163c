// What the server sends, turned into Session state changes and events (the
// counterpart of src/client/session_replies.cc). Called by Session.onData for
// each whole frame while logging in, live or closing.
import * as proto from './protocol.js';
import { State } from './session_state.js';

const T = proto.Type;

export function handleFrame(s, type, payload) {
  let m;
  try {
    m = proto.decodePayload(type, payload, { maxBody: Infinity });
  } catch (e) {
    if (e.code === 'UNKNOWN_TYPE') return; // a type from a newer server: skip it
    // A frame the codec refuses: the stream can no longer be trusted.
    s.onClosed(`the server sent a malformed ${proto.typeName(type)} (${e.message})`);
    return;
  }
  switch (type) {
    case T.WELCOME:
      return welcome(s, m);
    case T.OK:
      return ok(s, m.req);
    case T.ERROR:
      return error(s, m.req, m.code, m.text);
    case T.ACK:
      return ack(s, m.req, Number(m.id), Number(m.time));
    case T.MESSAGE:
      return s.onLiveMessage({
        event: 'message', room: m.room, seq: Number(m.seq), time: Number(m.time), from: m.from, body: m.body, recovered: false,
      });
    case T.PRIVATE:
      return s.emit({ event: 'private', id: Number(m.id), time: Number(m.time), from: m.from, to: m.to, body: m.body });
    case T.ROOM_EVENT:
      return s.onRoomEvent({
        event: 'room_event', room: m.room, kind: m.kind === 1 ? 'joined' : 'left', user: m.user, time: Number(m.time),
      });
    case T.PRESENCE:
      return s.emit({ event: 'presence', user: m.user, online: m.online === 1, time: Number(m.time) });
    case T.MEMBERS:
      s.requests.delete(m.req);
      return s.emit({ event: 'members', req: m.req, room: m.room, total: m.total, users: m.users });
    case T.ROOM_LIST:
      s.requests.delete(m.req);
      return s.emit({ event: 'rooms', req: m.req, total: m.total, rooms: m.rooms });
    case T.HISTORY_PAGE:
      return historyPage(s, m);
    case T.PING:
      return s.sendBytes(proto.encode(T.PONG, { nonce: m.nonce }));
    case T.PONG:
      if (s.pingSentAt !== null && m.nonce === s.pingNonce) {
        s.rttMs = s.opt.now() - s.pingSentAt;
        s.pingSentAt = null;
        s.emit({ event: 'rtt', ms: s.rttMs });
      }
      return undefined;
    default:
      return undefined; // a client-to-server type: nothing to do
  }
}

function welcome(s, w) {
  if (s.state !== State.LOGGING_IN) return;
  s.requests.delete(w.req);
  s.user = w.user;
  s.heartbeatMs = w.heartbeat !== 0 ? w.heartbeat * 1000 : 30000;
  s.timeoutMs = w.timeout !== 0 ? w.timeout * 1000 : 60000;
  if (w.max_frame !== 0) {
    s.maxFrame = w.max_frame;
    s.reader.maxFrame = w.max_frame;
  }
  s.emit({
    event: 'welcome', user: w.user, session: w.session, epoch: w.epoch, heartbeat: w.heartbeat, timeout: w.timeout,
  });
  s.goLive(w.epoch);
}

function ok(s, req) {
  const r = s.requests.get(req);
  if (!r) return;
  s.requests.delete(req);
  switch (r.kind) {
    case 'leave':
      s.leaving.delete(r.room);
      if (r.visible) s.emit({ event: 'left', room: r.room });
      break;
    case 'watch':
      if (r.visible) s.emit({ event: 'watching', users: r.users });
      break;
    case 'unwatch':
      s.emit({ event: 'unwatched', users: r.users });
      break;
    case 'bye':
      s.finishClosing();
      break;
    default:
      break;
  }
}

function ack(s, req, id, time) {
  const r = s.requests.get(req);
  if (!r) return;
  s.requests.delete(req);
  switch (r.kind) {
    case 'join': {
      const room = s.rooms.get(r.room);
      if (room && room.joinReq === req) s.onJoinAck(r.room, room, id);
      break;
    }
    case 'say': {
      // Our own message never comes back live: mark it seen here, so
      // recovery skips it in HISTORY.
      const room = s.rooms.get(r.room);
      if (room && room.seqs.known) room.seqs.mark(id);
      s.emit({ event: 'ack', req, id, time, room: r.room });
      break;
    }
    case 'whisper':
      s.emit({ event: 'ack', req, id, time, to: r.to });
      break;
    default:
      break;
  }
}

const REQUEST_TYPES = {
  hello: 'HELLO', join: 'JOIN', leave: 'LEAVE', say: 'SAY', whisper: 'WHISPER', who: 'WHO', rooms: 'ROOMS',
  watch: 'WATCH', unwatch: 'UNWATCH', history: 'HISTORY', recovery: 'HISTORY', bye: 'BYE',
};

function error(s, req, codeValue, text) {
  const code = proto.errorName(codeValue);
  const r = req === 0 ? undefined : s.requests.get(req);
  if (!r) {
    s.emit({ event: 'error', req, code, text, request: '' });
    return;
  }
  switch (r.kind) {
    case 'hello':
      s.requests.delete(req);
      if (code === 'AUTH_FAILED' || code === 'INVALID_NAME') {
        s.emit({ event: 'error', req, code, text, request: 'HELLO' });
        s.giveUp(`the server refused the login: ${code}: ${text}`);
        return;
      }
      break; // the server closes; the next attempt may do better
    case 'join': {
      const room = s.rooms.get(r.room);
      if (room && room.joinReq === req) s.rooms.delete(r.room);
      s.requests.delete(req);
      break;
    }
    case 'say':
    case 'whisper':
      if ((code === 'RATE_LIMITED' || code === 'UNAVAILABLE') && r.retriesLeft > 0) {
        // Not lost: sent again later with the same req.
        --r.retriesLeft;
        r.sent = false;
        r.retryAt = s.opt.now() + s.opt.rateLimitRetryMs;
        return;
      }
      s.requests.delete(req);
      break;
    case 'recovery': {
      s.requests.delete(req);
      const room = s.rooms.get(r.room);
      if (room && room.historyReq === req) {
        room.historyReq = 0;
        s.finishRecovery(r.room, room);
      }
      break;
    }
    case 'watch':
      if (code === 'LIMIT') for (const u of r.users) s.watched.delete(u); // it watched nobody
      s.requests.delete(req);
      break;
    case 'leave':
      s.leaving.delete(r.room);
      s.requests.delete(req);
      if (!r.visible) return; // a quiet leave of a room the user had left already
      break;
    default:
      s.requests.delete(req);
      break;
  }
  s.emit({ event: 'error', req, code, text, request: REQUEST_TYPES[r.kind], room: r.room, to: r.to });
}

function historyPage(s, page) {
  const r = s.requests.get(page.req);
  if (!r) return;
  s.requests.delete(page.req);
  if (r.kind === 'recovery') {
    const room = s.rooms.get(r.room);
    if (room && room.historyReq === page.req) s.onRecoveryPage(r.room, room, page);
    return;
  }
  let done = false;
  for (const e of page.messages) {
    const seq = Number(e.seq);
    if (r.wanted === 0 || seq > r.upTo) {
      done = true;
      break;
    }
    s.emit({ event: 'history', room: r.room, seq, time: Number(e.time), from: e.from, body: e.body });
    ++r.shown;
    --r.wanted;
  }
  const n = page.messages.length;
  if (!done && page.more && r.wanted > 0 && n > 0 && s.state === State.LIVE) {
    s.sendRequest(s.addRequest({ ...r, sent: false, afterSeq: Number(page.messages[n - 1].seq) }));
    return;
  }
  s.emit({ event: 'history_end', room: r.room, count: r.shown });
}
