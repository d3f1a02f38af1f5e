// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The pogo authors
//
// pogo's web UI (SPEC 11.6): the job list, the job page and the host
// output page, on the v1 API of the same origin.  Plain DOM code, no
// framework; everything it loads comes from this origin.
'use strict';

const POGO = (function () {
  const COLOURS = {
    failed: '#d9534f', finished: '#5cb85c', unreachable: '#8b5a2b',
    deadlocked: '#f0ad4e', ready: '#c8e6c9', running: '#ffeb3b',
    waiting: '#5bc0de', halted: '#9e9e9e', skipped: '#e0e0e0',
  };
  const HOST_STATES = ['waiting', 'ready', 'running', 'finished', 'failed',
    'unreachable', 'skipped', 'halted', 'deadlocked'];
  const JOB_STATES = ['gathering', 'running', 'finished', 'deadlocked',
    'halted'];
  const ACTIVE = new Set(['gathering', 'running']);
  const FINAL = new Set(['finished', 'failed', 'unreachable', 'skipped',
    'halted', 'deadlocked']);
  const IN_FLIGHT = new Set(['ready', 'running']);
  const RETRYABLE = new Set(['failed', 'unreachable', 'finished']);
  const SKIPPABLE = new Set(['waiting', 'failed', 'unreachable', 'halted',
    'deadlocked']);
  const TOKEN_KEY = 'pogo.token';
  const main = document.getElementById('main');

  // ---- small helpers -------------------------------------------------

  // el('tag.class', {attr: v, onclick: f}, child, ...): a new element.
  function el(spec, attrs, ...kids) {
    const [tag, ...cls] = spec.split('.');
    const e = document.createElement(tag);
    if (cls.length) e.className = cls.join(' ');
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else if (k in e && typeof e[k] === 'boolean') e[k] = !!v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids.flat()) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }

  function cut(s, n) {
    s = s === null || s === undefined ? '' : String(s);
    return s.length > n ? s.slice(0, n - 1) + '…' : s;
  }

  function pad(n, w) { return String(n).padStart(w || 2, '0'); }

  // The zone of this browser: "UTC+01:00 (Europe/Berlin)".
  function zoneName() {
    const off = -new Date().getTimezoneOffset();
    const sign = off < 0 ? '-' : '+';
    const a = Math.abs(off);
    let z = 'UTC' + sign + pad(Math.floor(a / 60)) + ':' + pad(a % 60);
    try {
      const iana = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (iana) z += ' (' + iana + ')';
    } catch (e) { /* no Intl: the offset alone */ }
    return z;
  }

  // Seconds since the epoch as local YYYY-MM-DDTHH:MM:SS.
  function fmtTime(t) {
    if (t === null || t === undefined || t === '') return '';
    const d = new Date(Number(t) * 1000);
    if (isNaN(d.getTime())) return '';
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' +
      pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' +
      pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }

  function timeEl(t) {
    const s = fmtTime(t);
    if (!s) return '';
    return el('time', { datetime: new Date(Number(t) * 1000).toISOString(),
      title: s + ' ' + zoneName(), text: s });
  }

  function stateLabel(state) {
    return el('span.state.st-' + state, { text: state });
  }

  function jobUrl(id) { return '/ui/job/' + encodeURIComponent(id); }
  function hostUrl(id, h) {
    return jobUrl(id) + '/' + encodeURIComponent(h);
  }

  function setTitle(s) { document.title = s ? s + ' - pogo' : 'pogo'; }

  // ---- the API, with token authentication ----------------------------

  class ApiError extends Error {
    constructor(status, msg, body, retryAfter) {
      super(msg);
      this.status = status;
      this.body = body;
      this.retryAfter = retryAfter; // the Retry-After header, or null
    }
  }

  let tokenWaiters = null;

  // Ask for the token once, however many requests are waiting for it.
  function askToken(why) {
    if (tokenWaiters) return new Promise((res) => tokenWaiters.push(res));
    tokenWaiters = [];
    return new Promise((resolve) => {
      tokenWaiters.push(resolve);
      const input = el('input', { type: 'password', id: 'token-input',
        autocomplete: 'off', required: true, size: 40 });
      const dlg = el('div.login', { role: 'dialog', 'aria-modal': 'true',
        'aria-labelledby': 'login-title' },
      el('form', {
        onsubmit: (ev) => {
          ev.preventDefault();
          sessionStorage.setItem(TOKEN_KEY, input.value.trim());
          dlg.remove();
          const w = tokenWaiters;
          tokenWaiters = null;
          w.forEach((f) => f());
        },
      },
      el('h2', { id: 'login-title', text: 'Authentication required' }),
      why ? el('p.error', { text: why }) : null,
      el('label', { for: 'token-input', text: 'API token ' }), input, ' ',
      el('button', { type: 'submit', text: 'Sign in' })));
      document.body.append(dlg);
      input.focus();
    });
  }

  // api('/jobs?max=1', {method, body}): the envelope of a v1 request.
  async function api(path, opts) {
    opts = opts || {};
    for (let attempt = 0; attempt < 5; attempt++) {
      const headers = {};
      const tok = sessionStorage.getItem(TOKEN_KEY);
      if (tok) headers.Authorization = 'Bearer ' + tok;
      let body;
      if (opts.form) {
        headers['Content-Type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(opts.form).toString();
      }
      const r = await fetch('/v1' + path, { method: opts.method || 'GET',
        headers, body, credentials: 'same-origin', cache: 'no-store',
        signal: opts.signal });
      let j = null;
      try { j = await r.json(); } catch (e) { j = null; }
      if (r.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        await askToken(tok ? 'The token was not accepted.' : null);
        continue;
      }
      if (!r.ok || !j) {
        const msg = j && j.errors && j.errors.length ? j.errors.join('; ')
          : 'HTTP ' + r.status + ' ' + r.statusText;
        throw new ApiError(r.status, msg, j, r.headers.get('Retry-After'));
      }
      return j;
    }
    throw new ApiError(401, 'authentication required', null);
  }

  let whoamiP = null;
  function whoami() {
    if (!whoamiP) {
      whoamiP = api('/whoami').then((j) => j.response,
        () => ({ user: null, auth: 'unknown', admin: false }));
    }
    return whoamiP;
  }

  // Whether the user may operate on the job (SPEC 11.1).
  function mayAct(me, job) {
    if (!me) return false;
    if (me.auth === 'none') return true;
    return !!me.admin || (me.user !== null && me.user === job.user);
  }

  // A line for the outcome of an action or an error, read by screen readers.
  function notice(where, msg, isError) {
    where.textContent = msg;
    where.className = 'notice' + (isError ? ' error' : '');
  }

  // ---- secrets: SPEC 10.3's boxes, made with Web Crypto ---------------

  function b64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }

  function unb64(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function concat(...parts) {
    const n = parts.reduce((a, p) => a + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }

  // Encrypt text for the worker certificate whose SubjectPublicKeyInfo is
  // spki (DER bytes): the base64 secret box (version 1 for RSA, 2 for EC).
  async function sealSecret(spki, text) {
    const c = crypto.subtle;
    const kid = new Uint8Array(await c.digest('SHA-256', spki));
    const p = new TextEncoder().encode(text);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    let head, key;
    try {
      const pub = await c.importKey('spki', spki,
        { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['encrypt']);
      const k = crypto.getRandomValues(new Uint8Array(32));
      const ek = new Uint8Array(await c.encrypt({ name: 'RSA-OAEP' }, pub, k));
      head = concat(Uint8Array.of(1), kid, ek);
      key = await c.importKey('raw', k, 'AES-GCM', false, ['encrypt']);
    } catch (e) {
      const w = await c.importKey('spki', spki,
        { name: 'ECDH', namedCurve: 'P-256' }, true, []);
      const wraw = new Uint8Array(await c.exportKey('raw', w));
      const eph = await c.generateKey({ name: 'ECDH', namedCurve: 'P-256' },
        true, ['deriveBits']);
      const epk = new Uint8Array(await c.exportKey('raw', eph.publicKey));
      const z = await c.deriveBits({ name: 'ECDH', public: w },
        eph.privateKey, 256);
      const ikm = await c.importKey('raw', z, 'HKDF', false, ['deriveBits']);
      const k = await c.deriveBits({ name: 'HKDF', hash: 'SHA-256',
        salt: concat(epk, wraw),
        info: new TextEncoder().encode('pogo-secret-v1') }, ikm, 256);
      head = concat(Uint8Array.of(2), kid, epk);
      key = await c.importKey('raw', k, 'AES-GCM', false, ['encrypt']);
    }
    const ct = new Uint8Array(await c.encrypt({ name: 'AES-GCM', iv,
      additionalData: head, tagLength: 128 }, key, p));
    return b64(concat(head, iv, ct));
  }

  // The form fields of an operation with the password sealed, if given.
  async function withSecret(form, password) {
    if (!password) return form;
    const j = await api('/workercert');
    const certs = (j.response && j.response.certs) || [];
    if (!certs.length) throw new Error('no worker certificate to encrypt for');
    form.push(['password', await sealSecret(unb64(certs[0].spki), password)]);
    return form;
  }

  // The password field of a page whose operations may need secrets,
  // shown at once for a job with a password (or when the dispatcher asks
  // for secrets): [its paragraph, its input].
  function secretField(job) {
    const pw = el('input', { type: 'password', id: 'secret-password',
      autocomplete: 'off', size: 24 });
    const box = el('p.secret', { hidden: !job.has_password },
      el('label', { for: 'secret-password',
        text: 'Password (encrypted here for the worker) ' }), pw);
    return [box, pw];
  }

  // ---- the job list (/ui/) -------------------------------------------

  const PER_PAGE = 25;

  function jobRow(j) {
    return el('tr', { 'data-jobid': j.jobid, 'data-state': j.state },
      el('td', {}, el('a', { href: jobUrl(j.jobid), text: j.jobid })),
      el('td', { text: j.user || '' }),
      el('td', {}, stateLabel(j.state)),
      el('td', {}, timeEl(j.start_time)),
      el('td.cmd', { title: j.command || '', text: cut(j.command, 50) }),
      el('td', { text: cut((j.range || []).join(','), 100) }),
      el('td.num', { text: j.host_count }));
  }

  function jobTable(caption, id) {
    return el('table.jobs', { id },
      el('caption', { text: caption }),
      el('thead', {}, el('tr', {},
        ['Pogo ID', 'User', 'State', 'Time (' + zoneName() + ')', 'Command',
          'Target', 'Hosts'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody'));
  }

  function fillRows(table, jobs, empty) {
    const tb = table.tBodies[0];
    tb.replaceChildren(...(jobs.length ? jobs.map(jobRow)
      : [el('tr', {}, el('td.empty', { colspan: 7, text: empty }))]));
  }

  // Page links: First, Prev, up to 10 numbers around the page, Next.
  function pager(page, pages, go) {
    const nav = el('nav.pager', { 'aria-label': 'Pages' });
    const b = (label, p, extra) => el('button', Object.assign({
      type: 'button', text: label, disabled: p < 0 || p >= pages || p === page,
      onclick: () => go(p) }, extra || {}));
    nav.append(b('First', 0), b('Prev', page - 1));
    let lo = Math.max(0, page - 5);
    const hi = Math.min(pages, lo + 10);
    lo = Math.max(0, hi - 10);
    for (let p = lo; p < hi; p++) {
      nav.append(b(String(p + 1), p, p === page
        ? { 'aria-current': 'page', class: 'current' } : {}));
    }
    nav.append(b('Next', page + 1));
    nav.append(el('span.count', { text: ' page ' + (pages ? page + 1 : 0) +
      ' of ' + pages }));
    return nav;
  }

  async function jobListPage() {
    setTitle('Jobs');
    const q = new URLSearchParams(location.search);
    const f = { user: q.get('user') || '', state: q.get('state') || '',
      target: q.get('target') || '' };
    let page = Math.max(0, parseInt(q.get('page') || '1', 10) - 1) || 0;
    const status = el('p.notice', { role: 'status' });
    const running = jobTable('Running jobs', 'running-jobs');
    const all = jobTable('All jobs', 'all-jobs');
    const pagerBox = el('div');
    const input = (name, label) => [el('label', { for: 'f-' + name,
      text: label + ' ' }), el('input', { id: 'f-' + name, name,
      value: f[name], size: 14 })];
    const stateSel = el('select', { id: 'f-state', name: 'state' },
      el('option', { value: '', text: 'any' }),
      JOB_STATES.map((s) => el('option', { value: s, text: s,
        selected: s === f.state })));
    const form = el('form.filters', {
      role: 'search',
      onsubmit: (ev) => {
        ev.preventDefault();
        const fd = new FormData(form);
        for (const k of ['user', 'state', 'target']) f[k] = fd.get(k).trim();
        page = 0;
        load();
      },
    }, input('user', 'User'), ' ',
    el('label', { for: 'f-state', text: 'State ' }), stateSel, ' ',
    input('target', 'Target'), ' ',
    el('button', { type: 'submit', text: 'Filter' }), ' ',
    el('button', { type: 'button', text: 'Clear',
      onclick: () => { form.reset(); for (const k in f) f[k] = '';
        form.querySelectorAll('input').forEach((i) => { i.value = ''; });
        stateSel.value = ''; page = 0; load(); } }));
    main.replaceChildren(el('h1', { text: 'Jobs' }), form, status, running,
      all, pagerBox);

    function params(extra) {
      const p = new URLSearchParams();
      for (const k of ['user', 'target']) if (f[k]) p.set(k, f[k]);
      for (const [k, v] of Object.entries(extra)) p.set(k, v);
      return p.toString();
    }

    async function load() {
      const sp = new URLSearchParams();
      for (const k in f) if (f[k]) sp.set(k, f[k]);
      if (page) sp.set('page', page + 1);
      const want = location.pathname + (sp.toString() ? '?' + sp : '');
      if (want !== location.pathname + location.search) {
        history.replaceState(null, '', want);
      }
      try {
        const ap = { max: PER_PAGE, offset: page * PER_PAGE };
        if (f.state) ap.state = f.state;
        const [a, r, g] = await Promise.all([api('/jobs?' + params(ap)),
          api('/jobs?' + params({ state: 'running', max: 100 })),
          api('/jobs?' + params({ state: 'gathering', max: 100 }))]);
        const act = g.response.jobs.concat(r.response.jobs)
          .filter((j) => !f.state || j.state === f.state)
          .sort((x, y) => (x.jobid < y.jobid ? 1 : -1));
        fillRows(running, act, 'No running jobs.');
        fillRows(all, a.response.jobs, 'No jobs.');
        const pages = Math.ceil((a.meta.count || 0) / PER_PAGE);
        if (page > 0 && page >= pages) { page = Math.max(0, pages - 1); }
        pagerBox.replaceChildren(pager(page, pages, (p) => {
          page = p; load();
        }));
        notice(status, 'Updated ' + fmtTime(Date.now() / 1000) + '; ' +
          (a.meta.count || 0) + ' job(s).');
        main.dataset.loaded = String(Date.now());
      } catch (e) {
        notice(status, e.message, true);
      }
    }
    await load();
    setInterval(load, 15000);
  }

  // ---- the schedule and constraint views of a job --------------------

  // A slot's hosts by progress (halted and deadlocked ones: stopped).
  function slotProgress(sum) {
    const n = (...st) => st.reduce((a, x) => a + (sum[x] || 0), 0);
    return { done: n('finished', 'skipped'), failed: n('failed', 'unreachable'),
      running: n('ready', 'running'), waiting: n('waiting'),
      stopped: n('halted', 'deadlocked') };
  }

  const PROGRESS = [['done', 'finished'], ['failed', 'failed'],
    ['running', 'running'], ['waiting', 'waiting'], ['stopped', 'halted']];

  // A bar of coloured parts, each also said in words next to it.
  function progressEl(p, count) {
    const bar = el('span.bar', { 'aria-hidden': 'true' });
    const words = [];
    for (const [k, st] of PROGRESS) {
      if (!p[k]) continue;
      const seg = el('span.seg.st-' + st);
      seg.style.flexGrow = String(p[k]);
      bar.append(seg);
      words.push(p[k] + ' ' + k);
    }
    return el('span.progress', {}, bar, ' ', el('span.words', {
      text: (words.join(', ') || 'no hosts') + ' (of ' + count + ')' }));
  }

  // A job of thousands of hosts keeps its views small: a thread draws at
  // most SLOTS_SHOWN slots, from the one before its active slot, and the
  // constraint view at most GROUPS_SHOWN groups, those in use first; the
  // rest is counted in a cell of its own.
  const SLOTS_SHOWN = 10;
  const GROUPS_SHOWN = 50;

  const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');
  const hostsOf = (slots) => slots.reduce((a, s) => a + s.count, 0);

  // The schedule as `pogo schedule` prints it: a row of slot names and a
  // row of slot hosts per thread, here with each slot's progress.
  function scheduleTable(v) {
    const wins = v.threads.map((t) => {
      const n = t.slots.length;
      if (n <= SLOTS_SHOWN) return [0, n];
      const a = t.active_slot === null ? n : t.active_slot;
      const from = Math.max(0, Math.min(a - 1, n - SLOTS_SHOWN));
      return [from, from + SLOTS_SHOWN];
    });
    const cut = v.threads.some((t, i) => wins[i][1] - wins[i][0] <
      t.slots.length);
    const m = Math.max(1, ...v.threads.map((t, i) => wins[i][1] -
      wins[i][0] + (wins[i][0] > 0) + (wins[i][1] < t.slots.length)));
    const head = el('tr', {}, el('th', { scope: 'col', text: 'Thread' }),
      cut ? el('th', { scope: 'col', colspan: m, text: 'Slots' })
        : Array.from({ length: m }, (_, i) => el('th', { scope: 'col',
          text: 'slot-' + (i + 1) })));
    const body = el('tbody');
    // A cell for the slots a thread does not draw.
    const elided = (slots, where) => el('td.more', { rowspan: 2,
      text: plural(slots.length, where + ' slot') + ' (' +
        plural(hostsOf(slots), 'host') + ')' });
    v.threads.forEach((t, ti) => {
      const [from, to] = wins[ti];
      const names = el('tr', { 'data-thread': t.name },
        el('th', { scope: 'row', rowspan: 2, text: t.name }));
      const hosts = el('tr', { 'data-thread': t.name });
      if (from > 0) names.append(elided(t.slots.slice(0, from), 'earlier'));
      t.slots.slice(from, to).forEach((s, j) => {
        const p = slotProgress(s.summary);
        const active = t.active_slot === from + j;
        names.append(el('td.slotname' + (active ? '.active' : ''), {},
          el('span.name', { text: '[' + s.name + ']' }),
          active ? el('span.tag', { text: 'active' }) : ''));
        const more = s.count - s.hosts.length;
        hosts.append(el('td.slot', { 'data-slot': s.name,
          'data-done': p.done, 'data-failed': p.failed,
          'data-running': p.running, 'data-waiting': p.waiting,
          'data-count': s.count },
        progressEl(p, s.count),
        el('div.slothosts', { text: s.hosts.join(', ') +
          (more > 0 ? ' and ' + more + ' more' : '') })));
      });
      if (to < t.slots.length) {
        names.append(elided(t.slots.slice(to), 'more'));
      }
      const spans = (from > 0) + (to < t.slots.length);
      for (let i = names.children.length - 1; i < m; i++) {
        names.append(el('td'));
      }
      for (let i = hosts.children.length + spans; i < m; i++) {
        hosts.append(el('td'));
      }
      body.append(names, hosts);
    });
    const nslots = v.threads.reduce((a, t) => a + t.slots.length, 0);
    return el('table.schedule', { id: 'schedule' },
      el('caption', {
        text: 'Threads and slots, as pogo schedule prints them: ' +
          plural(v.threads.length, 'thread') + ', ' +
          plural(nslots, 'slot') + ', ' +
          plural(v.threads.reduce((a, t) => a + hostsOf(t.slots), 0),
            'host') }),
      el('thead', {}, head), body);
  }

  // Each constraint group of the job: its limit, the units in use and
  // who holds them.  A job in a namespace shares its counters with the
  // namespace's other jobs: their use and holders come from the
  // namespace's locks (SPEC 3.5); a job's own limit is what it checks.
  function constraintTable(v, locks, jobid) {
    const byName = new Map((locks || []).map((l) => [l.group, l]));
    const all = v.groups.map((g) => {
      const l = byName.get(g.name);
      return { g, l, used: l ? l.used : g.used };
    });
    const busy = all.filter((x) => x.used > 0);
    const order = busy.concat(all.filter((x) => x.used <= 0));
    const rows = order.slice(0, GROUPS_SHOWN).map(({ g, l, used }) => {
      const holders = l ? l.holders.map((h) => h.jobid === jobid ? h.host
        : h.host + ' (' + h.jobid + ')') : g.holders;
      const full = used >= g.limit;
      return el('tr', { 'data-group': g.name, 'data-limit': g.limit,
        'data-used': used },
      el('th', { scope: 'row', text: g.name }),
      el('td.num', { text: g.limit }),
      el('td', {}, el('span.units' + (full ? '.full' : ''), {
        text: used + ' of ' + g.limit + (full ? ' (full)' : '') })),
      el('td.num', { text: g.count }),
      el('td.holders', { text: holders.length ? holders.join(', ') : '—' }));
    });
    const rest = order.length - rows.length;
    if (rest > 0) {
      const restBusy = Math.max(0, busy.length - rows.length);
      rows.push(el('tr.more', {}, el('td', { colspan: 5,
        text: plural(rest, 'more group') + ', ' +
          (restBusy ? restBusy + ' of them in use' : 'none in use') })));
    }
    return el('table.constraints', { id: 'constraints' },
      el('caption', { text: 'Units in use per constraint group: ' +
        plural(all.length, 'group') + ', ' + busy.length + ' in use' }),
      el('thead', {}, el('tr', {}, ['Group', 'Limit', 'Used', 'Hosts in group',
        'Held by'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td.empty', {
        colspan: 5, text: 'This job has no constraint groups.' }))));
  }

  // api(path), asked again after a 503's Retry-After (in seconds; 1 if
  // none or not a number, at most 10), SCHED_TRIES times in all: the
  // dispatcher answers 503 while it builds two schedules already, and a
  // page whose job has ended asks for its views only once.
  const SCHED_TRIES = 5;
  async function apiBusyRetry(path) {
    for (let i = 1; ; i++) {
      try {
        return await api(path);
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 503 || i >= SCHED_TRIES) {
          throw e;
        }
        const ra = /^[0-9]+$/.test(e.retryAfter || '')
          ? Number(e.retryAfter) : 1;
        const secs = Math.min(Math.max(ra, 1), 10);
        await new Promise((r) => setTimeout(r, secs * 1000));
      }
    }
  }

  // The schedule view of a job and, for a job in a namespace, the
  // namespace's locks (null otherwise).  The page draws its own table:
  // the answer leaves pogo schedule's text out (table=0).  A busy
  // dispatcher's 503 is asked again (apiBusyRetry): the caller keeps what
  // it shows meanwhile and gets the error only after the last try.
  async function fetchViews(jobid, job) {
    const v = (await apiBusyRetry('/jobs/' + encodeURIComponent(jobid) +
      '/schedule?max=50&table=0')).response.schedule;
    let l = null;
    if (job.namespace && !job.concurrent && v.groups.length) {
      l = (await api('/namespaces/' + encodeURIComponent(job.namespace) +
        '/locks')).response.locks;
    }
    return [v, l];
  }

  // Why a host waits, in words, from its state message (SPEC 5.4) and
  // the job's schedule view and locks.
  function whyWaiting(host, h, v, locks) {
    const msg = h.message || '';
    if (h.state !== 'waiting') {
      return [host + ' is not waiting: it is ' + h.state +
        (msg ? ' (' + msg + ')' : '') + '.'];
    }
    const out = ['The dispatcher says: “' + msg + '”.'];
    const m = /^waiting for (.*)$/.exec(msg);
    if (msg === 'determining run order...') {
      out.push('The job is being scheduled; its hosts start in a moment.');
    } else if (m && m[1] === 'a worker') {
      out.push('Its constraint units are taken, but no worker has a free ' +
        'task slot yet (or none can decrypt the job\'s secrets). It ' +
        'starts as soon as one does.');
    } else if (m && v) {
      const byLock = new Map((locks || []).map((l) => [l.group, l]));
      for (const name of m[1].split(', ')) {
        const g = v.groups.find((x) => x.name === name);
        let slot = null;
        for (const t of v.threads) {
          for (const s of t.slots) if (s.name === name) slot = s;
        }
        // A slot and a per-value group may share a name ($colo.c1): a
        // group that is not full holds no host, a slot that has ended
        // neither; when both may, the page says both.
        const l = g && byLock.get(name);
        const used = l ? l.used : g ? g.used : 0;
        const p = slot && slotProgress(slot.summary);
        const full = g && used >= g.limit;
        const open = slot && p.done + p.failed < slot.count;
        if (full && open) {
          out.push(name + ' is a constraint group and a sequence slot; ' +
            'either may hold ' + host + '.');
        }
        if (g && (full || !slot)) {
          const holders = l ? l.holders.map((x) => x.host) : g.holders;
          out.push('Constraint group ' + name + ' is full: ' + used +
            ' of its ' + g.limit + ' unit(s) are in use' +
            (holders.length ? ', held by ' + holders.join(', ') : '') +
            '. A host holds its unit while it runs, and after it fails ' +
            'until it is retried or skipped.');
        }
        if (slot && (!full || open)) {
          out.push('Sequence: every host of slot ' + name + ' must end ' +
            'first; ' + (p.done + p.failed) + ' of its ' + slot.count +
            ' have (' + p.running + ' running, ' + p.waiting +
            ' waiting).');
        }
        if (!g && !slot) out.push('It waits for ' + name + '.');
      }
    } else if (msg === 'retry requested' || msg === 'job resumed') {
      out.push('It was put back to run and waits for its turn: its ' +
        'sequence and its constraint groups decide when.');
    }
    return out;
  }

  // ---- the job page (/ui/job/<jobid>) --------------------------------

  const HOSTS_PER_PAGE = 100;

  async function jobPage(jobid) {
    setTitle(jobid);
    const me = await whoami();
    const status = el('p.notice', { role: 'status', 'aria-live': 'polite' });
    main.replaceChildren(el('h1', { text: 'Job ' + jobid }), status);
    let job;
    try {
      job = (await api('/jobs/' + encodeURIComponent(jobid))).response.job;
    } catch (e) {
      notice(status, e.message, true);
      return;
    }
    setTitle(jobid + ' ' + job.state);
    // The log's length before the hosts are read: entries from there on
    // are applied over the hosts' snapshot (applying one twice is harmless).
    let next = 0;
    try {
      next = (await api('/jobs/' + jobid + '/log?max=1&offset=0')).meta.count;
    } catch (e) { notice(status, e.message, true); return; }
    const hosts = new Map();
    for (let off = 0; ; ) {
      const j = await api('/jobs/' + jobid + '/hosts?max=5000&offset=' + off);
      const names = Object.keys(j.response.hosts);
      for (const n of names) hosts.set(n, j.response.hosts[n]);
      off += names.length;
      if (!names.length || off >= j.meta.count) break;
    }
    const names = Array.from(hosts.keys()).sort();
    const selected = new Set();
    let filter = '';
    let page = 0;
    const may = mayAct(me, job);
    const whyNot = may ? '' : 'only ' + (job.user || 'the owner') +
      ' or an administrator may do this';

    // Fields.
    const fields = el('dl.fields');
    const summary = el('ul.summary', { 'aria-label': 'Hosts per state' });
    const actStatus = el('p.notice', { role: 'status', 'aria-live': 'polite' });
    const [pwBox, pw] = secretField(job);
    const halt = el('button', { type: 'button', id: 'halt', text: 'Halt',
      onclick: () => operate([['command', 'jobhalt']]) });
    const resume = el('button', { type: 'button', id: 'resume',
      text: 'Resume', onclick: () => operate([['command', 'jobresume']],
        true) });
    const retrySel = el('button', { type: 'button', id: 'retry-selected',
      text: 'Retry selected', onclick: () => hostOp('jobretry',
        Array.from(selected)) });
    const skipSel = el('button', { type: 'button', id: 'skip-selected',
      text: 'Skip selected', onclick: () => hostOp('jobskip',
        Array.from(selected)) });
    const stateSel = el('select', { id: 'host-filter', onchange: () => {
      filter = stateSel.value; page = 0; dirty(true, null); } });
    const selAll = el('input', { type: 'checkbox', id: 'select-page',
      'aria-label': 'Select every host on this page',
      onchange: () => {
        for (const h of visible().slice(page * HOSTS_PER_PAGE,
          (page + 1) * HOSTS_PER_PAGE)) {
          if (selAll.checked) selected.add(h); else selected.delete(h);
        }
        dirty(false, null);
      } });
    const tbody = el('tbody');
    const table = el('table.hosts', { id: 'hosts' },
      el('caption', { text: 'Hosts (times: ' + zoneName() + ')' }),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, selAll),
        ['Host', 'State', 'Message', 'Exit', 'Start', 'Finish', 'Runs',
          'Output', 'Actions'].map((h) => el('th', { scope: 'col', text: h })))),
      tbody);
    const pagerBox = el('div');
    const schedBox = el('section.view', { 'aria-labelledby': 'sched-title' },
      el('h2', { id: 'sched-title', text: 'Schedule' }));
    const consBox = el('section.view', { 'aria-labelledby': 'cons-title' },
      el('h2', { id: 'cons-title', text: 'Constraints' }));
    const whyTitle = el('h2', { id: 'why-title' });
    const whyList = el('ul');
    const why = el('section.why', { id: 'why', hidden: true, tabindex: -1,
      'aria-labelledby': 'why-title',
      onkeydown: (ev) => { if (ev.key === 'Escape') closeWhy(); } },
    whyTitle, whyList, el('button', { type: 'button', id: 'why-close',
      text: 'Close', onclick: () => closeWhy() }));
    main.append(fields, el('h2', { text: 'Summary' }), summary,
      el('div.actions', {}, halt, ' ', resume, ' ', retrySel, ' ', skipSel),
      pwBox, actStatus, schedBox, consBox, why,
      el('p', {}, el('label', { for: 'host-filter', text: 'Show hosts ' }),
        stateSel),
      table, pagerBox);

    function expired() {
      return job.is_expired || (job.expires_at !== null &&
        job.expires_at !== undefined && job.expires_at <= Date.now() / 1000);
    }
    function canRetry(h) { return RETRYABLE.has(h.state) && !expired(); }
    function canSkip(h) { return SKIPPABLE.has(h.state); }

    function renderFields() {
      const f = [['Pogo ID', job.jobid], ['User', job.user],
        ['Command', el('pre', { text: job.command || '' })],
        ['Invoked as', job.invoked_as], ['Request host', job.requesthost],
        ['Retry', job.retry], ['Timeout', job.timeout === null ? '' :
          job.timeout + ' s'],
        ['Job timeout', job.job_timeout === null ? '' : job.job_timeout + ' s'],
        ['Start', timeEl(job.start_time)], ['End', timeEl(job.end_time)],
        ['State', el('span', {}, stateLabel(job.state), ' ',
          job.state_message || '')],
        ['Hosts', job.host_count],
        ['Zone', zoneName()]];
      fields.replaceChildren(...f.flatMap(([k, v]) => [el('dt', { text: k }),
        el('dd', {}, v === null || v === undefined ? '' : v)]));
      fields.dataset.state = job.state;
      const active = ACTIVE.has(job.state);
      halt.disabled = !may || !active;
      resume.disabled = !may || !(job.state === 'halted' ||
        job.state === 'deadlocked');
      halt.title = resume.title = whyNot;
      setTitle(jobid + ' ' + job.state);
    }

    function counts() {
      const c = {};
      for (const h of hosts.values()) c[h.state] = (c[h.state] || 0) + 1;
      return c;
    }

    let summaryKey = '';
    function renderSummary() {
      const c = counts();
      const key = JSON.stringify(c);
      if (key === summaryKey) return;
      summaryKey = key;
      summary.replaceChildren(...HOST_STATES.filter((s) => c[s]).map((s) =>
        el('li', {}, el('button.link', { type: 'button',
          'data-state': s, onclick: () => { stateSel.value = s; filter = s;
            page = 0; dirty(true, null); } }, stateLabel(s), ' ' + c[s]))));
      const cur = stateSel.value;
      stateSel.replaceChildren(el('option', { value: '',
        text: 'all (' + hosts.size + ')' }),
      ...HOST_STATES.map((s) => el('option', { value: s,
        text: s + ' (' + (c[s] || 0) + ')', selected: s === cur })));
    }

    let visCache = null;
    function visible() {
      if (!visCache) {
        visCache = filter ? names.filter((n) => hosts.get(n).state === filter)
          : names;
      }
      return visCache;
    }

    function hostRow(n) {
      const h = hosts.get(n);
      const box = el('input', { type: 'checkbox', checked: selected.has(n),
        'aria-label': 'Select ' + n,
        onchange: () => { if (box.checked) selected.add(n);
          else selected.delete(n); updateSelButtons(); } });
      const out = h.output ? el('a', { href: hostUrl(jobid, n),
        text: 'output' }) : '';
      return el('tr.st-' + h.state, { 'data-host': n, 'data-state': h.state },
        el('td', {}, box),
        el('td', {}, el('a', { href: hostUrl(jobid, n), text: n })),
        el('td', {}, stateLabel(h.state)),
        el('td', { text: h.message || '' }),
        el('td.num', { text: h.exitstatus === null ||
          h.exitstatus === undefined ? '' : h.exitstatus }),
        el('td', {}, timeEl(h.start_time)),
        el('td', {}, timeEl(h.finish_time)),
        el('td.num', { text: h.runs || 0 }),
        el('td', {}, out),
        el('td.rowact', {},
          h.state === 'waiting' ? el('button', { type: 'button', text: 'Why?',
            class: 'why', 'aria-label': 'Why is ' + n + ' waiting?',
            onclick: () => openWhy(n) }) : '', ' ',
          el('button', { type: 'button', text: 'Retry', class: 'retry',
            disabled: !may || !canRetry(h), title: whyNot,
            onclick: () => hostOp('jobretry', [n]) }), ' ',
          el('button', { type: 'button', text: 'Skip', class: 'skip',
            disabled: !may || !canSkip(h), title: whyNot,
            onclick: () => hostOp('jobskip', [n]) })));
    }

    // The schedule and constraint views, reloaded after log entries
    // (one request at a time) and every 5 s while the job is active
    // (a namespace's other jobs change its locks too).
    let view = null;
    let locks = null;
    let viewsBusy = false;
    let viewsAgain = false;
    async function loadViews() {
      try {
        const [v, l] = await fetchViews(jobid, job);
        view = v;
        locks = l;
        schedBox.replaceChildren(schedBox.firstChild, scheduleTable(v));
        consBox.replaceChildren(consBox.firstChild,
          constraintTable(v, l, jobid));
        if (whyHost) renderWhy();
        main.dataset.views = String(Date.now());
      } catch (e) {
        // A dispatcher still busy after fetchViews' tries (503) or a lost
        // connection: the last view stays below the error until a reload
        // answers.
        schedBox.replaceChildren(schedBox.firstChild,
          el('p.notice.error', { text: e.message }),
          schedBox.querySelector('#schedule') || '');
      }
    }
    async function refreshViews() {
      if (viewsBusy) { viewsAgain = true; return; }
      viewsBusy = true;
      do {
        viewsAgain = false;
        const t0 = Date.now();
        await loadViews();
        // At most one reload a second, however fast the log moves.
        await new Promise((r) => setTimeout(r, t0 + 1000 - Date.now()));
      } while (viewsAgain);
      viewsBusy = false;
    }

    // The "why is this host waiting" panel: focus moves to it, Escape or
    // Close puts it back on the button that opened it.
    let whyHost = null;
    function renderWhy() {
      whyTitle.textContent = 'Why is ' + whyHost + ' waiting?';
      whyList.replaceChildren(...whyWaiting(whyHost, hosts.get(whyHost),
        view, locks).map((t) => el('li', { text: t })));
    }
    function openWhy(n) {
      whyHost = n;
      renderWhy();
      why.hidden = false;
      why.focus();
    }
    function closeWhy() {
      const n = whyHost;
      why.hidden = true;
      whyHost = null;
      const b = tbody.querySelector('tr[data-host="' + CSS.escape(n) +
        '"] button:not([disabled])');
      (b || main).focus();
    }

    function updateSelButtons() {
      const sel = Array.from(selected).map((n) => hosts.get(n));
      retrySel.disabled = !may || !sel.some(canRetry);
      skipSel.disabled = !may || !sel.some(canSkip);
      retrySel.title = skipSel.title = whyNot;
      retrySel.textContent = 'Retry selected (' + selected.size + ')';
      skipSel.textContent = 'Skip selected (' + selected.size + ')';
    }

    function renderTable() {
      const vis = visible();
      const pages = Math.max(1, Math.ceil(vis.length / HOSTS_PER_PAGE));
      if (page >= pages) page = pages - 1;
      const rows = vis.slice(page * HOSTS_PER_PAGE,
        (page + 1) * HOSTS_PER_PAGE);
      tbody.replaceChildren(...(rows.length ? rows.map(hostRow)
        : [el('tr', {}, el('td.empty', { colspan: 10,
          text: 'No hosts in this state.' }))]));
      selAll.checked = rows.length > 0 && rows.every((n) => selected.has(n));
      // The pager is redrawn only when it changes (a button being
      // clicked must not be replaced under the pointer).
      const key = vis.length > HOSTS_PER_PAGE ? page + '/' + pages : '';
      if (key !== pagerKey) {
        pagerKey = key;
        pagerBox.replaceChildren(key ? pager(page, pages, (p) => {
          page = p; dirty(false, null); }) : '');
      }
      updateSelButtons();
    }

    // Redraws are batched: many log entries make one redraw, and the
    // host table is redrawn only when a row it shows changed (changed:
    // the hosts that did; null: redraw anyway).
    let pending = null;
    let pagerKey = null;
    let redrawAll = false;
    const changedHosts = new Set();
    function dirty(refilter, changed) {
      if (refilter) visCache = null;
      if (refilter || !changed) redrawAll = true;
      else for (const h of changed) changedHosts.add(h);
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        renderFields();
        renderSummary();
        const rows = visible().slice(page * HOSTS_PER_PAGE,
          (page + 1) * HOSTS_PER_PAGE);
        if (redrawAll || rows.some((h) => changedHosts.has(h))) {
          renderTable();
        } else {
          updateSelButtons();
        }
        if (whyHost && (changedHosts.has(whyHost) || redrawAll)) renderWhy();
        redrawAll = false;
        changedHosts.clear();
        main.dataset.rendered = String(Date.now());
      }, 30);
    }

    function apply(e) {
      if (e.type === 'jobstate') {
        job.state = e.state;
        job.state_message = e.message;
        job.end_time = ACTIVE.has(e.state) ? null : e.time;
        return;
      }
      const h = hosts.get(e.host);
      if (!h) return false;
      const refilter = filter !== '' && h.state !== e.state;
      h.state = e.state;
      h.message = e.message;
      if (e.exitstatus !== undefined) h.exitstatus = e.exitstatus;
      if (e.output) {
        h.output = e.output;
        const m = /[?&]run=(\d+)/.exec(e.output);
        if (m) h.runs = Math.max(h.runs || 0, Number(m[1]) + 1);
      }
      if (e.state === 'running') { h.start_time = e.time; h.finish_time = null;
        h.exitstatus = e.exitstatus === undefined ? null : e.exitstatus; }
      if (FINAL.has(e.state) && e.state !== 'halted' &&
        e.state !== 'deadlocked' && e.state !== 'skipped') {
        h.finish_time = e.time;
      }
      return refilter;
    }

    async function follow() {
      let delay = 1000;
      for (;;) {
        try {
          const j = await api('/jobs/' + jobid + '/log?max=1000&offset=' +
            next + '&wait=25');
          const es = j.response.joblog;
          const changed = new Set();
          let refilter = false;
          for (const e of es) {
            if (apply(e)) refilter = true;
            if (e.host) changed.add(e.host);
          }
          next += es.length;
          if (j.meta.state) job.state = j.meta.state;
          if (es.length) { dirty(refilter, changed); refreshViews(); }
          delay = 1000;
        } catch (e) {
          notice(status, 'Live updates: ' + e.message + '; trying again',
            true);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 30000);
        }
      }
    }

    async function operate(form, secret) {
      actStatus.textContent = '';
      try {
        form = await withSecret(form, secret ? pw.value : '');
        const j = await api('/jobs/' + encodeURIComponent(jobid),
          { method: 'POST', form });
        notice(actStatus, j.response.message || 'done');
        pw.value = '';
      } catch (e) {
        notice(actStatus, e.message, true);
        if (/secrets/.test(e.message)) { pwBox.hidden = false; pw.focus(); }
      }
    }

    function hostOp(cmd, list) {
      if (!list.length) return;
      const form = [['command', cmd]];
      for (const h of list) form.push(['host', h]);
      return operate(form, cmd === 'jobretry').then(() => {
        selected.clear();
        dirty(false, null);
      });
    }

    renderFields();
    renderSummary();
    renderTable();
    main.dataset.rendered = String(Date.now());
    follow();
    await loadViews();
    setInterval(() => { if (ACTIVE.has(job.state)) refreshViews(); }, 5000);
  }

  // ---- the host output page (/ui/job/<jobid>/<host>) -----------------

  async function outputPage(jobid, host) {
    setTitle(host + ' ' + jobid);
    const me = await whoami();
    const status = el('p.notice', { role: 'status', 'aria-live': 'polite' });
    main.replaceChildren(el('nav.crumbs', {}, el('a', { href: jobUrl(jobid),
      text: '← job ' + jobid })), el('h1', { text: host }), status);
    let job, h;
    try {
      job = (await api('/jobs/' + encodeURIComponent(jobid))).response.job;
    } catch (e) { notice(status, e.message, true); return; }
    const may = mayAct(me, job);
    const whyNot = may ? '' : 'only ' + (job.user || 'the owner') +
      ' or an administrator may do this';
    const hostState = el('p.hoststate');
    const whyBox = el('ul.why', { id: 'why-output',
      'aria-label': 'Why this host is waiting' });
    const runSel = el('select', { id: 'run', onchange: () => {
      run = Number(runSel.value); follow = run === runs - 1; load(true); } });
    const pre = el('pre.output', { id: 'output', tabindex: 0,
      'aria-label': 'Output' });
    const final = el('p.final', { id: 'final', role: 'status' });
    const actStatus = el('p.notice', { role: 'status', 'aria-live': 'polite' });
    const retry = el('button', { type: 'button', id: 'retry', text: 'Retry',
      onclick: () => op('jobretry') });
    const skip = el('button', { type: 'button', id: 'skip', text: 'Skip',
      onclick: () => op('jobskip') });
    const [pwBox, pw] = secretField(job);
    main.append(hostState, whyBox,
      el('p', {}, el('label', { for: 'run', text: 'Run ' }), runSel, ' ',
        retry, ' ', skip), pwBox, actStatus, pre, final);
    let runs = 0;
    let run = -1;
    let follow = true;
    let count = 0;
    let ended = false;
    let next = 0;

    async function hostInfo() {
      // The one host, from the hosts list of the job (paged by name).
      const j = await api('/jobs/' + jobid + '/hosts?max=10000&offset=0');
      h = j.response.hosts[host];
      if (!h) throw new Error('no such job/host combination ' + jobid + '/' +
        host);
      return h;
    }

    function renderHost() {
      hostState.replaceChildren('State: ', stateLabel(h.state), ' ',
        h.message || '', h.exitstatus !== null && h.exitstatus !== undefined
          ? ' (exit ' + h.exitstatus + ')' : '');
      hostState.className = 'hoststate st-' + h.state;
      retry.disabled = !may || !RETRYABLE.has(h.state) || !!job.is_expired;
      skip.disabled = !may || !SKIPPABLE.has(h.state);
      retry.title = skip.title = whyNot;
      explain();
      const want = Math.max(runs, h.runs || 0);
      if (want !== runSel.options.length) {
        runSel.replaceChildren(...Array.from({ length: want }, (_, i) =>
          el('option', { value: i, text: String(i) + (i === want - 1
            ? ' (latest)' : ''), selected: i === run })));
      }
      if (run >= 0) runSel.value = String(run);
    }

    // A waiting host says why, from its message and the job's views.
    let whyBusy = false;
    async function explain() {
      if (h.state !== 'waiting') { whyBox.replaceChildren(); return; }
      if (whyBusy) return;
      whyBusy = true;
      try {
        const [v, l] = await fetchViews(jobid, job);
        whyBox.replaceChildren(...whyWaiting(host, h, v, l).map((t) =>
          el('li', { text: t })));
      } catch (e) {
        whyBox.replaceChildren(el('li', { text: h.message || '' }));
      }
      whyBusy = false;
    }

    function showFinal(type, data) {
      final.textContent = type === 'EXIT' ? 'EXIT ' + data : 'ERROR: ' + data;
      final.className = 'final ' + (type === 'EXIT' && String(data) === '0'
        ? 'ok' : 'bad');
    }

    // A final host whose latest run has no EXIT or ERROR record (yet):
    // the status line from the host's own exit status or message.
    function finalFromHost() {
      if (ended || run !== runs - 1 || !FINAL.has(h.state) ||
        h.state === 'skipped' || h.state === 'halted' ||
        h.state === 'deadlocked' || !(h.runs > 0)) return;
      if (h.exitstatus !== null && h.exitstatus !== undefined) {
        showFinal('EXIT', h.exitstatus);
      } else {
        showFinal('ERROR', h.message || h.state);
      }
    }

    function addRecords(recs) {
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      const frag = document.createDocumentFragment();
      for (const r of recs) {
        if (r.type === 'EXIT' || r.type === 'ERROR') {
          ended = true;
          showFinal(r.type, r.data);
          continue;
        }
        const line = el('span.rec.' + r.type.toLowerCase(),
          { title: fmtTime(r.ts) + ' ' + r.type },
          r.type === 'STDERR' ? el('span.tag', { text: 'stderr' }) : '',
          r.data, '\n');
        frag.append(line);
      }
      pre.append(frag);
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    }

    // Read the chosen run from `count` on.  Following the latest run, a
    // newer one (a retry) is shown from its start as soon as the API
    // counts it, log entry or not.
    async function load(reset) {
      for (let i = 0; i < 100; i++) {
        if (reset) { pre.replaceChildren(); final.textContent = '';
          final.className = 'final'; count = 0; ended = false; }
        reset = false;
        const q = run >= 0 ? '&run=' + run : '';
        const j = await api('/jobs/' + jobid + '/hosts/' +
          encodeURIComponent(host) + '?max=2000&offset=' + count + q);
        runs = j.meta.runs;
        if (run < 0) run = Math.max(0, runs - 1);
        else if (follow && run < runs - 1) {
          run = runs - 1;
          reset = true;
          continue;
        }
        addRecords(j.response.output);
        count += j.response.output.length;
        if (count >= j.meta.count) break;
      }
      renderHost();
      finalFromHost();
      main.dataset.rendered = String(Date.now());
    }

    // Follow the job log for this host's state; poll its output while
    // it runs.
    async function watch() {
      let delay = 1000;
      for (;;) {
        try {
          const j = await api('/jobs/' + jobid + '/log?max=1000&offset=' +
            next + '&wait=25');
          const es = j.response.joblog;
          next += es.length;
          let changed = false;
          for (const e of es) {
            if (e.type === 'jobstate') { job.state = e.state; continue; }
            if (e.host !== host) continue;
            h.state = e.state;
            h.message = e.message;
            if (e.exitstatus !== undefined) h.exitstatus = e.exitstatus;
            const m = e.output ? /[?&]run=(\d+)/.exec(e.output) : null;
            if (m && Number(m[1]) + 1 > runs) {
              runs = Number(m[1]) + 1;
              h.runs = runs;
            }
            if (m && follow && Number(m[1]) > run) {
              run = Number(m[1]);
              changed = 'run';
            }
            changed = changed || true;
          }
          if (changed === 'run') await load(true);
          else if (changed) { renderHost(); await load(false); }
          delay = 1000;
        } catch (e) {
          notice(status, 'Live updates: ' + e.message + '; trying again',
            true);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 30000);
        }
      }
    }

    // While the host runs, its output grows without log entries.
    async function poll() {
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        // Until the run's EXIT or ERROR record (it may be stored just
        // after the host's final log entry).
        if (!ended && run === runs - 1 && (runs > 0 ||
          IN_FLIGHT.has(h.state))) {
          try { await load(false); } catch (e) { /* watch() reports */ }
        }
      }
    }

    // A retry carries the typed password, sealed for the worker.
    async function op(cmd) {
      try {
        const form = await withSecret([['command', cmd], ['host', host]],
          cmd === 'jobretry' ? pw.value : '');
        const j = await api('/jobs/' + encodeURIComponent(jobid),
          { method: 'POST', form });
        notice(actStatus, j.response.message || 'done');
        // The retried run is followed when it starts.
        if (cmd === 'jobretry') { pw.value = ''; follow = true; }
      } catch (e) {
        notice(actStatus, e.message, true);
        if (/secrets/.test(e.message)) { pwBox.hidden = false; pw.focus(); }
      }
    }

    try {
      next = (await api('/jobs/' + jobid + '/log?max=1&offset=0')).meta.count;
      await hostInfo();
      renderHost();
      await load(true);
    } catch (e) { notice(status, e.message, true); return; }
    watch();
    poll();
  }

  // ---- routing -------------------------------------------------------

  function route() {
    const parts = location.pathname.replace(/^\/ui\/?/, '').split('/')
      .filter((p) => p !== '').map(decodeURIComponent);
    if (parts[0] === 'job' && parts.length === 2) return jobPage(parts[1]);
    if (parts[0] === 'job' && parts.length === 3) {
      return outputPage(parts[1], parts[2]);
    }
    return jobListPage();
  }

  whoami().then((me) => {
    const who = document.getElementById('who');
    if (who && me) {
      who.textContent = me.user ? me.user + (me.admin ? ' (admin)' : '')
        : (me.auth === 'none' ? 'no authentication' : '');
    }
  });
  route().catch((e) => {
    main.append(el('p.notice.error', { role: 'alert', text: e.message }));
  });
  return { COLOURS, sealSecret, fmtTime, zoneName };
}());
