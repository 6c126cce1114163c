// What the browser tests need around the page: free ports, the real chatd,
// a TCP proxy the test can cut, the terminal client in script mode, and
// Debian's Chromium through playwright-core. Every wait is bounded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const WAIT_MS = 10000; // the bound of every single wait

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `fn` until it returns a truthy value (returned) or `ms` pass (throws).
export async function until(what, fn, ms = WAIT_MS) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

// The real chatd with its TCP listener and its web listener on free ports.
export async function startChatd(binary, extraArgs = []) {
  const tcpPort = await freePort();
  const webPort = await freePort();
  const args = ['--listen', `127.0.0.1:${tcpPort}`, '--web', `127.0.0.1:${webPort}`, '--http', '', ...extraArgs];
  const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  await until('chatd to listen', async () => {
    if (proc.exitCode !== null) throw new Error(`chatd exited ${proc.exitCode}: ${stderr}`);
    return (await canConnect(tcpPort)) && (await canConnect(webPort));
  });
  return {
    tcpPort,
    webPort,
    url: `http://127.0.0.1:${webPort}/`,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

// A TCP proxy between a page and chatd's web port. cut() closes every
// connection through it; while refusing, new connections are closed at once.
export async function startProxy(targetPort) {
  const port = await freePort();
  const pairs = new Set();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    connections: () => pairs.size,
    refuse(on) {
      refusing = on;
    },
    cut() {
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    close() {
      this.cut();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// The terminal client in script mode: commands in on stdin, JSON events out.
export function startScriptClient(binary, tcpPort, user) {
  const proc = spawn(binary, ['--server', `127.0.0.1:${tcpPort}`, '--user', user, '--script', '-'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const events = [];
  let partial = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (d) => {
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop();
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
  });
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  return {
    events,
    send(line) {
      proc.stdin.write(`${line}\n`);
    },
    waitFor(what, pred, ms = WAIT_MS) {
      return until(`${user}: ${what} (stderr: ${stderr})`, () => events.find(pred), ms);
    },
    // Ends the input: the client answers what is pending, says BYE and exits.
    async end() {
      proc.stdin.end();
      await Promise.race([exited, sleep(5000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
      return proc.exitCode;
    },
    kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

// Debian's Chromium, headless, with a fresh profile that is removed on close.
export async function launchBrowser() {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'chatd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30000,
    viewport: { width: 1200, height: 760 },
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  context.setDefaultTimeout(WAIT_MS);
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
