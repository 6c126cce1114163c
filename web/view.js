// Drawing the page from the App's state (app.js): the conversation lists with
// unread counts, the message list, watched users, the connection indicator,
// errors, and the narrow-screen sidebar. Text from the network only ever goes
// into textContent, never into HTML.

const $ = (id) => document.getElementById(id);
const NARROW = window.matchMedia('(max-width: 700px)');

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

function clock(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

// Control characters from others are shown as U+FFFD, as in the terminal client.
function printable(s) {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd');
}

export class View {
  constructor(app) {
    this.app = app;
    this.errorTimer = null;
    this.drawn = new WeakMap(); // conversation item -> its <li>
    NARROW.addEventListener('change', () => this.renderSidebarMode());
    this.renderSidebarMode();
  }

  showChat() {
    $('login-view').hidden = true;
    $('chat-view').hidden = false;
    $('logout').hidden = false;
    $('me').textContent = this.app.me;
    // On a phone with nothing to show yet, start in the drawer (join a room).
    if (NARROW.matches && !this.app.current) document.body.classList.add('sidebar-open');
    this.renderSidebarMode();
    this.renderAll();
    $(this.app.current ? 'message-input' : 'join-room').focus();
  }

  showLogin() {
    $('chat-view').hidden = true;
    $('login-view').hidden = false;
    $('logout').hidden = true;
    $('me').textContent = '';
    this.closeSidebar();
    $('login-user').focus();
  }

  renderAll() {
    this.renderLists();
    this.renderMessages();
    this.renderWatched();
    this.renderStatus();
  }

  renderStatus(reconnecting = undefined) {
    const s = this.app.session;
    const status = $('status');
    status.dataset.state = s ? s.state : 'idle';
    $('status-text').textContent = this.app.statusText(reconnecting);
  }

  renderLists() {
    const current = this.app.current;
    const rooms = [];
    const privates = [];
    for (const c of this.app.convs.values()) {
      const label = c.kind === 'room' ? `# ${c.name}` : `@ ${c.name}`;
      const button = el('button', { type: 'button', class: 'conv', 'data-key': c.key },
        el('span', { class: 'conv-name', text: label }),
        c.unread > 0 ? el('span', { class: 'badge', text: String(c.unread), title: `${c.unread} unread` }) : null);
      if (c === current) button.setAttribute('aria-current', 'true');
      button.addEventListener('click', () => this.app.open(c.key));
      (c.kind === 'room' ? rooms : privates).push(el('li', {}, button));
    }
    $('room-list').replaceChildren(...rooms);
    $('private-list').replaceChildren(...privates);
    const unread = [...this.app.convs.values()].reduce((n, c) => n + c.unread, 0);
    document.title = unread > 0 ? `(${unread}) chatd` : 'chatd';
    $('menu-toggle').dataset.unread = unread > 0 ? String(unread) : '';
  }

  renderMessages() {
    const c = this.app.current;
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const input = $('message-input');
    $('conv-title').textContent = c ? (c.kind === 'room' ? `# ${c.name}` : `Private with ${c.name}`) : 'No room yet';
    $('leave-button').hidden = !c || c.kind !== 'room';
    $('who-button').hidden = !c || c.kind !== 'room';
    input.disabled = !c;
    $('send-button').disabled = !c;
    input.placeholder = !c ? 'Join a room to talk' : c.kind === 'room' ? `Message #${c.name}` : `Private message to ${c.name}`;
    // Items are immutable (a change is a new object), so each keeps its
    // element; only new ones are drawn, and the live region hears additions.
    const wanted = c ? c.items.map((it) => this.drawn.get(it) ?? this.drawnNow(it)) : [];
    wanted.forEach((li, i) => {
      if (list.children[i] !== li) list.insertBefore(li, list.children[i] ?? null);
    });
    while (list.children.length > wanted.length) list.lastElementChild.remove();
    if (atBottom || c?.items.at(-1)?.cls.includes('own')) list.scrollTop = list.scrollHeight;
    this.renderLists();
  }

  drawnNow(it) {
    const li = this.item(it);
    this.drawn.set(it, li);
    return li;
  }

  item(it) {
    const li = el('li', { class: it.cls });
    if (it.seq !== undefined) li.dataset.seq = String(it.seq);
    li.append(el('time', { text: clock(it.time), dateTime: new Date(it.time).toISOString() }));
    if (it.from === undefined) {
      li.append(el('span', { class: 'text', text: printable(it.text) }));
      return li;
    }
    li.append(el('span', { class: 'from', text: printable(it.from) }));
    li.append(el('span', { class: 'body', text: printable(it.body) }));
    if (it.cls.includes('pending')) li.append(el('span', { class: 'state', text: 'sending…' }));
    if (it.failed) li.append(el('span', { class: 'state', text: `not sent: ${it.failed}` }));
    if (it.cls.includes('history')) li.append(el('span', { class: 'state', text: 'earlier' }));
    return li;
  }

  renderWatched() {
    const items = [];
    for (const [user, online] of [...this.app.watched].sort(([a], [b]) => a.localeCompare(b))) {
      const state = online === undefined ? 'unknown' : online ? 'online' : 'offline';
      const mark = online === undefined ? '?' : online ? '●' : '○';
      const talk = el('button', { type: 'button', class: 'link', text: user, title: `Message ${user} privately` });
      talk.addEventListener('click', () => this.app.open(this.app.conv('user', user).key));
      const unwatch = el('button', { type: 'button', class: 'icon-button', text: '×', ariaLabel: `Stop watching ${user}` });
      unwatch.addEventListener('click', () => this.app.session.unwatch([user]));
      items.push(el('li', { class: `watched ${state}`, 'data-user': user, 'data-online': state },
        el('span', { class: 'presence', text: mark, title: state, ariaLabel: state }), talk,
        el('span', { class: 'visually-hidden', text: ` ${state}` }), unwatch));
    }
    $('watch-list').replaceChildren(...items);
  }

  renderServerRooms(total) {
    const items = this.app.serverRooms.map(({ room, members }) => {
      const b = el('button', { type: 'button', class: 'link', text: `# ${room}` });
      b.addEventListener('click', () => {
        this.app.pendingOpen = room;
        if (this.app.session.join(room) === 0 && this.app.convs.has(`room:${room}`)) this.app.open(`room:${room}`);
      });
      return el('li', {}, b, el('span', { class: 'count', text: ` ${members} ${members === 1 ? 'member' : 'members'}` }));
    });
    if (total > items.length) items.push(el('li', { text: `… and ${total - items.length} more` }));
    if (items.length === 0) items.push(el('li', { text: 'No rooms yet.' }));
    $('server-rooms').replaceChildren(...items);
  }

  showError(text, code) {
    $('error-text').textContent = text;
    $('errors').dataset.code = code;
    $('errors').hidden = false;
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => this.hideError(), 15000);
  }

  hideError() {
    $('errors').hidden = true;
  }

  // Narrow screens: the sidebar is a drawer over the conversation.
  renderSidebarMode() {
    $('menu-toggle').hidden = !NARROW.matches || $('chat-view').hidden;
    if (!NARROW.matches) document.body.classList.remove('sidebar-open');
    $('menu-toggle').setAttribute('aria-expanded', String(document.body.classList.contains('sidebar-open')));
  }

  toggleSidebar() {
    document.body.classList.toggle('sidebar-open');
    this.renderSidebarMode();
  }

  closeSidebar() {
    document.body.classList.remove('sidebar-open');
    this.renderSidebarMode();
  }
}
