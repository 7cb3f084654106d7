// Small helpers shared by the page's modules. No framework: DOM calls.

/** Creates an element: el('button', {type: 'button', onclick: f}, 'text', child). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** The page's data, embedded by the server. */
export const page = JSON.parse(document.getElementById('page-data')?.textContent || '{}');

/** fetch() that sends the CSRF token on POSTs and throws the server's message. */
export async function api(url, {method = 'GET', body} = {}) {
  const headers = {};
  if (method !== 'GET') {
    headers['X-CSRF-Token'] = page.csrf;
    headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(url, {method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin'});
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* plain text answers (destroy) */ }
  if (!r.ok) throw new Error((json && json.error) || text || r.statusText);
  return json === null ? text : json;
}

/** Query string of an object, skipping empty values. */
export function qs(obj) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    u.set(k, String(v));
  }
  return u.toString();
}

/** The viewer's choices and per-chart views, kept in the page URL. */
export const view = {
  get() { return new URLSearchParams(location.search); },
  set(changes) {
    const u = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === null || v === '') u.delete(k); else u.set(k, String(v));
    }
    const s = u.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
  },
};

/** A time in the chart's zone, `YYYY-MM-DD HH:MM:SS`. */
export function fmtTime(sec, tz) {
  const d = new Date(sec * 1000);
  try {
    const f = new Intl.DateTimeFormat('sv-SE', {timeZone: tz || undefined, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false});
    return f.format(d);
  } catch {
    return d.toISOString().replace('T', ' ').slice(0, 19);
  }
}

/** A value with an SI prefix and four significant digits, as a readout. */
export function fmtValue(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'unknown';
  const a = Math.abs(v);
  if (a === 0) return '0';
  const prefixes = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n']];
  for (const [f, p] of prefixes) {
    if (a >= f) return (v / f).toPrecision(4).replace(/\.?0+$/, '') + (p ? ' ' + p : '');
  }
  return v.toExponential(3);
}

/** Runs f at most once per `ms`, with the latest arguments. */
export function debounce(f, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => f(...args), ms); };
}
