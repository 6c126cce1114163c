// The chat page: the login form, then one Session (session.js) over the
// WebSocket at /ws of the page's own host, and the UI state it feeds:
// conversations (rooms and private ones) with unread counts, watched users,
// the connection indicator and errors. Drawing is in view.js.
import { Session, State } from './session.js';
import { View } from './view.js';
import { describeError } from './errors.js';
import { validName } from './protocol.js';

const MAX_ITEMS = 1000; // per conversation; the oldest go first
const HISTORY_ON_OPEN = 50; // messages shown from before we joined a room

const $ = (id) => document.getElementById(id);

class App {
  constructor() {
    this.view = new View(this);
    this.session = null;
    this.reset();
    this.bindForms();
    const saved = localStorage.getItem('chatd.user');
    if (saved) $('login-user').value = saved;
    $('login-user').focus();
  }

  reset() {
    this.convs = new Map(); // key 'room:NAME' or 'user:NAME' -> conversation
    this.current = null;
    this.watched = new Map(); // user -> true, false or undefined (not known yet)
    this.serverRooms = [];
    this.me = '';
    this.pendingOpen = null; // a room the user asked to join: opened when joined
  }

  bindForms() {
    const onSubmit = (id, fn) => $(id).addEventListener('submit', (ev) => {
      ev.preventDefault();
      fn();
    });
    onSubmit('login-form', () => this.login($('login-user').value.trim(), $('login-token').value));
    onSubmit('join-form', () => {
      const room = $('join-room').value.trim();
      this.pendingOpen = room;
      if (this.session.join(room) !== 0 || this.session.rooms.has(room)) $('join-room').value = '';
      if (this.convs.has(`room:${room}`)) this.open(`room:${room}`);
    });
    onSubmit('private-form', () => {
      const user = $('private-user').value.trim();
      if (!this.session.checkName('user', user)) return;
      $('private-user').value = '';
      this.open(this.conv('user', user).key);
      $('message-input').focus();
    });
    onSubmit('watch-form', () => {
      const users = $('watch-user').value.trim().split(/\s+/).filter(Boolean);
      if (this.session.watch(users) !== 0 || users.every((u) => this.session.watched.has(u))) {
        $('watch-user').value = '';
        for (const u of users) if (!this.watched.has(u)) this.watched.set(u, undefined);
        this.view.renderWatched();
      }
    });
    onSubmit('composer', () => this.send());
    $('leave-button').addEventListener('click', () => this.current?.kind === 'room' && this.session.leave(this.current.name));
    $('who-button').addEventListener('click', () => this.current?.kind === 'room' && this.session.who(this.current.name));
    $('all-rooms').addEventListener('toggle', () => $('all-rooms').open && this.session.listRooms());
    $('logout').addEventListener('click', () => this.session?.quit());
    $('error-close').addEventListener('click', () => this.view.hideError());
    $('menu-toggle').addEventListener('click', () => this.view.toggleSidebar());
  }

  login(user, token) {
    if (!validName(user)) {
      $('login-error').textContent = describeError({ code: 'INVALID_NAME', request: 'HELLO' });
      $('login-user').focus();
      return;
    }
    localStorage.setItem('chatd.user', user);
    this.reset();
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.session = new Session({
      url: `${scheme}://${location.host}/ws`,
      user,
      token,
      onEvent: (ev) => this.onEvent(ev),
    });
    window.chatSession = this.session; // for the console and the browser tests
    $('login-submit').disabled = true;
    $('login-error').textContent = '';
    this.session.start();
  }

  // ---- conversations ----

  conv(kind, name) {
    const key = `${kind}:${name}`;
    let c = this.convs.get(key);
    if (!c) {
      c = { key, kind, name, items: [], unread: 0, joined: kind === 'user' };
      this.convs.set(key, c);
      this.view.renderLists();
    }
    return c;
  }

  open(key) {
    const c = this.convs.get(key);
    if (!c) return;
    this.current = c;
    c.unread = 0;
    this.view.closeSidebar();
    this.view.renderAll();
  }

  // Adds `item` to conversation `c`: a room message before the first one
  // with a higher seq (history, an ACK after later messages), else at the end.
  add(c, item, { unread = false } = {}) {
    const items = c.items;
    let at = item.seq === undefined ? -1 : items.findIndex((it) => it.seq !== undefined && it.seq > item.seq);
    if (at < 0) at = items.length;
    items.splice(at, 0, item);
    if (items.length > MAX_ITEMS) items.splice(0, items.length - MAX_ITEMS);
    if (unread && c !== this.current) ++c.unread;
    if (c === this.current) this.view.renderMessages();
    else this.view.renderLists();
  }

  notice(c, text, cls = 'notice') {
    if (c) this.add(c, { cls, text, time: Date.now() });
  }

  send() {
    const input = $('message-input');
    const body = input.value;
    const c = this.current;
    if (!c || body.length === 0) return;
    const req = c.kind === 'room' ? this.session.say(c.name, body) : this.session.whisper(c.name, body);
    if (req === 0) return; // refused before sending: the error says why
    input.value = '';
    this.add(c, { cls: 'msg own pending', req, from: this.me, body, time: Date.now() });
  }

  // The own message sent as `req` in conversation `c`: acknowledged or refused.
  settle(c, req, change) {
    const i = c.items.findIndex((it) => it.req === req);
    if (i < 0) return;
    const [item] = c.items.splice(i, 1);
    this.add(c, { ...item, ...change }); // a new object: the view redraws it
  }

  // ---- session events ----

  onEvent(ev) {
    const room = ev.room !== undefined ? this.convs.get(`room:${ev.room}`) : undefined;
    switch (ev.event) {
      case 'state':
      case 'rtt':
        this.view.renderStatus();
        break;
      case 'welcome':
        this.me = ev.user;
        this.view.showChat();
        break;
      case 'joined': {
        const c = this.conv('room', ev.room);
        c.joined = true;
        this.notice(c, `you joined ${ev.room}`);
        if (!this.current || this.pendingOpen === ev.room) this.open(c.key);
        if (this.pendingOpen === ev.room) this.pendingOpen = null;
        if (ev.last_seq > 0) this.session.history(ev.room, Math.min(HISTORY_ON_OPEN, ev.last_seq), ev.last_seq);
        this.view.renderLists();
        break;
      }
      case 'left':
        if (room) {
          this.convs.delete(room.key);
          if (this.current === room) this.current = [...this.convs.values()].find((c) => c.kind === 'room') ?? null;
          this.notice(this.current, `you left ${ev.room}`);
          this.view.renderAll();
        }
        break;
      case 'message': {
        const c = this.conv('room', ev.room);
        c.joined = true;
        const own = ev.from === this.me ? ' own' : '';
        const cls = `msg${own}${ev.recovered ? ' recovered' : ''}`;
        this.add(c, { cls, seq: ev.seq, from: ev.from, body: ev.body, time: ev.time }, { unread: true });
        break;
      }
      case 'history':
        // What came before we joined; an adopted room (the lobby) may already
        // show the message that told us we were in it.
        if (room && !room.items.some((it) => it.seq === ev.seq)) {
          this.add(room, { cls: 'msg history', seq: ev.seq, from: ev.from, body: ev.body, time: ev.time });
        }
        break;
      case 'private': {
        const other = ev.from === this.me ? ev.to : ev.from;
        const c = this.conv('user', other);
        const own = ev.from === this.me ? ' own' : '';
        this.add(c, { cls: `msg private${own}`, from: ev.from, body: ev.body, time: ev.time }, { unread: true });
        break;
      }
      case 'ack': {
        const c = ev.room !== undefined ? room : this.convs.get(`user:${ev.to}`);
        const change = { cls: c?.kind === 'user' ? 'msg own private' : 'msg own', time: ev.time };
        if (ev.room !== undefined) change.seq = ev.id;
        if (c) this.settle(c, ev.req, change);
        break;
      }
      case 'room_event':
        this.notice(this.conv('room', ev.room), `${ev.user} ${ev.kind === 'joined' ? 'joined' : 'left'} ${ev.room}`);
        break;
      case 'presence':
        this.watched.set(ev.user, ev.online);
        this.view.renderWatched();
        break;
      case 'watching':
        for (const u of ev.users) if (!this.watched.has(u)) this.watched.set(u, undefined);
        this.view.renderWatched();
        break;
      case 'unwatched':
        for (const u of ev.users) this.watched.delete(u);
        this.view.renderWatched();
        break;
      case 'members':
        this.notice(room ?? this.current, `members of ${ev.room} (${ev.total}): ${ev.users.join(', ')}`);
        break;
      case 'rooms':
        this.serverRooms = ev.rooms;
        this.view.renderServerRooms(ev.total);
        break;
      case 'history_gap':
        this.notice(room, `messages ${ev.first_seq}–${ev.last_seq} could not be recovered`, 'notice warn');
        break;
      case 'history_reset':
        this.notice(room, 'the server restarted: the history of this room starts over', 'notice warn');
        break;
      case 'disconnected':
        this.notice(this.current, `connection lost: ${ev.reason}`, 'notice warn');
        break;
      case 'reconnecting':
        this.view.renderStatus(ev);
        break;
      case 'reconnected':
        this.notice(this.current, 'reconnected');
        break;
      case 'error':
        this.onError(ev);
        break;
      case 'gave_up':
      case 'closed':
        this.onEnded(ev);
        break;
      default:
        break;
    }
  }

  onError(ev) {
    const text = describeError(ev);
    if (ev.request === 'SAY' || ev.request === 'WHISPER') {
      const c = ev.request === 'SAY' ? this.convs.get(`room:${ev.room}`) : this.convs.get(`user:${ev.to}`);
      if (c) this.settle(c, ev.req, { cls: c.kind === 'user' ? 'msg own private failed' : 'msg own failed', failed: text });
    }
    if (ev.request === 'HELLO' || !this.session.everLive) {
      $('login-error').textContent = text;
      return;
    }
    this.view.showError(text, ev.code);
  }

  onEnded(ev) {
    const wasLive = this.session.everLive;
    this.view.renderStatus();
    if (ev.event === 'gave_up') {
      if (!$('login-error').textContent) $('login-error').textContent = ev.reason;
      if (wasLive) this.view.showError(`Disconnected for good: ${ev.reason}`, 'GAVE_UP');
    }
    this.view.showLogin();
    $('login-submit').disabled = false;
  }

  statusText(reconnecting) {
    const s = this.session;
    if (!s) return 'not connected';
    switch (s.state) {
      case State.CONNECTING:
      case State.LOGGING_IN:
        return s.everLive ? 'reconnecting…' : 'connecting…';
      case State.LIVE:
        return `online as ${s.user}${s.rttMs !== null ? ` · ${s.rttMs} ms` : ''}`;
      case State.WAITING: {
        const secs = reconnecting ? ` in ${(reconnecting.delay_ms / 1000).toFixed(1)} s` : '';
        return `connection lost, reconnecting${secs} (attempt ${s.attempt})`;
      }
      case State.CLOSING:
        return 'logging out…';
      default:
        return 'offline';
    }
  }
}

window.chatApp = new App();
