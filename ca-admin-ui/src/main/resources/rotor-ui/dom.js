// Small DOM helpers: elements are built with textContent only, never from HTML strings, so
// nothing from the API can become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const units = [
  ['year', 365 * 24 * 3600], ['month', 30 * 24 * 3600], ['day', 24 * 3600],
  ['hour', 3600], ['minute', 60], ['second', 1],
];
const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function relative(iso) {
  const diff = (new Date(iso).getTime() - Date.now()) / 1000;
  for (const [unit, secs] of units) {
    if (Math.abs(diff) >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return iso;
}

/** A <time> showing relative time, with the absolute UTC time on hover and for screen readers. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  const abs = new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  return h('time', { datetime: iso, title: abs, 'aria-label': `${relative(iso)} (${abs})` }, relative(iso));
}

export function table(caption, headers, rows) {
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', { class: 'sr-only', text: caption }),
      h('thead', {}, h('tr', {}, headers.map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, rows)));
}

export function errorBox(err) {
  return h('div', { class: 'error', role: 'alert' },
    h('strong', { text: err.title || 'Error' }), err.detail ? h('p', { text: err.detail }) : null);
}

export function badge(status) {
  return h('span', { class: `badge badge-${status}`, text: status });
}

export function labelled(label, control, id) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), control);
}
