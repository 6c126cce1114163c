// The chat page (web/) in Debian's Chromium against the real chatd: two pages
// talk in a room, one also with a terminal client in script mode, privately,
// watch presence, survive a cut connection without losing or repeating a
// message, and show errors. CHATD_BINARY and CHAT_BINARY name the binaries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';

import { WAIT_MS, launchBrowser, startChatd, startProxy, startScriptClient, until } from './helpers.mjs';

const CHATD = process.env.CHATD_BINARY;
const CHAT = process.env.CHAT_BINARY;
const SHOTS = process.env.SCREENSHOTS_DIR; // set to write docs/images/*.png

// ---- the page, as a user sees it ----

async function login(page, url, user) {
  await page.goto(url);
  await page.fill('#login-user', user);
  await page.press('#login-user', 'Enter');
  await page.waitForSelector('#chat-view:not([hidden])');
  await page.waitForSelector('#status[data-state="online"]');
}

async function join(page, room) {
  await page.fill('#join-room', room);
  await page.press('#join-room', 'Enter');
  await page.waitForFunction((r) => document.getElementById('conv-title').textContent === `# ${r}`, room);
}

async function open(page, label) {
  await page.click(`.conv:has(.conv-name:text-is("${label}"))`);
  await page.waitForFunction((l) => {
    const t = document.getElementById('conv-title').textContent;
    return t === l || t === `Private with ${l.slice(2)}`;
  }, label);
}

// Types and sends with Enter; waits for the server's ACK (no "sending…").
async function say(page, text) {
  await page.fill('#message-input', text);
  await page.press('#message-input', 'Enter');
  await waitAcked(page);
}

function waitAcked(page) {
  return page.waitForFunction(() => document.querySelectorAll('#messages li.pending').length === 0);
}

// The messages of the open conversation: [{from, body, seq, cls}].
function messages(page) {
  return page.$$eval('#messages li.msg', (lis) => lis.map((li) => ({
    from: li.querySelector('.from').textContent,
    body: li.querySelector('.body').textContent,
    seq: li.dataset.seq === undefined ? undefined : Number(li.dataset.seq),
    cls: li.className,
  })));
}

async function waitBodies(page, what, pred) {
  try {
    await page.waitForFunction((src) => {
      const list = [...document.querySelectorAll('#messages li.msg .body')].map((b) => b.textContent);
      return new Function('list', `return (${src})(list)`)(list);
    }, pred.toString(), { timeout: WAIT_MS });
  } catch (e) {
    throw new Error(`${what}: ${e.message}\nmessages: ${JSON.stringify(await messages(page))}`);
  }
}

const bodies = (list) => list.map((m) => m.body);

describe('chat page in Chromium', { skip: !CHATD && 'CHATD_BINARY is not set' }, () => {
  let chatd;
  let proxy;
  let browser;
  let ana;
  let bob;
  const clients = [];

  before(async () => {
    chatd = await startChatd(CHATD);
    proxy = await startProxy(chatd.webPort);
    browser = await launchBrowser();
    ana = await browser.context.newPage();
    bob = await browser.context.newPage();
    for (const p of [ana, bob]) p.on('pageerror', (e) => console.error('page error:', e));
    await login(ana, chatd.url, 'ana');
    await login(bob, proxy.url, 'bob'); // bob's page goes through the proxy the test cuts
  });

  after(async () => {
    for (const c of clients) c.kill();
    await browser?.close();
    await proxy?.close();
    await chatd?.stop();
  });

  test('two pages join a room and see each other\'s messages in order', async () => {
    await join(ana, 'r');
    await join(bob, 'r');
    const expected = ['hi bob, are you there?', 'yes! just got in', 'the build is green again', 'nice, shipping it',
      'see you at 5', 'great, see you'];
    for (let i = 0; i < expected.length; i += 2) {
      await say(ana, expected[i]);
      await say(bob, expected[i + 1]);
    }
    for (const p of [ana, bob]) {
      await waitBodies(p, 'all six', (l) => l.length >= 6);
      const got = await messages(p);
      assert.deepEqual(bodies(got), expected);
      const seqs = got.map((m) => m.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'shown in seq order');
    }
    const fromBob = (await messages(ana)).filter((m) => m.from === 'bob');
    assert.equal(fromBob.length, 3);
    assert.ok(fromBob.every((m) => !m.cls.includes('own')));
  });

  test('a page talks with a terminal client in script mode', { skip: !CHAT && 'CHAT_BINARY is not set' }, async () => {
    const cy = startScriptClient(CHAT, chatd.tcpPort, 'cy');
    clients.push(cy);
    await cy.waitFor('welcome', (e) => e.event === 'welcome');
    cy.send('/join t');
    await cy.waitFor('joined t', (e) => e.event === 'joined' && e.room === 't');
    await join(ana, 't');
    await cy.waitFor('ana joining', (e) => e.event === 'room_event' && e.room === 't' && e.user === 'ana' && e.kind === 'joined');
    cy.send('hello from the terminal');
    await waitBodies(ana, 'the terminal message', (l) => l.includes('hello from the terminal'));
    await say(ana, 'hello from the browser 🌍 ✓');
    const got = await cy.waitFor('ana\'s message', (e) => e.event === 'message' && e.room === 't' && e.from === 'ana');
    assert.equal(got.body, 'hello from the browser 🌍 ✓');
    const shown = await messages(ana);
    assert.deepEqual(bodies(shown), ['hello from the terminal', 'hello from the browser 🌍 ✓']);
    assert.equal(shown[0].from, 'cy');
    assert.equal(await cy.end(), 0);
    // A room opened later shows what was said before, as history.
    await join(bob, 't');
    await waitBodies(bob, 'the room\'s history', (l) => l.length >= 2);
    const history = await messages(bob);
    assert.deepEqual(bodies(history), ['hello from the terminal', 'hello from the browser 🌍 ✓']);
    assert.ok(history.every((m) => m.cls.includes('history')));
  });

  test('a private message between pages, with an unread count', async () => {
    await open(bob, '# r');
    await ana.fill('#private-user', 'bob');
    await ana.press('#private-user', 'Enter');
    await ana.waitForFunction(() => document.getElementById('conv-title').textContent === 'Private with bob');
    await say(ana, 'psst, bob');
    const badge = bob.locator('.conv:has(.conv-name:text-is("@ ana")) .badge');
    await badge.waitFor();
    assert.equal(await badge.textContent(), '1');
    await open(bob, '@ ana');
    await waitBodies(bob, 'the private message', (l) => l.includes('psst, bob'));
    assert.equal(await badge.count(), 0, 'read once opened');
    await say(bob, 'psst back');
    await waitBodies(ana, 'the answer', (l) => l.includes('psst back'));
    assert.deepEqual(bodies(await messages(ana)), ['psst, bob', 'psst back']);
  });

  test('watched users show online and offline', { skip: !CHAT && 'CHAT_BINARY is not set' }, async () => {
    const state = () => ana.getAttribute('.watched[data-user="dee"]', 'data-online');
    await ana.fill('#watch-user', 'dee');
    await ana.press('#watch-user', 'Enter');
    await until('dee offline', async () => (await state()) === 'offline');
    const dee = startScriptClient(CHAT, chatd.tcpPort, 'dee');
    clients.push(dee);
    await until('dee online', async () => (await state()) === 'online');
    assert.equal(await dee.end(), 0);
    await until('dee offline again', async () => (await state()) === 'offline');
  });

  test('a page survives a cut connection: every missed message once, in order', async () => {
    await open(ana, '# r');
    await open(bob, '# r');
    const before = (await messages(bob)).length;
    // Cut while ana talks: these may reach bob live, or only by recovery.
    for (let i = 1; i <= 3; i++) {
      await ana.fill('#message-input', `in flight ${i}`);
      await ana.press('#message-input', 'Enter');
    }
    proxy.refuse(true);
    proxy.cut();
    await waitAcked(ana);
    await bob.waitForSelector('#status[data-state="reconnecting"], #status[data-state="connecting"]');
    for (let i = 1; i <= 5; i++) await say(ana, `missed ${i}`);
    // Typed while disconnected: kept, and sent after the reconnect.
    await bob.fill('#message-input', 'typed while offline');
    await bob.press('#message-input', 'Enter');
    proxy.refuse(false);
    await bob.waitForSelector('#status[data-state="online"]', { timeout: 2 * WAIT_MS });
    await waitAcked(bob);
    await waitBodies(bob, 'the missed messages', (l) => l.includes('missed 5'));
    await say(ana, 'after the cut');
    await waitBodies(bob, 'the live message after', (l) => l.includes('after the cut'));
    const got = await messages(bob);
    const after = bodies(got).slice(before);
    assert.deepEqual(after.filter((b) => b.startsWith('in flight') || b.startsWith('missed')),
      ['in flight 1', 'in flight 2', 'in flight 3', 'missed 1', 'missed 2', 'missed 3', 'missed 4', 'missed 5']);
    assert.equal(after.filter((b) => b === 'typed while offline').length, 1);
    assert.equal(after.at(-1), 'after the cut');
    const seqs = got.map((m) => m.seq);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'no duplicate, in seq order');
    assert.ok(got.filter((m) => m.body.startsWith('missed')).every((m) => m.cls.includes('recovered')));
    await waitBodies(ana, 'bob\'s queued message', (l) => l.includes('typed while offline'));
    assert.equal(bodies(await messages(ana)).filter((b) => b === 'typed while offline').length, 1);
  });

  test('screenshots of a live conversation', { skip: !SHOTS && 'SCREENSHOTS_DIR is not set' }, async () => {
    mkdirSync(SHOTS, { recursive: true });
    await open(ana, '# r');
    await ana.fill('#watch-user', 'bob');
    await ana.press('#watch-user', 'Enter');
    await ana.waitForSelector('.watched[data-user="bob"][data-online="online"]');
    await ana.focus('#message-input');
    await ana.screenshot({ path: `${SHOTS}/web-desktop.png` });
    await open(bob, '# r');
    await bob.setViewportSize({ width: 375, height: 720 });
    await bob.screenshot({ path: `${SHOTS}/web-phone.png` });
    await bob.click('#menu-toggle');
    await bob.screenshot({ path: `${SHOTS}/web-phone-menu.png` });
    await bob.click('#menu-toggle');
  });
  test('the lobby is found from its first message, with what came before it once', async () => {
    await open(ana, '# lobby');
    await say(ana, 'hello lobby');
    const eve = await browser.context.newPage();
    await login(eve, chatd.url, 'eve');
    await say(ana, 'welcome, eve');
    await eve.waitForFunction(() => document.getElementById('conv-title').textContent === '# lobby');
    await waitBodies(eve, 'the lobby', (l) => l.length >= 2);
    assert.deepEqual(bodies(await messages(eve)), ['hello lobby', 'welcome, eve']);
    await eve.close();
  });

  test('a login with an invalid name is refused in words', async () => {
    const page = await browser.context.newPage();
    await page.goto(chatd.url);
    await page.fill('#login-user', 'two words');
    await page.press('#login-user', 'Enter');
    await page.waitForFunction(() => document.getElementById('login-error').textContent !== '');
    assert.match(await page.textContent('#login-error'), /name is not valid/);
    assert.ok(await page.isHidden('#chat-view'));
    await page.close();
  });

  test('errors are shown in words', async () => {
    await ana.fill('#join-room', 'bad room');
    await ana.press('#join-room', 'Enter');
    await ana.waitForSelector('#errors:not([hidden])');
    assert.match(await ana.textContent('#error-text'), /not a valid name/);
    await ana.click('#error-close');
    await ana.fill('#private-user', 'nobody-here');
    await ana.press('#private-user', 'Enter');
    await ana.fill('#message-input', 'anyone?');
    await ana.press('#message-input', 'Enter');
    await ana.waitForSelector('#errors[data-code="NO_SUCH_USER"]:not([hidden])');
    assert.match(await ana.textContent('#error-text'), /not online/);
    await ana.waitForSelector('#messages li.failed .state');
    assert.match(await ana.textContent('#messages li.failed .state'), /not sent/);
  });

});
