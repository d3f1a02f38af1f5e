// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The pogo authors
//
// The web UI in a real browser (SPEC 11.6, 13.9; issue 12): headless
// Chromium driven by playwright-core, against the `pogo api` that
// t7001-ui-browser.sh started in front of a real dispatcher and worker.
// Environment: PW (playwright-core's directory), API (host:port), T (the
// test's directory: go-files release the test commands), SHOTS (where the
// screenshots go), JOBS (a JSON object of the job ids the shell made),
// TOKENS (a JSON object user -> token, empty without token auth).
// Prints one line per check; exits non-zero at the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(process.env.PW);

const API = 'http://' + process.env.API;
const T = process.env.T;
const SHOTS = process.env.SHOTS;
const JOBS = JSON.parse(process.env.JOBS);
const TOKENS = JSON.parse(process.env.TOKENS || '{}');
// Under ASan and UBSan the daemons are slower: the time bounds, which
// hold for the release build, are three times as long (as in the t9 tests).
const SLOW = process.env.POGO_SANITIZED === '1' ? 3 : 1;
const COLOURS = {
  failed: 'rgb(217, 83, 79)', finished: 'rgb(92, 184, 92)',
  unreachable: 'rgb(139, 90, 43)', deadlocked: 'rgb(240, 173, 78)',
  ready: 'rgb(200, 230, 201)', running: 'rgb(255, 235, 59)',
  waiting: 'rgb(91, 192, 222)', halted: 'rgb(158, 158, 158)',
  skipped: 'rgb(224, 224, 224)',
};

function ok(what) { console.log('ok - ' + what); }
function check(cond, what, detail) {
  if (!cond) throw new Error('FAILED: ' + what + (detail ? ': ' + detail : ''));
  ok(what);
}
function go(name) { fs.writeFileSync(path.join(T, 'go-' + name), ''); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The API's answer, outside the browser.
async function apiGet(p, user) {
  const h = {};
  if (user && TOKENS[user]) h.Authorization = 'Bearer ' + TOKENS[user];
  const r = await fetch(API + '/v1' + p, { headers: h });
  return r.json();
}

// Poll fn (bounded) until it returns a true value.
async function until(what, fn, secs) {
  const end = Date.now() + (secs || 30) * 1000;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error('FAILED: timed out waiting for ' + what + ' (' + last + ')');
}

async function hostState(job, host) {
  const j = await apiGet('/jobs/' + job + '/hosts?max=10000', 'alice');
  return j.response.hosts[host];
}

// The row of a host on the job page: state attribute and colour.
function rowInfo(page, host) {
  return page.evaluate((h) => {
    const r = document.querySelector('tr[data-host="' + CSS.escape(h) + '"]');
    if (!r) return null;
    return { state: r.dataset.state,
      bg: getComputedStyle(r).backgroundColor,
      label: r.querySelector('.state').textContent };
  }, host);
}

// Record, in the page, when each host row first shows each state.
function watchRows(page) {
  return page.evaluate(() => {
    window.__seen = {};
    const last = {};
    const note = () => {
      for (const r of document.querySelectorAll('tr[data-host]')) {
        const h = r.dataset.host;
        if (last[h] === r.dataset.state) continue;
        last[h] = r.dataset.state;
        window.__seen[h + ' ' + r.dataset.state] = Date.now() / 1000;
      }
    };
    note();
    new MutationObserver(note).observe(document.getElementById('main'),
      { subtree: true, childList: true, attributes: true });
  });
}

// The log entry that put host into state (the last one).
async function entryTime(job, host, state) {
  const j = await apiGet('/jobs/' + job + '/log?max=10000', 'alice');
  const es = j.response.joblog.filter((e) => e.host === host &&
    e.state === state);
  return es.length ? es[es.length - 1].time : null;
}

// A row turns to state, in its colour, within 1 s of the log entry.
async function turnsWithin1s(page, job, host, state) {
  await until(host + ' ' + state + ' on the page', async () => {
    const r = await rowInfo(page, host);
    return r && r.state === state;
  }, 30);
  const r = await rowInfo(page, host);
  check(r.bg === COLOURS[state] && r.label === state,
    host + ' row is ' + state + ' in ' + COLOURS[state] + ' with its label',
    JSON.stringify(r));
  const seen = await page.evaluate((k) => window.__seen[k], host + ' ' + state);
  const at = await entryTime(job, host, state);
  check(seen !== undefined && at !== null && seen - at < 1.0 * SLOW &&
    seen - at > -0.05,
    host + ' turned ' + state + ' ' + (seen - at).toFixed(3) +
    ' s after the log entry (< ' + SLOW + ' s, no reload)');
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'] });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 },
    timezoneId: 'Europe/Berlin' });
  const requests = [];
  ctx.on('request', (r) => requests.push(r.url()));
  let reloads = 0;
  const page = await ctx.newPage();
  page.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) reloads++; });
  page.setDefaultTimeout(30000);

  // Token authentication: a 401 makes the page ask; the token is kept
  // in sessionStorage for the session.
  async function signIn(p, user) {
    if (!TOKENS[user]) return;
    await p.waitForSelector('#token-input');
    await p.fill('#token-input', TOKENS[user]);
    await p.press('#token-input', 'Enter');
    await p.waitForSelector('#token-input', { state: 'detached' });
  }

  // ---- U-1 in the browser --------------------------------------------
  let resp = await page.goto(API + '/ui/');
  check(resp.status() === 200 &&
    /^text\/html/.test(resp.headers()['content-type']), 'U-1 GET /ui/ 200 text/html');
  const index = await resp.text();
  resp = await page.goto(API + '/ui/job/p0000000000');
  check(resp.status() === 200 && (await resp.text()) === index,
    'U-1 /ui/job/p0000000000 is the same document');
  const assets = [...index.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)]
    .map((m) => m[1]);
  check(assets.some((a) => /\.js\?/.test(a)), 'index.html names its script',
    assets.join(' '));
  for (const a of assets) {
    const r = await fetch(API + a);
    const body = await r.text();
    const type = r.headers.get('content-type');
    check(r.status === 200 && (!/\.js\?/.test(a) ||
      /^text\/javascript/.test(type)) && /max-age/.test(
      r.headers.get('cache-control') || ''), 'U-1 ' + a + ' ' + type);
    check(!/https?:\/\//.test(body), 'U-2 ' + a + ' names no other origin');
  }
  check(!/https?:\/\//.test(index), 'U-2 index.html names no other origin');
  let r302 = await fetch(API + '/', { redirect: 'manual' });
  check(r302.status === 302 && /\/ui\/$/.test(r302.headers.get('location')),
    'U-1 GET / -> 302 /ui/');

  // ---- the job list --------------------------------------------------
  await page.goto(API + '/ui/');
  await signIn(page, 'alice');
  await page.waitForSelector('#all-jobs tbody tr[data-jobid]');
  const allIds = await page.$$eval('#all-jobs tbody tr[data-jobid]',
    (rs) => rs.map((r) => r.dataset.jobid));
  for (const id of Object.values(JOBS)) {
    check(allIds.includes(id), 'job list shows ' + id);
  }
  const runIds = await page.$$eval('#running-jobs tbody tr[data-jobid]',
    (rs) => rs.map((r) => r.dataset.jobid));
  check(runIds.includes(JOBS.live) && !runIds.includes(JOBS.done),
    'running jobs table: ' + runIds.join(' '));
  const th = await page.$$eval('#all-jobs th', (hs) => hs.map((h) => h.textContent));
  check(th[0] === 'Pogo ID' && /^Time \(UTC\+01:00 \(Europe\/Berlin\)\)$/.test(th[3]),
    'columns, with the zone: ' + th.join('|'));
  const t0 = await page.$eval('#all-jobs tbody tr time', (t) => t.textContent);
  check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(t0), 'local time ' + t0);
  await page.screenshot({ path: path.join(SHOTS, 'job-list.png'), fullPage: true });
  // Filters: user, then state.
  await page.fill('#f-user', 'bob');
  await page.press('#f-user', 'Enter');
  await until('the user filter', async () => {
    const us = await page.$$eval('#all-jobs tbody tr[data-jobid] td:nth-child(2)',
      (ts) => ts.map((t) => t.textContent));
    return us.length === 1 && us[0] === 'bob';
  });
  ok('filter user=bob shows bob\'s job only');
  check(/user=bob/.test(page.url()), 'the filter is in the address');
  await page.fill('#f-user', '');
  await page.selectOption('#f-state', 'finished');
  await page.click('form.filters button[type=submit]');
  await until('the state filter', async () => {
    const ss = await page.$$eval('#all-jobs tbody tr[data-jobid]',
      (rs) => rs.map((r) => r.dataset.state));
    return ss.length >= 1 && ss.every((s) => s === 'finished') &&
      !(await page.$('#all-jobs tr[data-jobid="' + JOBS.live + '"]'));
  });
  ok('filter state=finished');

  // ---- the job page, live -------------------------------------------
  reloads = 0;
  await page.goto(API + '/ui/job/' + JOBS.live);
  reloads = 0;
  await page.waitForSelector('tr[data-host="l1"]');
  await until('l1 running on the page', async () =>
    (await rowInfo(page, 'l1')).state === 'running');
  await watchRows(page);
  const fieldsText = await page.$eval('dl.fields', (d) => d.textContent);
  check(fieldsText.includes(JOBS.live) && fieldsText.includes('alice'),
    'job fields');
  go('l1');
  await turnsWithin1s(page, JOBS.live, 'l1', 'finished');
  go('l2');
  await turnsWithin1s(page, JOBS.live, 'l2', 'failed');
  check(reloads === 0, 'no reload of the job page');
  // Mid-rollout: l1 finished, l2 failed, l3 running.
  await page.screenshot({ path: path.join(SHOTS, 'job-page.png'), fullPage: true });
  const summary = await page.$eval('ul.summary', (u) => u.textContent);
  check(/finished 1/.test(summary) && /failed 1/.test(summary),
    'summary counts: ' + summary);
  // Filter by state.
  await page.selectOption('#host-filter', 'failed');
  await until('the host filter', async () => {
    const hs = await page.$$eval('tr[data-host]', (rs) => rs.map((r) => r.dataset.host));
    return hs.length === 1 && hs[0] === 'l2';
  });
  ok('host filter failed shows l2 only');
  await page.selectOption('#host-filter', '');

  // Retry l2 from its row: it runs again (a second run).
  await page.click('tr[data-host="l2"] button.retry');
  await until('l2 retried', async () => (await hostState(JOBS.live, 'l2')).runs === 2);
  await page.waitForSelector('#main .notice:has-text("retry requested for 1 host(s)")');
  ok('Retry from the page: l2 runs again');
  await until('l2 failed again on the page', async () =>
    (await hostState(JOBS.live, 'l2')).state === 'failed' &&
    (await rowInfo(page, 'l2')).state === 'failed');
  check((await rowInfo(page, 'l2')).bg === COLOURS.failed, 'l2 red again');

  // ---- the output page, following l3 --------------------------------
  const out = await ctx.newPage();
  out.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
  out.on('console', (m) => console.error('console: ' + m.text()));
  await out.goto(API + '/ui/job/' + JOBS.live + '/l3');
  await out.waitForSelector('#output .stdout');
  const lines = await out.$$eval('#output .rec', (rs) => rs.map((r) =>
    [r.classList.contains('stderr') ? 'E' : 'O', r.textContent]));
  check(lines.some(([k, t]) => k === 'O' && t.includes('out-l3')) &&
    lines.some(([k, t]) => k === 'E' && t.includes('err-l3')),
  'output page: stdout and stderr (marked)', JSON.stringify(lines));
  check(await out.$eval('#final', (f) => f.textContent === ''),
    'no status line while running');
  await out.screenshot({ path: path.join(SHOTS, 'output-page.png'), fullPage: true });
  go('l3');
  await until('the followed output', () => out.$eval('#output',
    (o) => o.textContent.includes('after-l3')));
  await until('the EXIT line', () => out.$eval('#final',
    (f) => f.textContent === 'EXIT 0'), 30).catch(async (e) => {
    console.error(await out.$eval('#main', (m) => m.innerHTML));
    throw e;
  });
  ok('output page follows l3 live to EXIT 0');
  await out.close();
  await turnsWithin1s(page, JOBS.live, 'l3', 'finished');

  // ---- Halt, Resume, Skip (several at once) -------------------------
  await page.goto(API + '/ui/job/' + JOBS.ops);
  await page.waitForSelector('tr[data-host="h1"]');
  await until('a host of ops running', async () =>
    (await page.$$('tr[data-state="running"]')).length === 1);
  check(!(await page.$eval('#halt', (b) => b.disabled)) &&
    await page.$eval('#resume', (b) => b.disabled), 'Halt enabled, Resume disabled');
  await page.click('#halt');
  await until('ops halted', async () =>
    (await apiGet('/jobs/' + JOBS.ops, 'alice')).response.job.state === 'halted');
  await until('Resume enabled', () => page.$eval('#resume', (b) => !b.disabled));
  ok('Halt from the page');
  const halted = await page.$$eval('tr[data-state="halted"]',
    (rs) => rs.map((r) => r.dataset.host));
  check(halted.length >= 2, 'halted hosts: ' + halted.join(' '));
  for (const h of halted.slice(0, 2)) {
    await page.check('tr[data-host="' + h + '"] input[type=checkbox]');
  }
  await page.click('#skip-selected');
  await until('two skipped', async () => {
    const a = await hostState(JOBS.ops, halted[0]);
    const b = await hostState(JOBS.ops, halted[1]);
    return a.state === 'skipped' && b.state === 'skipped';
  });
  ok('Skip selected: ' + halted.slice(0, 2).join(' ') + ' skipped');
  await page.click('#resume');
  await until('ops running again', async () =>
    (await apiGet('/jobs/' + JOBS.ops, 'alice')).response.job.state === 'running');
  ok('Resume from the page');
  for (const h of ['h1', 'h2', 'h3', 'h4']) go('h-' + h);
  await until('ops finished on the page', () => page.$eval('dl.fields',
    (d) => d.dataset.state === 'finished'));
  ok('ops finished, seen live');

  // ---- a user who may not act --------------------------------------
  if (TOKENS.bob) {
    const bctx = await browser.newContext();
    bctx.on('request', (r) => requests.push(r.url()));
    const bp = await bctx.newPage();
    await bp.goto(API + '/ui/job/' + JOBS.live);
    await signIn(bp, 'bob');
    await bp.waitForSelector('tr[data-host="l2"]');
    const dis = await bp.$$eval('button#halt, button#resume, button.retry, ' +
      'button.skip, #retry-selected, #skip-selected', (bs) => bs.map((b) => b.disabled));
    check(dis.length >= 6 && dis.every((d) => d), 'bob sees every action disabled');
    await bctx.close();
    // carol, an admin, may act on alice's job.
    const cctx = await browser.newContext();
    const cp = await cctx.newPage();
    await cp.goto(API + '/ui/job/' + JOBS.live);
    await signIn(cp, 'carol');
    await cp.waitForSelector('tr[data-host="l2"]');
    check(!(await cp.$eval('tr[data-host="l2"] button.retry', (b) => b.disabled)),
      'carol (admin) may retry');
    await cctx.close();
  }

  // ---- 10,000 hosts stay responsive ---------------------------------
  if (JOBS.big) {
    let t = Date.now();
    await page.goto(API + '/ui/job/' + JOBS.big);
    await page.waitForSelector('tr[data-host]');
    const load = (Date.now() - t) / 1000;
    const n = await page.$$eval('tr[data-host]', (rs) => rs.length);
    const all = await page.$eval('#host-filter option', (o) => o.textContent);
    check(n === 100 && all === 'all (10000)', '10,000 hosts: ' + n +
      ' rows drawn of ' + all + ', page ready in ' + load.toFixed(2) + ' s');
    check(load < 15 * SLOW, 'the 10,000-host page loads within ' +
      15 * SLOW + ' s');
    // Next, measured in the page: the click to the redrawn rows.
    const next = await page.evaluate(() => new Promise((res) => {
      const first = () => document.querySelector('tr[data-host]').dataset.host;
      const first1 = first();
      const t0 = performance.now();
      const obs = new MutationObserver(() => {
        if (first() === first1) return;
        obs.disconnect();
        res((performance.now() - t0) / 1000);
      });
      obs.observe(document.getElementById('hosts'),
        { subtree: true, childList: true });
      Array.from(document.querySelectorAll('nav.pager button'))
        .find((b) => b.textContent === 'Next').click();
    }));
    check(await page.$eval('nav.pager button.current',
      (b) => b.textContent) === '2', 'on page 2 of the hosts');
    // The filter's cost measured in the page: change to the redrawn rows.
    const filt = await page.evaluate(() => new Promise((res) => {
      const sel = document.getElementById('host-filter');
      const t0 = performance.now();
      const done = () => {
        if (document.querySelectorAll('tr[data-host]').length !== 1) return;
        obs.disconnect();
        res((performance.now() - t0) / 1000);
      };
      const obs = new MutationObserver(done);
      obs.observe(document.getElementById('hosts'),
        { subtree: true, childList: true });
      sel.value = 'running';
      sel.dispatchEvent(new Event('change'));
    }));
    check(next < SLOW && filt < SLOW, 'Next page in ' + next.toFixed(3) +
      ' s, state filter in ' + filt.toFixed(3) + ' s (< ' + SLOW +
      ' s each)');
    t = Date.now();
    const busy = await page.evaluate(() => new Promise((res) => {
      const t0 = performance.now();
      setTimeout(() => res(performance.now() - t0), 0);
    }));
    check(busy < 200, 'the page\'s event loop answers in ' +
      busy.toFixed(1) + ' ms');
    await page.click('#halt');
    await until('the big job halted', async () =>
      (await apiGet('/jobs/' + JOBS.big, 'alice')).response.job.state ===
      'halted');
    ok('the 10,000-host job halted from its page');
  }

  // ---- disabled for a user who may not act --------------------------
  // whoami answered by the test (pogo api's own token mode is checked
  // above when TOKENS is set): bob may read alice's job but not act on
  // it; alice (the owner) and carol (an admin) may.
  async function asUser(me) {
    const c = await browser.newContext();
    c.on('request', (r) => requests.push(r.url()));
    await c.route(API + '/v1/whoami*', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ meta: {}, response: me }) }));
    const p = await c.newPage();
    await p.goto(API + '/ui/job/' + JOBS.live);
    await p.waitForSelector('tr[data-host="l2"]');
    const b = await p.$$eval('#halt, #resume, button.retry, button.skip',
      (bs) => bs.map((x) => [x.id || x.className, x.disabled]));
    await c.close();
    return b;
  }
  let bs = await asUser({ user: 'bob', auth: 'token', admin: false });
  check(bs.length >= 8 && bs.every(([, d]) => d),
    'bob (not the owner) sees every action disabled', JSON.stringify(bs));
  bs = await asUser({ user: 'alice', auth: 'token', admin: false });
  check(bs.some(([k, d]) => k === 'retry' && !d),
    'alice (the owner) may retry', JSON.stringify(bs));
  bs = await asUser({ user: 'carol', auth: 'token', admin: true });
  check(bs.some(([k, d]) => k === 'retry' && !d),
    'carol (an admin) may retry', JSON.stringify(bs));

  // ---- a 401 asks for the token, kept in sessionStorage -------------
  {
    const good = 'tok-' + 'a'.repeat(40);
    const c = await browser.newContext();
    const auths = [];
    c.on('request', (r) => requests.push(r.url()));
    await c.route(API + '/v1/**', (route) => {
      const a = route.request().headers().authorization || '';
      auths.push(a);
      if (a === 'Bearer ' + good) return route.continue();
      return route.fulfill({ status: 401, contentType: 'application/json',
        headers: { 'WWW-Authenticate': 'Bearer' },
        body: JSON.stringify({ meta: {}, errors: ['authentication required'] }) });
    });
    const p = await c.newPage();
    await p.goto(API + '/ui/');
    await p.waitForSelector('#token-input');
    await p.keyboard.type('wrong-token');
    await p.keyboard.press('Enter');
    await p.waitForSelector('.login .error:has-text("not accepted")');
    ok('a 401 asks for the token; a wrong one is said so');
    await p.fill('#token-input', good);
    await p.keyboard.press('Enter');
    await p.waitForSelector('#all-jobs tbody tr[data-jobid]');
    check(await p.evaluate(() => sessionStorage.getItem('pogo.token')) === good,
      'the token is kept in sessionStorage');
    await p.goto(API + '/ui/job/' + JOBS.done);
    await p.waitForSelector('tr[data-host="d1"]');
    check(!(await p.$('#token-input')) &&
      auths[auths.length - 1] === 'Bearer ' + good,
    'the next page sends it without asking');
    await c.close();
  }

  // ---- the password sealed in the page (SPEC 10.3) ------------------
  for (const kind of ['rsa', 'ec']) {
    const spki = process.env['SEAL_' + kind.toUpperCase()];
    if (!spki) continue;
    const box = await page.evaluate(async ([s, pw]) => {
      const der = Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
      return POGO.sealSecret(der, pw);
    }, [spki, 'pässwörd ' + kind]);
    fs.writeFileSync(path.join(T, 'box-' + kind + '.b64'), box + '\n');
    ok('a ' + kind + ' box sealed with Web Crypto');
  }

  // ---- a retry with a password, from the page -----------------------
  // The job is made to need secrets and the worker certificate is the
  // test's RSA one (both answered by the test); the operation is caught
  // before the dispatcher, and its password field must be a box that
  // opens to what was typed.
  if (process.env.SEAL_RSA) {
    const c = await browser.newContext();
    c.on('request', (r) => requests.push(r.url()));
    let posted = null;
    await c.route(API + '/v1/workercert*', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ meta: {}, response: { certs: [{
        key_id: 'test', spki: process.env.SEAL_RSA }] } }) }));
    await c.route(API + '/v1/jobs/' + JOBS.live, async (route) => {
      if (route.request().method() === 'POST') {
        posted = route.request().postData();
        return route.fulfill({ status: 200, contentType: 'application/json',
          body: JSON.stringify({ meta: {}, response: {
            message: 'retry requested for 1 host(s)', results: [1] } }) });
      }
      const r = await route.fetch();
      const j = await r.json();
      j.response.job.has_password = true;
      return route.fulfill({ response: r, body: JSON.stringify(j) });
    });
    const p = await c.newPage();
    await p.goto(API + '/ui/job/' + JOBS.live);
    await p.waitForSelector('tr[data-host="l2"]');
    check(await p.isVisible('#secret-password'),
      'a job with secrets shows the password field');
    await p.fill('#secret-password', 'typed pässword');
    await p.click('tr[data-host="l2"] button.retry');
    await until('the retry posted', () => posted !== null);
    const form = new URLSearchParams(posted);
    check(form.get('command') === 'jobretry' && form.get('host') === 'l2' &&
      !posted.includes('typed') && form.get('password'),
    'the retry carries a sealed password, never the clear one');
    fs.writeFileSync(path.join(T, 'box-page.b64'), form.get('password') + '\n');
    await c.close();
  }

  // ---- no request to another origin ---------------------------------
  const foreign = requests.filter((u) => new URL(u).origin !== API);
  check(requests.length > 10 && foreign.length === 0,
    requests.length + ' requests, none to another origin', foreign.join(' '));
  await browser.close();
}

main().then(() => process.exit(0), (e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
