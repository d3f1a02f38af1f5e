// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The pogo authors
//
// The web UI's schedule and constraint views, the "why is this host
// waiting" panel and keyboard use (issue 12), in headless Chromium driven
// by playwright-core, against the `pogo api` that t7003-ui-views.sh
// started; last, the views of a 10,000-host job stay bounded and usable.
// Environment: PW, API, T, SHOTS, JOBS ({"seq", "con", "big"}), as in
// ui-browser.js.  Prints one line per check; exits non-zero at the first
// failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(process.env.PW);

const API = 'http://' + process.env.API;
const T = process.env.T;
const SHOTS = process.env.SHOTS;
const JOBS = JSON.parse(process.env.JOBS);
const SLOW = process.env.POGO_SANITIZED === '1' ? 3 : 1;

function ok(what) { console.log('ok - ' + what); }
function check(cond, what, detail) {
  if (!cond) throw new Error('FAILED: ' + what + (detail ? ': ' + detail : ''));
  ok(what);
}
function go(name) { fs.writeFileSync(path.join(T, 'go-' + name), ''); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function apiGet(p) {
  const r = await fetch(API + '/v1' + p);
  return r.json();
}

// Poll fn (bounded) until it returns a true value.
async function until(what, fn, secs) {
  const end = Date.now() + (secs || 30) * SLOW * 1000;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error('FAILED: timed out waiting for ' + what + ' (' +
    JSON.stringify(last) + ')');
}

// The rows of pogo schedule's table: [thread, cells...] per physical line.
function tableRows(text) {
  return text.split('\n').filter((l) => /^\| /.test(l))
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()))
    .filter((c) => c[0] !== 'Thread' && c[0] !== 'Schedule');
}

// The page's schedule: the same rows, read from the DOM.
function pageRows(page) {
  return page.$$eval('#schedule tbody tr', (trs) => trs.map((tr) => {
    const th = tr.querySelector('th');
    const cells = Array.from(tr.querySelectorAll('td')).map((td) => {
      const n = td.querySelector('.name');
      if (n) return n.textContent;
      const h = td.querySelector('.slothosts');
      return h ? h.textContent : td.textContent;
    });
    return [th ? th.textContent : ''].concat(cells);
  }));
}

// The progress of slot i of thread th on the page.
function slotInfo(page, th, i) {
  return page.evaluate(([th, i]) => {
    const rows = document.querySelectorAll('#schedule tbody tr[data-thread="' +
      th + '"]');
    if (rows.length < 2) return null;
    const name = rows[0].querySelectorAll('td')[i];
    const td = rows[1].querySelectorAll('td')[i];
    return { done: Number(td.dataset.done), failed: Number(td.dataset.failed),
      running: Number(td.dataset.running), waiting: Number(td.dataset.waiting),
      active: name.classList.contains('active'),
      words: td.querySelector('.words').textContent };
  }, [th, i]);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox'] });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const requests = [];
  ctx.on('request', (r) => requests.push(r.url()));
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const logged = [];
  page.on('console', (m) => logged.push(m.type() + ': ' + m.text()));
  process.on('exit', (c) => {
    if (c) console.error('page errors: ' + errors.join('; ') +
      '\nconsole: ' + logged.join('\n'));
  });
  let loads = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) loads++; });
  page.setDefaultTimeout(30000 * SLOW);

  // ---- the schedule view ---------------------------------------------
  const seq = JOBS.seq;
  await page.goto(API + '/ui/job/' + seq);
  await page.waitForSelector('#schedule td.slot');
  const view = (await apiGet('/jobs/' + seq + '/schedule')).response.schedule;
  const want = tableRows(view.table);
  const got = await pageRows(page);
  check(JSON.stringify(got) === JSON.stringify(want),
    'the schedule view has pogo schedule\'s threads, slots and hosts',
    JSON.stringify(got) + ' vs ' + JSON.stringify(want));
  const th0 = view.threads[0].name;
  const slot1 = view.threads[0].slots[0].name;
  let s = await slotInfo(page, th0, 0);
  check(s.running === 2 && s.done === 0 && s.active,
    'slot 1 active, 2 running: ' + s.words);
  s = await slotInfo(page, th0, 1);
  check(s.waiting === 2 && !s.active, 'slot 2 waits: ' + s.words);

  // The panel of s3, which waits for slot 1 (SPEC 5.4's message).
  await page.click('tr[data-host="s3"] button.why');
  await until('the why panel of s3', () => page.evaluate(() =>
    !document.getElementById('why').hidden));
  let text = await page.$eval('#why', (e) => e.textContent);
  check(text.includes('waiting for ' + slot1) &&
    text.includes('Sequence: every host of slot ' + slot1 +
      ' must end first; 0 of its 2 have (2 running'),
  's3 is waiting for slot ' + slot1 + ', said in words', text);
  await page.click('#why-close');

  const loads0 = loads;
  go('s-s1');
  await until('s1 done in the schedule view', async () => {
    const x = await slotInfo(page, th0, 0);
    return x.done === 1 && x.running === 1;
  }, 15);
  ok('slot 1 shows 1 done, 1 running, live');
  await page.screenshot({ path: path.join(SHOTS, 'schedule-view.png'),
    fullPage: true });
  go('s-s2');
  await until('slot 2 active and running', async () => {
    const x = await slotInfo(page, th0, 1);
    return x.active && x.running === 2;
  }, 15);
  s = await slotInfo(page, th0, 0);
  check(s.done === 2 && !s.active, 'slot 1 complete: ' + s.words);
  check(loads === loads0, 'the schedule view changed without a reload');

  // ---- the constraint view -------------------------------------------
  const con = JOBS.con;
  await page.goto(API + '/ui/job/' + con);
  await page.waitForSelector('#constraints tr[data-group]');
  await page.evaluate(() => {
    window.__peak = 0;
    window.__over = false;
    const note = () => {
      for (const r of document.querySelectorAll('#constraints tr[data-group]')) {
        const u = Number(r.dataset.used);
        window.__peak = Math.max(window.__peak, u);
        if (u > Number(r.dataset.limit)) window.__over = true;
      }
    };
    note();
    new MutationObserver(note).observe(document.getElementById('main'),
      { subtree: true, childList: true, attributes: true });
  });
  const groupRow = () => page.$eval('#constraints tr[data-group]', (r) => ({
    group: r.dataset.group, limit: Number(r.dataset.limit),
    used: Number(r.dataset.used),
    holders: r.querySelector('td.holders').textContent }));
  // The page's holders are the namespace's locks (SPEC 3.5).
  async function holdersMatch() {
    const g = await groupRow();
    const l = (await apiGet('/namespaces/web/locks')).response.locks
      .find((x) => x.group === g.group);
    const a = g.holders.split(', ').sort().join(', ');
    const b = l.holders.map((h) => h.host).sort().join(', ');
    return a === b && g.used === l.used && g.used === 2 ? g : null;
  }
  let g = await until('2 of 2 units held, as the locks say', holdersMatch, 20);
  check(g.limit === 2, 'group ' + g.group + ' limit 2, used 2, held by ' +
    g.holders);
  await page.screenshot({ path: path.join(SHOTS, 'constraint-view.png'),
    fullPage: true });

  // ---- keyboard: Tab to a waiting host's Why? button ------------------
  const hosts = (await apiGet('/jobs/' + con + '/hosts')).response.hosts;
  const waiter = Object.keys(hosts).sort().find((h) =>
    hosts[h].state === 'waiting');
  check(waiter && /^waiting for /.test(hosts[waiter].message),
    waiter + ' waits: ' + (waiter && hosts[waiter].message));
  await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
  let steps = 0;
  let reached = false;
  const order = [];
  for (; steps < 300 && !reached; steps++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate((w) => {
      const a = document.activeElement;
      if (!a || a === document.body) return null;
      const all = Array.from(document.querySelectorAll('*'));
      const cs = getComputedStyle(a);
      return { idx: all.indexOf(a), tag: a.tagName,
        text: (a.textContent || a.getAttribute('aria-label') || '').slice(0, 30),
        ring: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2,
        target: a.matches('tr[data-host="' + w + '"] button.why') };
    }, waiter);
    if (!f) continue;
    order.push(f);
    reached = f.target;
  }
  check(reached, 'Tab reaches the Why? button of ' + waiter + ' in ' + steps +
    ' steps');
  check(order.every((f, i) => i === 0 || f.idx > order[i - 1].idx),
    'the tab order is the document order (' + order.length + ' stops)');
  const noRing = order.filter((f) => !f.ring);
  check(noRing.length === 0, 'every stop shows a focus ring',
    JSON.stringify(noRing.slice(0, 3)));
  await page.keyboard.press('Enter');
  await until('the why panel open', () => page.evaluate(() =>
    !document.getElementById('why').hidden &&
    document.activeElement.id === 'why'));
  text = await page.$eval('#why', (e) => e.textContent);
  g = await groupRow();
  check(text.includes('Constraint group ' + g.group + ' is full: 2 of its 2 ' +
    'unit(s) are in use, held by ') &&
    g.holders.split(', ').every((h) => text.includes(h)),
  'Enter opens the panel, focused: ' + waiter + ' waits for ' + g.group +
    ', held by ' + g.holders, text);
  await page.screenshot({ path: path.join(SHOTS, 'why-panel.png'),
    fullPage: true });
  await page.keyboard.press('Escape');
  const back = await page.evaluate((w) => {
    const a = document.activeElement;
    return document.getElementById('why').hidden &&
      a.matches('tr[data-host="' + w + '"] button.why');
  }, waiter);
  check(back, 'Escape closes the panel and focus goes back to its button');

  // Space on a summary button filters the host table.
  await page.focus('ul.summary button[data-state="waiting"]');
  await page.keyboard.press('Space');
  await until('the waiting filter', () => page.evaluate(() =>
    document.getElementById('host-filter').value === 'waiting' &&
    Array.from(document.querySelectorAll('#hosts tbody tr[data-host]'))
      .every((r) => r.dataset.state === 'waiting')));
  ok('Space on the "waiting" summary button filters the hosts');

  // A holder ends: the next host takes its unit, never past the limit.
  const first = g.holders.split(', ')[0];
  go('c-' + first);
  await until(first + ' gone from the holders', async () => {
    const x = await holdersMatch();
    return x && !x.holders.split(', ').includes(first) ? x : null;
  }, 20);
  const peak = await page.evaluate(() => [window.__peak, window.__over]);
  check(peak[0] === 2 && !peak[1], 'the view\'s peak reached the limit (' +
    peak[0] + ' of 2) and never passed it');

  // The output page of a waiting host says why, too.
  const hs = (await apiGet('/jobs/' + con + '/hosts')).response.hosts;
  const w2 = Object.keys(hs).sort().find((h) => hs[h].state === 'waiting');
  await page.goto(API + '/ui/job/' + con + '/' + w2);
  await until('the output page says why ' + w2 + ' waits', () =>
    page.evaluate((want) => {
      const e = document.getElementById('why-output');
      return e && e.textContent.includes(want) ? { text: e.textContent }
        : false;
    }, 'Constraint group ' + g.group + ' is full: 2 of its 2'));
  ok('the output page of ' + w2 + ' says why it waits');

  // Enter on Halt, from the keyboard.
  await page.goto(API + '/ui/job/' + con);
  await page.waitForSelector('#constraints tr[data-group]');
  await page.focus('#halt');
  await page.keyboard.press('Enter');
  await until('the job halted', async () =>
    (await apiGet('/jobs/' + con)).response.job.state === 'halted', 20);
  ok('Enter on Halt halts the job');

  // ---- a 503 from the schedule on the first load of an ended job ------
  // The dispatcher answers 503 with Retry-After: 1 while it builds two
  // schedules already (review7 2).  This is a test of the page's behaviour
  // with that answer, so the browser's route gives the page's first
  // schedule request of the halted job that answer itself, as the
  // dispatcher would, and lets the later ones through.  A halted job gets
  // no 5 s reload and no new log entries: the page must ask again itself.
  const schedOf = (j) => (u) => u.pathname === '/v1/jobs/' + j + '/schedule';
  const busy = (rt) => rt.fulfill({ status: 503,
    headers: { 'Retry-After': '1', 'Content-Type': 'application/json' },
    body: JSON.stringify({ meta: { rc: 'fail' }, errors: ['too many ' +
      'schedules being built (at most 2 at once); try again later'] }) });
  const schedError = () => page.evaluate(() => {
    const e = document.querySelector('section[aria-labelledby="sched-title"]' +
      ' .notice.error');
    return e ? e.textContent : null;
  });
  // The job's page from above still polls: off it first, so that every
  // request routed is the new page's.
  await page.goto('about:blank');
  const asked = [];
  let shownMeanwhile = null;
  await page.route(schedOf(con), async (rt) => {
    asked.push(Date.now());
    if (asked.length === 1) return busy(rt);
    if (asked.length === 2) shownMeanwhile = await schedError();
    return rt.continue();
  });
  const loads1 = loads;
  await page.goto(API + '/ui/job/' + con);
  await until('the views of the halted job after a 503', async () =>
    await page.$('#constraints tr[data-group]') &&
    await page.$('#schedule') && (await schedError()) === null, 15);
  check(asked.length >= 2 && asked[1] - asked[0] >= 900,
    'the page asked again ' + (asked[1] - asked[0]) + ' ms after the 503 ' +
    '(Retry-After: 1)');
  check(shownMeanwhile === null, 'no error shown while it waited',
    shownMeanwhile);
  check(loads === loads1 + 1, 'the views came without a reload');
  await page.unroute(schedOf(con));
  // Busy every time: the error shows once the page has asked 5 times.
  await page.goto('about:blank');
  asked.length = 0;
  await page.route(schedOf(con), (rt) => { asked.push(Date.now()); busy(rt); });
  await page.goto(API + '/ui/job/' + con);
  const err = await until('the error after the tries', schedError, 20);
  check(asked.length === 5 && /too many schedules being built/.test(err),
    'after ' + asked.length + ' answers 503 the page shows "' + err + '"');
  await page.unroute(schedOf(con));

  // ---- 10,000 hosts: a thread of 20 slots, 1,020 groups --------------
  const big = JOBS.big;
  const answer = page.waitForResponse((r) => r.url().startsWith(API +
    '/v1/jobs/' + big + '/schedule'));
  await page.goto(API + '/ui/job/' + big);
  const r = await answer;
  const max = Number(new URL(r.url()).searchParams.get('max'));
  const pv = (await r.json()).response.schedule;
  const size = (await r.body()).length;
  check(max >= 1 && max <= 100 &&
    pv.threads.every((t) => t.slots.every((x) => x.hosts.length <= max)) &&
    pv.groups.every((x) => x.holders.length <= max) && pv.table === null &&
    size < 2e6,
  'the page asks for at most ' + max + ' hosts a slot or group and no ' +
    'table (' + size + ' bytes)');
  await page.waitForSelector('#constraints tr[data-group]');
  await page.waitForSelector('#schedule td.slot');
  // The whole view, from the API: what the page must sum up.
  // (A 503 when the dispatcher builds two schedules already: again.)
  const full = () => until('the schedule of ' + big, async () =>
    (await apiGet('/jobs/' + big + '/schedule?max=1')).response.schedule);
  let fv = await full();
  const nslots = fv.threads.reduce((a, t) => a + t.slots.length, 0);
  const nhosts = fv.threads.reduce((a, t) => a + t.slots.reduce((b, x) =>
    b + x.count, 0), 0);
  check(fv.groups.length === 1020 && fv.threads[0].slots.length === 20 &&
    nslots === 21 && nhosts === 10000,
  'the job has 1,020 groups and 21 slots of 10,000 hosts', JSON.stringify(
    [fv.groups.length, fv.threads.map((t) => [t.name, t.slots.length])]));
  const dom = await page.evaluate(() => {
    const q = (s) => document.querySelectorAll(s);
    return { slots: q('#schedule td.slot').length,
      names: Array.from(q('#schedule td.slotname .name'), (e) => e.textContent),
      more: Array.from(q('#schedule td.more'), (e) => e.textContent),
      caption: document.querySelector('#schedule caption').textContent,
      first: document.querySelector('#schedule td.slot .slothosts').textContent,
      groups: q('#constraints tr[data-group]').length,
      gmore: Array.from(q('#constraints tr.more'), (e) => e.textContent),
      gcaption: document.querySelector('#constraints caption').textContent,
      hostRows: q('#hosts tbody tr').length,
      elements: document.getElementsByTagName('*').length };
  });
  check(dom.slots === 11 && dom.names[0] === '[$colo.c1]' &&
    dom.names[9] === '[$colo.c10]' && dom.names[10] === '[unconstrained]' &&
    dom.more.length === 1 && /^10 more slots \(5000 hosts\)/.test(dom.more[0]),
  'the schedule view draws 10 of the thread\'s 20 slots and says "' +
    dom.more[0] + '"', JSON.stringify(dom.names));
  check(dom.caption.includes('21 slots, 10000 hosts') &&
    dom.first.endsWith(' and ' + (500 - max) + ' more'),
  'it gives the totals ("' + dom.caption + '") and the slot\'s first ' + max +
    ' hosts');
  check(dom.groups <= 50 && dom.gmore.length === 1 &&
    dom.gmore[0].startsWith((1020 - dom.groups) + ' more groups') &&
    dom.gcaption.includes('1020 groups'),
  'the constraint view draws ' + dom.groups + ' of 1,020 groups and says "' +
    dom.gmore[0] + '"', dom.gcaption);
  check(dom.hostRows <= 100 && dom.elements < 5000,
    'bounded: ' + dom.hostRows + ' host rows, ' + dom.elements +
      ' elements in the page');
  // The groups in use come first, as many as the API says.
  const inUse = await until('the page\'s groups in use as the API\'s',
    async () => {
      fv = await full();
      const want = fv.groups.filter((x) => x.used > 0).map((x) => x.name);
      const got = await page.$$eval('#constraints tr[data-group]', (rs) =>
        rs.map((x) => [x.dataset.group, Number(x.dataset.used)]));
      const head = got.slice(0, want.length);
      return want.length > 0 && head.every((x) => x[1] > 0) &&
        head.map((x) => x[0]).sort().join() === want.sort().join() &&
        got.slice(want.length).every((x) => x[1] === 0) ? want : null;
    }, 20);
  check(await page.$eval('#constraints caption', (c, n) => c.textContent
    .includes(n + ' in use'), inUse.length), inUse.length +
    ' groups in use, drawn first: ' + inUse.slice(0, 4).join(', '));
  // Enter on a Why? button answers from the views: n10000, on the first
  // page, waits for slot $colo.c19, which the schedule view does not draw.
  await page.focus('tr[data-host="n10000"] button.why');
  await page.keyboard.press('Enter');
  await until('the why panel of n10000', () => page.evaluate(() =>
    !document.getElementById('why').hidden &&
    document.activeElement.id === 'why'));
  text = await page.$eval('#why', (e) => e.textContent);
  check(text.includes('Sequence: every host of slot $colo.c19 must end ' +
    'first; 0 of its 500 have (0 running, 500 waiting)'),
  'Enter on n10000\'s Why? says it waits for $colo.c19, in words', text);
  await page.screenshot({ path: path.join(SHOTS, 'big-views.png') });
  await page.keyboard.press('Escape');
  check(await page.evaluate(() => document.getElementById('why').hidden &&
    document.activeElement.matches('tr[data-host="n10000"] button.why')),
  'Escape closes it and focus goes back');
  // n1000 (slot $colo.c2) waits for $colo.c1, the slot and the group of
  // the same name: while the group is full, either may hold it.
  await page.focus('tr[data-host="n1000"] button.why');
  await page.keyboard.press('Enter');
  text = await until('the why panel of n1000 with a full $colo.c1',
    () => page.evaluate(() => {
      const w = document.getElementById('why');
      return !w.hidden && /Constraint group \$colo\.c1 is full/
        .test(w.textContent) ? w.textContent : null;
    }));
  check(text.includes('$colo.c1 is a constraint group and a sequence ' +
    'slot; either may hold n1000') && text.includes('Sequence: every host ' +
    'of slot $colo.c1 must end first; 0 of its 500 have (2 running'),
  'n1000\'s panel gives both: the full group and the slot', text);
  await page.keyboard.press('Escape');

  check(errors.length === 0, 'no page errors', errors.join('; '));
  const foreign = requests.filter((u) => !u.startsWith(API + '/'));
  check(foreign.length === 0, 'no request to another origin',
    foreign.join(' '));
  await browser.close();
}

main().catch((e) => { console.error(e.message || e); process.exit(1); });
