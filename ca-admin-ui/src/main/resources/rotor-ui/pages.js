// The pages. Each renders into `main` and may return a function that stops its timers.
import { api, apiText, query, ApiError } from './api.js';
import { h, time, table, errorBox, badge, labelled } from './dom.js';
import uPlot from './vendor/uplot/uPlot.esm.js';

const REASONS = ['unspecified', 'keyCompromise', 'caCompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'];
const DOORS = [['rest', 'REST'], ['agent', 'Agent'], ['acme', 'ACME'], ['crd', 'CertificateRequest'], ['system', 'Server itself']];

function heading(text, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', { text }), ...extra);
}

function stat(id, label, value, hint) {
  return h('div', { class: 'stat' }, h('dt', { text: label }), h('dd', { id, text: String(value) }), hint ? h('p', { class: 'muted small', text: hint }) : null);
}

// ---------------------------------------------------------------- overview

async function overview(main, ctx) {
  const counts = h('dl', { class: 'stats', id: 'overview-counts' });
  const chartBox = h('div', { class: 'chart', id: 'issuance-chart', role: 'img', 'aria-label': 'Certificates issued per minute over the last hour' });
  const chartSummary = h('p', { class: 'muted small', id: 'issuance-summary' });
  const failures = h('div', { id: 'recent-failures' });
  const problem = h('div');
  const updated = h('p', { class: 'muted small', id: 'overview-updated' });
  main.replaceChildren(
    heading('Overview'), problem, counts,
    h('section', { 'aria-labelledby': 'chart-title' }, h('h2', { id: 'chart-title', text: 'Issued per minute, last hour' }), chartBox, chartSummary),
    h('section', { 'aria-labelledby': 'failures-title' }, h('h2', { id: 'failures-title', text: 'Recent failures' }), failures),
    updated);
  let plot = null;

  async function refresh() {
    try {
      const [s, series] = await Promise.all([api('GET', '/api/v1/summary'), api('GET', '/api/v1/stats/issuance?minutes=60')]);
      problem.replaceChildren();
      const c = s.certificates;
      const a = s.agents;
      counts.replaceChildren(
        stat('count-active', 'Active certificates', c.active),
        stat('count-expiring', `Expiring in ${Math.round(c.expiringWindowSeconds / 60)} min`, c.expiringSoon, 'Renewal should have replaced these already.'),
        stat('count-revoked', 'Revoked', c.revoked),
        stat('count-agents-seen', 'Agents renewing', a.seen, `renewed within ${Math.round(a.windowSeconds / 60)} min`),
        stat('count-agents-silent', 'Agents silent', a.silent, a.silent ? 'Known agents that stopped renewing: check them.' : 'None.'));
      const xs = series.points.map((p) => new Date(p.minute).getTime() / 1000);
      const ys = series.points.map((p) => p.issued);
      const total = ys.reduce((x, y) => x + y, 0);
      chartSummary.textContent = `${total} certificates in the last hour; ${ys[ys.length - 1] || 0} in the current minute.`;
      const width = Math.max(280, chartBox.clientWidth || 600);
      if (!plot) {
        plot = new uPlot({
          width, height: 220,
          series: [{}, { label: 'Issued', stroke: '#2458c6', fill: 'rgba(36,88,198,0.12)', width: 2 }],
          axes: [{}, { size: 60 }],
          scales: { x: { time: true } },
          legend: { show: true },
        }, [xs, ys], chartBox);
      } else {
        plot.setSize({ width, height: 220 });
        plot.setData([xs, ys]);
      }
      if (!s.recentFailures.length) {
        failures.replaceChildren(h('p', { class: 'muted', text: 'No issuance has been refused since this server started.' }));
      } else {
        failures.replaceChildren(table('Recent failures', ['When', 'Door', 'Requester', 'Problem', 'Detail'],
          s.recentFailures.map((f) => h('tr', {}, h('td', {}, time(f.at)), h('td', { text: f.door }), h('td', { text: f.requester }),
            h('td', { text: f.code }), h('td', { class: 'wrap', text: f.detail })))));
      }
      updated.replaceChildren('Updated ', time(s.at), '; refreshes every 5 seconds.');
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) problem.replaceChildren(errorBox(err));
    }
  }
  await refresh();
  const timer = window.setInterval(refresh, 5000);
  return () => { window.clearInterval(timer); if (plot) plot.destroy(); };
}

// ---------------------------------------------------------------- certificates

async function certificates(main, ctx) {
  if (ctx.arg) return certificate(main, ctx);
  const p = ctx.params;
  const profiles = (await api('GET', '/api/v1/profiles')).items.map((x) => x.name);
  const q = h('input', { type: 'search', name: 'q', value: p.get('q') || '', placeholder: 'spiffe://…, DNS name, serial' });
  const status = h('select', { name: 'status' }, h('option', { value: '', text: 'Any' }),
    ['active', 'revoked', 'expired'].map((s) => h('option', { value: s, text: s, selected: p.get('status') === s })));
  const profile = h('select', { name: 'profile' }, h('option', { value: '', text: 'Any' }),
    profiles.map((s) => h('option', { value: s, text: s, selected: p.get('profile') === s })));
  const door = h('select', { name: 'door' }, h('option', { value: '', text: 'Any' }),
    DOORS.map(([v, t]) => h('option', { value: v, text: t, selected: p.get('door') === v })));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Search certificates' },
    labelled('Search SAN, serial or subject', q, 'cert-q'), labelled('Status', status, 'cert-status'),
    labelled('Profile', profile, 'cert-profile'), labelled('Door', door, 'cert-door'),
    h('button', { type: 'submit', class: 'primary', id: 'cert-search', text: 'Search' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/certificates${query({ q: q.value.trim(), status: status.value, profile: profile.value, door: door.value })}`;
  });
  const results = h('div', { id: 'cert-results' });
  main.replaceChildren(heading('Certificates'), form, results);
  const filters = { q: p.get('q'), status: p.get('status'), profile: p.get('profile'), door: p.get('door') };
  const cursor = p.get('cursor');
  let page;
  try {
    page = await api('GET', `/api/v1/certificates${query({ ...filters, cursor, limit: 25 })}`);
  } catch (err) {
    results.replaceChildren(errorBox(err));
    return null;
  }
  if (!page.items.length) {
    const any = Object.values(filters).some(Boolean);
    results.replaceChildren(h('p', { class: 'empty', id: 'cert-empty' }, any
      ? 'No certificate matches these filters. Clear them or search for part of a name.'
      : 'No certificates yet. Issue one with POST /api/v1/certificates, start an agent, or point an ACME client at /acme/acme/directory.'));
    return null;
  }
  const rows = page.items.map((c) => h('tr', {},
    h('td', {}, h('a', { href: `#/certificates/${c.serial}`, class: 'mono', text: c.serial })),
    h('td', { class: 'wrap', text: c.sans.join(', ') || c.subject }),
    h('td', { text: c.profile }), h('td', { text: c.channel }), h('td', {}, badge(c.status)),
    h('td', {}, time(c.notAfter))));
  const nav = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    cursor ? h('a', { href: `#/certificates${query(filters)}`, text: 'First page' }) : null,
    page.next ? h('a', { href: `#/certificates${query({ ...filters, cursor: page.next })}`, id: 'cert-next', text: 'Next page' }) : null);
  results.replaceChildren(table('Certificates', ['Serial', 'Names', 'Profile', 'Door', 'Status', 'Expires'], rows), nav);
  return null;
}

function download(filename, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function certificate(main, ctx) {
  const serial = ctx.arg;
  let c;
  try {
    c = await api('GET', `/api/v1/certificates/${encodeURIComponent(serial)}`);
  } catch (err) {
    main.replaceChildren(heading('Certificate'), errorBox(err), h('p', {}, h('a', { href: '#/certificates', text: 'Back to certificates' })));
    return null;
  }
  const f = c.fields;
  const name = c.sans[0] || c.subject || c.serial;
  const rows = [
    ['Status', badge(c.status)], ['Serial', h('span', { class: 'mono', id: 'detail-serial', text: c.serial })],
    ['Subject', f.subject || '(empty)'], ['Issuer', f.issuer],
    ['Subject alternative names', h('ul', { class: 'plain' }, f.subjectAlternativeNames.map((s) => h('li', {}, `${s.type}: `, h('span', { class: 'mono', text: s.value }))))],
    ['Not before', time(f.notBefore)], ['Not after', time(f.notAfter)],
    ['Profile', c.profile], ['Door', c.channel], ['Requester', c.requester], ['Issued', time(c.issuedAt)],
    ['Public key', `${f.publicKey.algorithm}${f.publicKey.curve ? ` ${f.publicKey.curve}` : ''}${f.publicKey.bits ? ` ${f.publicKey.bits} bits` : ''}`],
    ['Signature algorithm', f.signatureAlgorithm],
    ['Key usage', (f.keyUsage || []).join(', ') || '—'], ['Extended key usage', (f.extendedKeyUsage || []).join(', ') || '—'],
    ['Basic constraints', f.basicConstraints || '—'],
    ['Subject key identifier', h('span', { class: 'mono', text: f.subjectKeyIdentifier || '—' })],
    ['Authority key identifier', h('span', { class: 'mono', text: f.authorityKeyIdentifier || '—' })],
    ['CRL distribution points', (f.crlDistributionPoints || []).join(', ') || '—'],
    ['OCSP', (f.authorityInformationAccess || {}).ocsp || '—'], ['CA issuers', (f.authorityInformationAccess || {}).caIssuers || '—'],
    ['Critical extensions', (f.criticalExtensions || []).join(', ') || '—'],
    ['SHA-256 fingerprint', h('span', { class: 'mono wrap', text: f.sha256Fingerprint })],
  ];
  if (c.revokedAt) rows.splice(1, 0, ['Revoked', h('span', {}, time(c.revokedAt), ` — ${c.revocationReason}`)]);
  const dl = h('dl', { class: 'fields' }, rows.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));
  const pem = h('pre', { class: 'pem', tabindex: '0', 'aria-label': 'Certificate chain, PEM', text: c.chain });
  const actions = h('div', { class: 'actions' },
    h('button', { type: 'button', id: 'download-pem', text: 'Download PEM chain',
      onclick: () => download(`${c.serial}.pem`, c.chain, 'application/pem-certificate-chain') }));
  const revokeArea = h('div', { id: 'revoke-area' });
  if (ctx.canOperate && c.status !== 'revoked' && c.status !== 'expired') {
    const reason = h('select', { name: 'reason' }, REASONS.map((r) => h('option', { value: r, text: r })));
    const problem = h('div');
    const dialog = h('dialog', { id: 'revoke-dialog', 'aria-labelledby': 'revoke-title' });
    const confirm = h('button', { type: 'button', class: 'danger', id: 'revoke-confirm', text: 'Revoke now' });
    const cancel = h('button', { type: 'button', id: 'revoke-cancel', text: 'Cancel' });
    const open = h('button', { type: 'button', class: 'danger', id: 'revoke-open', text: 'Revoke…' });
    open.addEventListener('click', () => {
      dialog.replaceChildren(
        h('h2', { id: 'revoke-title', text: 'Revoke this certificate?' }),
        h('p', {}, 'Certificate ', h('strong', { class: 'mono', text: c.serial }), ' for ', h('strong', { text: name }),
          ` will be revoked with reason “${reason.value}”. Relying parties refuse it within seconds. This cannot be undone.`),
        problem, h('div', { class: 'actions' }, cancel, confirm));
      dialog.showModal();
      cancel.focus();
    });
    cancel.addEventListener('click', () => dialog.close());
    confirm.addEventListener('click', async () => {
      confirm.disabled = true;
      try {
        await api('POST', `/api/v1/certificates/${c.serial}/revoke`, { reason: reason.value });
        dialog.close();
        ctx.say(`Certificate ${c.serial} revoked.`);
        await certificate(main, ctx);
      } catch (err) {
        problem.replaceChildren(errorBox(err));
        confirm.disabled = false;
      }
    });
    revokeArea.replaceChildren(h('h2', { text: 'Revoke' }), h('div', { class: 'filters' }, labelled('Reason', reason, 'revoke-reason'), open), dialog);
  }
  main.replaceChildren(
    heading(`Certificate for ${name}`),
    h('p', {}, h('a', { href: '#/certificates', text: '← All certificates' })),
    dl, actions, revokeArea,
    h('section', { 'aria-labelledby': 'chain-title' }, h('h2', { id: 'chain-title', text: 'Chain (PEM)' }), pem));
  return null;
}

// ---------------------------------------------------------------- agents

async function agents(main, ctx) {
  if (ctx.arg) return agent(main, ctx);
  const data = await api('GET', '/api/v1/agents');
  if (!data.items.length) {
    main.replaceChildren(heading('Agents'), h('p', { class: 'empty', text:
      'No agent has attested in the last 24 hours. Deploy the agent DaemonSet (chart) or run rotor-agent with a join token from POST /api/v1/join-tokens.' }));
    return null;
  }
  main.replaceChildren(heading('Agents'),
    h('p', { class: 'muted', text: `An agent is "seen" when it renewed its own certificate within the last ${Math.round(data.windowSeconds / 60)} minutes.` }),
    table('Agents', ['Node', 'State', 'Last renewal', 'Certificate expires', 'Identity'], data.items.map((a) => h('tr', {},
      h('td', {}, h('a', { href: `#/agents/${encodeURIComponent(a.node)}`, text: a.node })), h('td', {}, badge(a.state)),
      h('td', {}, time(a.lastRenewal)), h('td', {}, time(a.notAfter)), h('td', { class: 'mono wrap', text: a.identity })))));
  return null;
}

async function agent(main, ctx) {
  let a;
  try {
    a = await api('GET', `/api/v1/agents/${encodeURIComponent(ctx.arg)}`);
  } catch (err) {
    main.replaceChildren(heading('Agent'), errorBox(err));
    return null;
  }
  main.replaceChildren(heading(`Agent on ${a.node}`), h('p', {}, h('a', { href: '#/agents', text: '← All agents' })),
    h('dl', { class: 'fields' },
      h('dt', { text: 'State' }), h('dd', {}, badge(a.state)),
      h('dt', { text: 'Identity' }), h('dd', { class: 'mono', text: a.identity }),
      h('dt', { text: 'Last renewal' }), h('dd', {}, time(a.lastRenewal)),
      h('dt', { text: 'Certificate expires' }), h('dd', {}, time(a.notAfter)),
      h('dt', { text: 'Certificate' }), h('dd', {}, h('a', { href: `#/certificates/${a.serial}`, class: 'mono', text: a.serial }))),
    h('h2', { text: 'Secrets and files it keeps filled' }),
    a.targets.length
      ? table('Managed Secrets and files', ['Where', 'Identity', 'Last renewed'], a.targets.map((t) => h('tr', {},
        h('td', { class: 'mono wrap', id: `target-${t.target}`, text: t.target }), h('td', { class: 'mono wrap', text: t.identity }),
        h('td', {}, time(t.lastSeen)))))
      : h('p', { class: 'empty', text: 'None reported in the last 24 hours (agents report each Secret or directory when they renew its certificate).' }),
    h('h2', { text: 'Workload identities it keeps fresh' }),
    a.identities.length
      ? h('ul', { class: 'plain mono' }, a.identities.map((i) => h('li', {}, h('a', { href: `#/certificates${query({ q: i, status: 'active' })}`, text: i }))))
      : h('p', { class: 'empty', text: 'None right now: no valid workload certificate was issued through this agent.' }));
  return null;
}

// ---------------------------------------------------------------- audit

async function audit(main, ctx) {
  const p = ctx.params;
  const action = h('input', { type: 'text', name: 'action', value: p.get('action') || '', placeholder: 'certificate.revoked or certificate.*' });
  const actor = h('input', { type: 'text', name: 'actor', value: p.get('actor') || '', placeholder: 'token:admin' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    labelled('Action', action, 'audit-action'), labelled('Actor', actor, 'audit-actor'),
    h('button', { type: 'submit', class: 'primary', text: 'Filter' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/audit${query({ action: action.value.trim(), actor: actor.value.trim() })}`;
  });
  const verifyResult = h('div', { id: 'verify-result', 'aria-live': 'polite' });
  const verify = h('button', { type: 'button', id: 'audit-verify', text: 'Verify chain' });
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    verifyResult.replaceChildren(h('p', { class: 'muted', text: 'Recomputing every hash…' }));
    try {
      const v = await api('GET', '/api/v1/audit/verify');
      verifyResult.replaceChildren(v.ok
        ? h('p', { class: 'ok', id: 'verify-ok', text: `Chain intact: ${v.entries} entries verified.` })
        : h('div', { class: 'error', role: 'alert' }, h('strong', { text: 'The audit chain is broken' }),
          h('p', { text: `First bad entry: ${v.firstBadSeq}. ${v.problem || ''}` })));
    } catch (err) {
      verifyResult.replaceChildren(errorBox(err));
    } finally {
      verify.disabled = false;
    }
  });
  const results = h('div');
  main.replaceChildren(heading('Audit log', verify), verifyResult, form, results);
  const filters = { action: p.get('action'), actor: p.get('actor') };
  let page;
  try {
    page = await api('GET', `/api/v1/audit${query({ ...filters, cursor: p.get('cursor'), limit: 50 })}`);
  } catch (err) {
    results.replaceChildren(errorBox(err));
    return null;
  }
  if (!page.items.length) {
    results.replaceChildren(h('p', { class: 'empty', text: 'No entry matches. Actions look like certificate.issued, certificate.revoked, token.created, login.' }));
    return null;
  }
  results.replaceChildren(
    table('Audit entries', ['#', 'When', 'Actor', 'Action', 'Target'], page.items.map((e) => h('tr', {},
      h('td', { text: String(e.seq) }), h('td', {}, time(e.at)), h('td', { class: 'wrap', text: e.actor }),
      h('td', { text: e.action }), h('td', { class: 'mono wrap', text: e.target || '' })))),
    h('nav', { class: 'pager', 'aria-label': 'Pages' },
      p.get('cursor') ? h('a', { href: `#/audit${query(filters)}`, text: 'Newest' }) : null,
      page.next ? h('a', { href: `#/audit${query({ ...filters, cursor: page.next })}`, text: 'Older' }) : null));
  return null;
}

// ---------------------------------------------------------------- ACME

function identifiers(list) {
  return (list || []).map((i) => (i.type === 'dns' ? i.value : `${i.type}:${i.value}`)).join(', ');
}

function problemText(p) {
  if (!p) return '';
  const type = (p.type || '').replace('urn:ietf:params:acme:error:', '');
  const subs = (p.subproblems || []).map((s) => `${s.identifier ? s.identifier.value + ': ' : ''}${s.detail || ''}`).join('; ');
  return `${type}${p.detail ? ` — ${p.detail}` : ''}${subs ? ` (${subs})` : ''}`;
}

async function acme(main, ctx) {
  const account = ctx.params.get('account');
  const status = ctx.params.get('status');
  const [accounts, orders] = await Promise.all([
    api('GET', '/api/v1/acme/accounts?limit=100'),
    api('GET', `/api/v1/acme/orders${query({ account, status, limit: 100 })}`),
  ]);
  const state = h('select', { name: 'status' }, h('option', { value: '', text: 'Any' }),
    ['pending', 'ready', 'processing', 'valid', 'invalid'].map((s) => h('option', { value: s, text: s, selected: status === s })));
  const form = h('form', { class: 'filters', 'aria-label': 'Filter ACME orders' }, labelled('Order state', state, 'acme-status'),
    h('button', { type: 'submit', class: 'primary', text: 'Filter' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = `#/acme${query({ account, status: state.value })}`;
  });
  const accountsPart = accounts.items.length
    ? table('ACME accounts', ['Account', 'State', 'Contact', 'EAB', 'Orders', 'Created'], accounts.items.map((a) => h('tr', {},
      h('td', {}, h('a', { href: `#/acme${query({ account: a.id })}`, text: `#${a.id}` })), h('td', {}, badge(a.status)),
      h('td', { class: 'wrap', text: (a.contact || []).join(', ') || '—' }), h('td', { text: a.externalAccountBinding ? 'yes' : 'no' }),
      h('td', { text: String(a.orders) }), h('td', {}, time(a.createdAt)))))
    : h('p', { class: 'empty', text: 'No ACME account yet. Point an ACME client (cert-manager ACME issuer, certbot) at https://<this server>/acme/acme/directory.' });
  const ordersPart = orders.items.length
    ? table('ACME orders', ['Order', 'Account', 'State', 'Names', 'Problem', 'Certificate', 'Updated'], orders.items.map((o) => h('tr', {},
      h('td', { text: `#${o.id}` }), h('td', {}, h('a', { href: `#/acme${query({ account: o.account })}`, text: `#${o.account}` })),
      h('td', {}, badge(o.status)), h('td', { class: 'wrap', text: identifiers(o.identifiers) }),
      h('td', { class: 'wrap', text: problemText(o.error) || '—' }),
      h('td', {}, o.certificateSerial ? h('a', { href: `#/certificates/${o.certificateSerial}`, class: 'mono', text: o.certificateSerial }) : '—'),
      h('td', {}, time(o.updatedAt)))))
    : h('p', { class: 'empty', id: 'acme-orders-empty', text: account || status ? 'No order matches these filters.' : 'No ACME order yet.' });
  main.replaceChildren(heading('ACME'),
    h('h2', { text: 'Accounts' }), accountsPart,
    h('h2', { text: account ? `Orders of account #${account}` : 'Orders' }), form,
    account ? h('p', {}, h('a', { href: '#/acme', text: 'All accounts' })) : null, ordersPart);
  return null;
}

// ---------------------------------------------------------------- CertificateRequests

async function requests(main) {
  const data = await api('GET', '/api/v1/certificate-requests?limit=200');
  main.replaceChildren(heading('CertificateRequests'),
    h('p', { class: 'muted', text: 'cert-manager CertificateRequests for rotor.dev issuers that the controller issued, failed or denied, newest first.' }),
    data.items.length
      ? table('CertificateRequests', ['When', 'Request', 'Condition', 'Detail', 'Requested by'], data.items.map((r) => h('tr', {},
        h('td', {}, time(r.at)), h('td', { class: 'mono wrap', text: `${r.namespace}/${r.name}` }),
        h('td', {}, badge(r.reason.toLowerCase()), ` ${r.condition}`),
        h('td', { class: 'wrap' }, r.serial ? h('a', { href: `#/certificates/${r.serial}`, class: 'mono', text: r.serial }) : (r.message || '')),
        h('td', { text: r.username || '' }))))
      : h('p', { class: 'empty', text: 'None yet. Create an Issuer or ClusterIssuer (group rotor.dev) and point a cert-manager Certificate at it.' }));
  return null;
}

// ---------------------------------------------------------------- CA

async function ca(main) {
  const data = await api('GET', '/api/v1/ca');
  main.replaceChildren(heading('Certificate authority'),
    h('p', { class: 'actions' },
      h('a', { class: 'button', href: data.bundleUrl, download: 'rotor-ca.pem', id: 'bundle-link', text: 'Download trust bundle' }),
      h('a', { class: 'button', href: data.crlUrl, id: 'crl-link', text: 'Current CRL' })),
    ...data.certificates.map((c) => h('section', { class: 'card' },
      h('h2', { text: `${c.role === 'root' ? 'Root' : c.role === 'issuing' ? 'Issuing CA' : 'Intermediate'}: ${c.subject}` }),
      h('dl', { class: 'fields' },
        h('dt', { text: 'Subject' }), h('dd', { text: c.subject }),
        h('dt', { text: 'Issuer' }), h('dd', { text: c.issuer }),
        h('dt', { text: 'Serial' }), h('dd', { class: 'mono', text: c.serial }),
        h('dt', { text: 'Valid from' }), h('dd', {}, time(c.notBefore)),
        h('dt', { text: 'Valid until' }), h('dd', {}, time(c.notAfter)),
        h('dt', { text: 'Key' }), h('dd', { text: `${c.publicKey.algorithm} ${c.publicKey.curve || c.publicKey.bits || ''}` }),
        h('dt', { text: 'SHA-256 fingerprint' }), h('dd', { class: 'mono wrap', text: c.sha256Fingerprint }),
        h('dt', { text: 'SHA-1 fingerprint' }), h('dd', { class: 'mono wrap', text: c.sha1Fingerprint })))));
  return null;
}

export const pages = { overview, certificates, agents, acme, requests, audit, ca };
