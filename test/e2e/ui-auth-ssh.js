// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The pogo authors
//
// The web UI with real users and a real SSH password (SPEC 11.1, 11.6,
// 10.3; issue 12): headless Chromium driven by playwright-core, against
// the `pogo api` (HTTPS, token mode) that t7002-ui-auth-ssh.sh started in
// front of a real dispatcher, worker and sshd.
// Environment: PW (playwright-core's directory), API (https://host:port),
// T (the test's directory), SHOTS (where the screenshots go), JOBS ({fail,
// run, one, res}: a job whose two hosts failed for a wrong password, a
// running job, a job whose one host failed so, a job halted after one of
// its two hosts whose secrets the dispatcher lost in a restart; all
// alice's), TOKENS (user -> token: alice the owner, carol an admin, bob
// neither), APISPKI (the base64 SHA-256 of the API certificate's key,
// which the browser trusts), SECRET (the password to type).
// Writes $T/requests.log (every request of the browser: method, URL,
// headers, body), $T/box-retry.b64, $T/box-retry-one.b64 and
// $T/box-resume.b64 (the retries' and the resume's password fields).
// Prints one line per check; exits non-zero at the first failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require(process.env.PW);

const API = process.env.API;
const T = process.env.T;
const SHOTS = process.env.SHOTS;
const JOBS = JSON.parse(process.env.JOBS);
const TOKENS = JSON.parse(process.env.TOKENS);
const SECRET = process.env.SECRET;
const SLOW = process.env.POGO_SANITIZED === '1' ? 3 : 1;

function ok(what) { console.log('ok - ' + what); }
function check(cond, what, detail) {
  if (!cond) throw new Error('FAILED: ' + what + (detail ? ': ' + detail : ''));
  ok(what);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll fn (bounded) until it returns a true value.
async function until(what, fn, secs) {
  const end = Date.now() + (secs || 30) * SLOW * 1000;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error('FAILED: timed out waiting for ' + what + ' (' + last + ')');
}

// A GET of the API from inside the page, with the page's own token.
function pageGet(page, p) {
  return page.evaluate(async (p) => {
    const r = await fetch('/v1' + p, { headers: { Authorization: 'Bearer ' +
      sessionStorage.getItem('pogo.token') } });
    return r.json();
  }, p);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--ignore-certificate-errors-spki-list=' +
      process.env.APISPKI] });
  const requests = [];
  const log = fs.createWriteStream(path.join(T, 'requests.log'));
  // A browser context per user (its own sessionStorage), each request
  // logged with its headers and body.
  async function userContext() {
    const c = await browser.newContext({
      viewport: { width: 1280, height: 900 } });
    c.on('request', (r) => {
      requests.push(r.url());
      log.write(JSON.stringify({ method: r.method(), url: r.url(),
        headers: r.headers(), body: r.postData() }) + '\n');
    });
    return c;
  }
  async function signIn(p, user) {
    await p.waitForSelector('#token-input');
    await p.fill('#token-input', TOKENS[user]);
    await p.press('#token-input', 'Enter');
    await p.waitForSelector('#token-input', { state: 'detached' });
  }
  // The user's job page: signed in, rows drawn, the user shown.
  async function jobPage(c, user, job, host) {
    const p = await c.newPage();
    p.on('pageerror', (e) => { throw new Error('page error: ' + e.message); });
    await p.goto(API + '/ui/job/' + job);
    if (!(await p.evaluate(() => sessionStorage.getItem('pogo.token')))) {
      await signIn(p, user);
    }
    await p.waitForSelector('tr[data-host="' + host + '"]');
    return p;
  }
  const disabled = (p, sel) => p.$$eval(sel, (bs) => bs.map((b) => b.disabled));

  // ---- who may act: alice (owner), carol (admin), bob (neither) ------
  const pages = {};
  for (const user of ['alice', 'carol', 'bob']) {
    const c = await userContext();
    const run = await jobPage(c, user, JOBS.run, '127.0.0.3');
    check(await run.evaluate(() => window.isSecureContext &&
      location.protocol === 'https:'), user + ': an HTTPS secure context');
    // The page's user comes from pogo api's /v1/whoami for the token.
    const who = await until(user + ' shown', () => run.$eval('#who',
      (w) => w.textContent));
    check(who === (user === 'carol' ? 'carol (admin)' : user),
      user + ' is shown as ' + who);
    await until(user + ': the running job drawn', () => run.$eval('dl.fields',
      (d) => d.dataset.state === 'running'));
    const fail = await jobPage(c, user, JOBS.fail, '127.0.0.2');
    await until(user + ': the failed job\'s two rows', () => fail.$$eval(
      'tr[data-host] button.retry', (bs) => bs.length === 2));
    await fail.check('#select-page');
    // The page's own updates (the 'select page' click, live log entries)
    // land after the click returns: wait for the row's verdict, then poll
    // the buttons until they settle.
    await until(user + ': the buttons judged', () => fail.$eval(
      'tr[data-host] button.retry', (b) => b.title !== ''
        || !b.disabled));
    const readAll = async () => [
      (await disabled(run, '#halt'))[0],
      ...await disabled(fail,
        'tr[data-host] button.retry, tr[data-host] button.skip'),
      ...await disabled(fail, '#retry-selected, #skip-selected')];
    let all = await readAll();
    if (user !== 'bob') {
      all = await until(user + ': the buttons enabled', async () => {
        const a = await readAll();
        return a.every((d) => !d) ? a : null;
      }).catch(() => all);
    }
    if (user === 'bob') {
      check(all.length === 7 && all.every((d) => d),
        'bob sees Halt, Retry, Skip and the selection\'s buttons disabled',
        JSON.stringify(all));
      const title = await fail.$eval('tr[data-host] button.retry',
        (b) => b.title);
      check(/only alice or an administrator/.test(title),
        'bob is told why: ' + title);
      await fail.screenshot({ path: path.join(SHOTS, 't7002-auth-bob.png'),
        fullPage: true });
    } else {
      check(all.length === 7 && all.every((d) => !d),
        user + ' sees Halt, Retry, Skip and the selection\'s buttons enabled',
        JSON.stringify(all));
    }
    await fail.uncheck('#select-page');
    pages[user] = { c, run, fail };
  }

  // ---- bob's forced Halt is refused ----------------------------------
  {
    const p = pages.bob.run;
    const answer = p.waitForResponse((r) => r.request().method() === 'POST' &&
      r.url() === API + '/v1/jobs/' + JOBS.run);
    await p.$eval('#halt', (b) => { b.disabled = false; });
    await p.click('#halt');
    const r = await answer;
    check(r.status() === 403, 'bob\'s forced Halt: HTTP ' + r.status());
    await p.waitForSelector('.notice.error:has-text("permission denied")');
    ok('the page says "permission denied"');
    const j = await pageGet(p, '/jobs/' + JOBS.run);
    check(j.response.job.state === 'running', 'the job runs on');
  }

  // ---- alice retries with the password typed into the page -----------
  {
    const p = pages.alice.fail;
    check(await p.isVisible('#secret-password'),
      'a job with a password shows the password field');
    const posted = p.waitForRequest((r) => r.method() === 'POST' &&
      r.url() === API + '/v1/jobs/' + JOBS.fail);
    await p.fill('#secret-password', SECRET);
    await p.check('#select-page');
    await p.click('#retry-selected');
    const body = (await posted).postData();
    const form = new URLSearchParams(body);
    check(form.get('command') === 'jobretry' &&
      form.getAll('host').sort().join(' ') === '127.0.0.1 127.0.0.2' &&
      form.get('password') && !body.includes(SECRET),
    'the retry of both hosts carries a sealed password, not the clear one');
    fs.writeFileSync(path.join(T, 'box-retry.b64'),
      form.get('password') + '\n');
    await p.waitForSelector(
      '.notice:has-text("retry requested for 2 host(s)")');
    ok('the retry was accepted');
    check(await p.$eval('#secret-password', (i) => i.value === ''),
      'the password field is emptied');
    for (const h of ['127.0.0.1', '127.0.0.2']) {
      await until(h + ' finished on the page', () => p.$eval(
        'tr[data-host="' + h + '"]', (r) => r.dataset.state === 'finished'),
      60);
      ok(h + ' finished after the retry, seen live');
    }
    const hs = (await pageGet(p, '/jobs/' + JOBS.fail + '/hosts'))
      .response.hosts;
    check(hs['127.0.0.1'].runs === 2 && hs['127.0.0.2'].runs === 2,
      'both hosts ran twice');
    await p.screenshot({ path: path.join(SHOTS, 't7002-auth-retried.png'),
      fullPage: true });
  }

  // ---- ... and from a host's output page ------------------------------
  {
    // The same tab: its sessionStorage holds alice's token.
    const p = pages.alice.fail;
    await p.goto(API + '/ui/job/' + JOBS.one + '/127.0.0.4');
    await until('the output page drawn', () => p.$eval('#final',
      (f) => f.textContent !== ''));
    check(await p.isVisible('#secret-password'),
      'the output page of a job with a password shows the password field');
    const posted = p.waitForRequest((r) => r.method() === 'POST' &&
      r.url() === API + '/v1/jobs/' + JOBS.one);
    await p.fill('#secret-password', SECRET);
    await p.click('#retry');
    const body = (await posted).postData();
    const form = new URLSearchParams(body);
    check(form.get('command') === 'jobretry' &&
      form.get('host') === '127.0.0.4' && form.get('password') &&
      !body.includes(SECRET),
    'the retry from the output page carries a sealed password');
    fs.writeFileSync(path.join(T, 'box-retry-one.b64'),
      form.get('password') + '\n');
    await until('the second run followed to EXIT 0', () => p.$eval('#main',
      (m) => m.querySelector('#final').textContent === 'EXIT 0' &&
        m.querySelector('#output').textContent.includes('ran-as-')), 60)
      .catch(async (e) => {
        console.error(await p.$eval('#main', (m) => m.innerHTML));
        console.error(JSON.stringify(await pageGet(p, '/jobs/' + JOBS.one +
          '/log')));
        throw e;
      });
    ok('the output page follows the retried run to EXIT 0');
    check(await p.$eval('#run', (r) => r.value) === '1',
      'the run selector shows run 1');
    check(await p.$eval('#secret-password', (i) => i.value === ''),
      'the password field is emptied');
    await p.screenshot({ path: path.join(SHOTS,
      't7002-auth-output-retried.png'), fullPage: true });
  }

  // ---- alice resumes a halted job whose secrets the dispatcher lost ---
  {
    const p = pages.alice.fail;
    const url = API + '/v1/jobs/' + JOBS.res;
    await p.goto(API + '/ui/job/' + JOBS.res);
    await until('the halted job drawn', () => p.$eval('dl.fields',
      (d) => d.dataset.state === 'halted'));
    check(await p.isVisible('#secret-password') &&
      !(await p.$eval('#resume', (b) => b.disabled)),
    'the halted job shows the password field and Resume enabled');
    // Without the password: the restarted dispatcher has none.
    const refused = p.waitForResponse((r) => r.request().method() === 'POST' &&
      r.url() === url);
    await p.click('#resume');
    const r = await refused;
    check(r.status() === 409 &&
      !new URLSearchParams(r.request().postData()).has('password'),
    'a Resume without the password is refused: HTTP ' + r.status());
    await p.waitForSelector('.notice.error:has-text("has no secrets")');
    check(await p.evaluate(() => document.activeElement.id ===
      'secret-password'), 'the page says so and moves to the password field');
    // The password typed, then Resume from the keyboard.
    const posted = p.waitForRequest((q) => q.method() === 'POST' &&
      q.url() === url);
    await p.keyboard.type(SECRET);
    await p.focus('#resume');
    await p.keyboard.press('Enter');
    const body = (await posted).postData();
    const form = new URLSearchParams(body);
    check(form.get('command') === 'jobresume' && form.get('password') &&
      !body.includes(SECRET),
    'the resume carries a sealed password, not the clear one');
    fs.writeFileSync(path.join(T, 'box-resume.b64'),
      form.get('password') + '\n');
    await p.waitForSelector('.notice:not(.error):has-text("resumed")');
    ok('the resume was accepted');
    check(await p.$eval('#secret-password', (i) => i.value === ''),
      'the password field is emptied');
    await until('both hosts finished on the page', () => p.$$eval(
      'tr[data-host]', (rs) => rs.length === 2 &&
        rs.every((x) => x.dataset.state === 'finished')), 60);
    await until('the job finished on the page', () => p.$eval('dl.fields',
      (d) => d.dataset.state === 'finished'), 30);
    ok('the halted host ran after the resume and the job finished, seen live');
    await p.screenshot({ path: path.join(SHOTS, 't7002-auth-resumed.png'),
      fullPage: true });
  }

  for (const u of Object.keys(pages)) await pages[u].c.close();
  await new Promise((r) => log.end(r));
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
