// The /metrics/U/N/ and /U/N/ (trace-log) pages: their charts, the top
// bar, auto-refresh, theme and zone. A metrics chart's contents are its
// plots (the plot dialog); a trace-log chart's, its instance. Chart edits by the page's owner are stored at once
// (chart.json, under the original's generation rule); a visitor's edits
// stay in the browser until Save copies the page into their own pages.

import {el, api, page, view, debounce} from './util.js';
import {Chart} from './chart.js';
import {plotDialog, instanceDialog, saveDialog} from './dialogs.js';

const contentsDialog = page.app === 'tracelog' ? instanceDialog : plotDialog;

const list = document.getElementById('charts');
const charts = [];
// the browser tests read the charts (geometry, zoom) from here
window.__rrdCharts = charts;

const hooks = {
  changed(chart) {
    if (page.mine && !chart.adhoc) {
      api('chart.json', {method: 'POST', body: {imgid: chart.imgid, params: chart.params}})
        .catch((e) => { chart.status.textContent = 'not saved: ' + e.message; });
    }
  },
  remove(chart) {
    const i = charts.indexOf(chart);
    if (i >= 0) charts.splice(i, 1);
    chart.root.remove();
    if (page.mine && !chart.adhoc) api('destroy', {method: 'POST', body: {imgid: chart.imgid}}).catch(() => {});
    showEmpty();
  },
  contents(chart) {
    contentsDialog(chart.params, (params) => { chart.params = params; chart.changed(); });
  },
  applyToAll(chart) {
    for (const c of charts) if (c !== chart) c.takeWindow(chart);
  },
};

function add(imgid, params, opts = {}) {
  const c = new Chart(imgid, params, hooks);
  c.adhoc = !!opts.adhoc;
  charts.push(c);
  list.append(c.root);
  showEmpty();
  return c;
}

function showEmpty() { document.getElementById('empty').hidden = charts.length > 0; }

function nextId() {
  return String(charts.reduce((m, c) => Math.max(m, Number(c.imgid) || 0), 0) + 1);
}

function newChart() {
  contentsDialog({trail: '24'}, (params) => {
    params.generation = '1';
    const c = add(nextId(), params);
    hooks.changed(c);
    c.reload(true);
  });
}

// theme: the page and the graphs themselves (rrdtool colour tags)
function setTheme(dark) {
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  document.getElementById('theme').textContent = dark ? 'Light' : 'Dark';
  localStorage.setItem('rrd-theme', dark ? 'dark' : 'light');
  view.set({theme: dark ? 'dark' : ''});
}

function zones() {
  const sel = document.getElementById('tz');
  const current = view.get().get('tz') || page.tz;
  let all = [];
  try { all = Intl.supportedValuesOf('timeZone'); } catch { all = []; }
  const set = new Set([page.tz, 'UTC', current, ...all]);
  sel.replaceChildren(...[...set].filter(Boolean).map((z) => el('option', {value: z, selected: z === current}, z === page.tz ? z + ' (server)' : z)));
  sel.addEventListener('change', () => { view.set({tz: sel.value === page.tz ? '' : sel.value}); reloadAll(true); });
}

function reloadAll(now) { for (const c of charts) c.reload(now); }

function boot() {
  const v = view.get();
  const stored = localStorage.getItem('rrd-theme');
  setTheme(v.get('theme') === 'dark' || (!v.get('theme') && (stored ? stored === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches)));
  zones();
  const adhoc = v.get('chart');
  if (adhoc) {
    const params = Object.fromEntries(new URLSearchParams(adhoc));
    const c = add('0', params, {adhoc: true});
    if (params.from && params.until) c.zoom = {from: Number(params.from), until: Number(params.until)};
    if (params.hide) c.hidden = new Set(params.hide.split(',').map(Number));
    delete c.params.from; delete c.params.until; delete c.params.hide;
  } else {
    for (const {imgid, params} of page.charts) add(imgid, params);
  }
  showEmpty();
  document.getElementById('new-chart').addEventListener('click', newChart);
  document.getElementById('first-chart').addEventListener('click', newChart);
  document.getElementById('save').addEventListener('click', () => saveDialog(charts.map((c) => c.params)));
  document.getElementById('theme').addEventListener('click', () => { setTheme(document.documentElement.dataset.theme !== 'dark'); reloadAll(false); });
  if (!page.mine) document.body.classList.add('readonly');
  // draw once the layout has its width
  requestAnimationFrame(() => reloadAll(false));
  let lastWidth = list.clientWidth;
  window.addEventListener('resize', debounce(() => {
    if (Math.abs(list.clientWidth - lastWidth) > 20) { lastWidth = list.clientWidth; reloadAll(false); }
  }, 300));
  // every 60 s, live charts draw again; not while the tab is hidden
  setInterval(() => { if (!document.hidden) for (const c of charts) if (c.live) c.reload(true); }, 60_000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) for (const c of charts) if (c.live) c.reload(true); });
}

boot();
