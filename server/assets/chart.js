// One chart: the image rrd-graph drew, its controls, and the interaction
// layer on top (drag to zoom, hover readout, shared crosshair, click a
// legend entry to hide its plot). The geometry and data come from
// show.json: graphv's graph_left/top/width/height, graph_start/end and the
// legend boxes, and xport's rows over the same window.

import {el, api, qs, view, fmtTime, fmtValue, page} from './util.js';

const PER_CHART = ['start', 'start_time', 'end', 'end_time', 'trail', 'step', 'lower_limit', 'upper_limit', 'log'];

function timeParam(v) { // <input type=time> gives HH:MM or HH:MM:SS; the original took THH:MM:SS
  if (!v) return '';
  return 'T' + (v.length === 5 ? v + ':00' : v);
}
function timeInput(p) { // and back
  if (!p) return '';
  const t = p.replace(/^T/, '').split(':').map((x) => x.padStart(2, '0'));
  while (t.length < 3) t.push('00');
  return t.join(':');
}

export class Chart {
  constructor(imgid, params, hooks) {
    this.imgid = String(imgid);
    this.params = {...params};
    this.hooks = hooks;
    const v = view.get();
    const z = v.get('z' + this.imgid);
    this.zoom = null;
    if (z && /^\d+-\d+$/.test(z)) {
      const [a, b] = z.split('-').map(Number);
      if (a < b) this.zoom = {from: a, until: b};
    }
    this.zoomStack = [];
    this.hidden = new Set((v.get('h' + this.imgid) || '').split(',').filter((s) => /^\d+$/.test(s)).map(Number));
    this.meta = null; // show.json of the image on screen
    this.metaFor = '';
    this.build();
  }

  get owner() { return page.mine; }

  /** The plot numbers in drawing order. */
  plots() {
    if (page.app === 'tracelog') {
      // the server makes a trace-log chart's plots from its instance:
      // five for an instance or a pool, three for max headroom, one per
      // instance when comparing
      const spec = this.params.instance || '';
      if (!spec) return [];
      const parts = spec.split(',');
      const n = spec.startsWith(',') ? (parts[1] === 'mh' ? 3 : Math.max(parts.length - 3, 0)) : 5;
      return [...Array(n).keys()];
    }
    return Object.keys(this.params).filter((k) => /^data\d+$/.test(k) && this.params[k]).map((k) => Number(k.slice(4))).sort((a, b) => a - b);
  }

  build() {
    const c = this.ctl = {};
    const input = (name, attrs) => (c[name] = el('input', {name, ...attrs, onchange: () => this.edited()}));
    this.img = el('img', {class: 'graph', alt: this.params.title || 'chart', draggable: 'false'});
    this.sel = el('div', {class: 'sel', hidden: true});
    this.cross = el('div', {class: 'cross', hidden: true});
    this.tip = el('div', {class: 'tip', hidden: true, role: 'status'});
    this.overlay = el('div', {class: 'overlay'});
    this.wrap = el('div', {class: 'plotwrap'}, this.img, this.overlay, this.sel, this.cross, this.tip);
    this.status = el('span', {class: 'status'});
    const btn = (label, title, f, cls) => el('button', {type: 'button', title, class: cls, onclick: f}, label);
    this.root = el('section', {class: 'chart', dataset: {imgid: this.imgid}},
      this.wrap,
      el('div', {class: 'controls'},
        btn('Reload', 'Draw again now', () => this.reload(true)),
        el('span', {class: 'grp'}, input('start', {type: 'date', title: 'Start date'}), input('start_time', {type: 'time', step: 1, title: 'Start time'}),
          ' to ', input('end', {type: 'date', title: 'End date'}), input('end_time', {type: 'time', step: 1, title: 'End time'})),
        el('label', {}, 'Trail ', input('trail', {type: 'number', min: 0, step: 'any', class: 'num', title: 'Hours back from now (overrides start and end)'})),
        el('label', {}, 'Step ', input('step', {type: 'number', min: 0, step: 'any', class: 'num', title: 'Minutes per point'})),
        el('label', {}, 'Min ', input('lower_limit', {type: 'number', step: 'any', class: 'num'})),
        el('label', {}, 'Max ', input('upper_limit', {type: 'number', step: 'any', class: 'num'})),
        el('label', {}, input('log', {type: 'checkbox'}), ' Log'),
        btn('A', 'Apply the times, step, limits and log to every chart', () => this.hooks.applyToAll(this)),
        el('label', {}, 'Height ', input('height', {type: 'number', min: 50, max: page.limits?.height || 2000, step: 10, class: 'num'})),
        page.app === 'tracelog'
          ? btn('Instance', 'The instance or pool this chart shows', () => this.hooks.contents(this))
          : btn('Contents', 'Plots of this chart', () => this.hooks.contents(this)),
        btn('Zoom out', 'Show twice the time', () => this.zoomOut(), 'zoomout'),
        btn('Undo zoom', 'Back to the previous window', () => this.undoZoom(), 'undo'),
        el('a', {class: 'link', href: '#', title: 'A link to this chart as it is now', onclick: (e) => { e.preventDefault(); this.permalink(); }}, 'Link'),
        btn('SVG', 'Open this chart as SVG', () => window.open(this.url('svg'), '_blank'), 'svg'),
        btn('✕', 'Remove this chart', () => this.hooks.remove(this), 'remove'),
        this.status));
    this.fillControls();
    this.img.addEventListener('load', () => { this.status.textContent = this.img.dataset.error || ''; this.loadMeta(); });
    this.img.addEventListener('error', () => { this.status.textContent = 'could not load the image'; });
    this.bindPointer();
    document.addEventListener('rrd-crosshair', (e) => this.showCross(e.detail));
  }

  fillControls() {
    const c = this.ctl, p = this.params;
    for (const k of ['start', 'end', 'trail', 'step', 'lower_limit', 'upper_limit', 'height']) c[k].value = p[k] || '';
    c.start_time.value = timeInput(p.start_time);
    c.end_time.value = timeInput(p.end_time);
    c.log.checked = p.log === 'y';
    this.img.alt = p.title || 'chart';
  }

  /** A control changed: the chart's parameters change, with a new generation. */
  edited() {
    const c = this.ctl, p = this.params;
    for (const k of ['start', 'end', 'trail', 'step', 'lower_limit', 'upper_limit', 'height']) p[k] = c[k].value;
    p.start_time = timeParam(c.start_time.value);
    p.end_time = timeParam(c.end_time.value);
    p.log = c.log.checked ? 'y' : '';
    this.setZoom(null, false);
    this.changed();
  }

  /** Records a user edit and draws again. */
  changed() {
    this.params.generation = String(Number(this.params.generation || 0) + 1);
    this.hooks.changed(this);
    this.fillControls();
    this.reload(true);
  }

  /** Parameters of this chart for the server, with the viewer's choices. */
  query(extra = {}) {
    const q = {...this.params};
    q.width = Math.max(300, Math.min(page.limits?.width || 4000, Math.floor(this.wrap.clientWidth || 800)));
    q.tz = view.get().get('tz') || page.tz;
    if (document.documentElement.dataset.theme === 'dark') q.theme = 'dark';
    if (this.zoom) { q.from = this.zoom.from; q.until = this.zoom.until; }
    if (this.hidden.size) q.hide = [...this.hidden].join(',');
    return {...q, ...extra};
  }

  url(kind, extra) { return `show.${kind}?` + qs(this.query(extra)); }

  /** Live charts follow the clock; charts with an end or a zoom stand still. */
  get live() { return !this.zoom && !this.params.end && !this.params.end_time; }

  reload(now) {
    if (!this.plots().length) { this.status.textContent = page.app === 'tracelog' ? 'no instance yet: open Instance' : 'no plots yet: open Contents'; return; }
    const u = this.url('png', now ? {bust: Date.now()} : {});
    this.status.textContent = 'drawing…';
    // only the latest request's image is shown, whatever order they finish in
    const seq = this.seq = (this.seq || 0) + 1;
    fetch(u, {credentials: 'same-origin'}).then(async (r) => {
      const err = r.headers.get('x-graph-error');
      const blob = await r.blob();
      if (seq !== this.seq) return;
      if (this.img.src.startsWith('blob:')) URL.revokeObjectURL(this.img.src);
      this.img.dataset.error = err ? 'error: ' + err : '';
      this.metaFor = '';
      this.img.src = URL.createObjectURL(blob);
    }).catch((e) => { this.status.textContent = String(e); });
  }

  async loadMeta() {
    const key = qs(this.query());
    if (this.metaFor === key || this.img.dataset.error) return;
    this.metaFor = key;
    try {
      this.meta = await api('show.json?' + key);
    } catch (e) {
      this.meta = null;
    }
  }

  /** Image x (pixels) → seconds, within the plotted area. */
  timeAt(x) {
    const g = this.meta?.graph;
    if (!g) return null;
    const f = (x - g.graph_left) / g.graph_width;
    if (f < 0 || f > 1) return null;
    return g.graph_start + f * (g.graph_end - g.graph_start);
  }

  xAt(t) {
    const g = this.meta?.graph;
    if (!g || t < g.graph_start || t > g.graph_end) return null;
    return g.graph_left + (t - g.graph_start) / (g.graph_end - g.graph_start) * g.graph_width;
  }

  /** Pointer position in image pixels. */
  pos(e) {
    const r = this.img.getBoundingClientRect();
    const sx = (this.img.naturalWidth || r.width) / r.width, sy = (this.img.naturalHeight || r.height) / r.height;
    return {x: (e.clientX - r.left) * sx, y: (e.clientY - r.top) * sy, scale: 1 / sx};
  }

  bindPointer() {
    let drag = null;
    const o = this.overlay;
    o.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      const p = this.pos(e);
      const legend = this.legendAt(p);
      if (legend !== null) { this.toggle(legend); return; }
      if (this.timeAt(p.x) === null) return;
      drag = {x0: p.x, x1: p.x};
      o.setPointerCapture(e.pointerId);
    });
    o.addEventListener('pointermove', (e) => {
      const p = this.pos(e);
      if (drag) {
        const g = this.meta.graph;
        drag.x1 = Math.max(g.graph_left, Math.min(g.graph_left + g.graph_width, p.x));
        const a = Math.min(drag.x0, drag.x1), b = Math.max(drag.x0, drag.x1);
        Object.assign(this.sel.style, {left: a * p.scale + 'px', width: (b - a) * p.scale + 'px',
          top: g.graph_top * p.scale + 'px', height: g.graph_height * p.scale + 'px'});
        this.sel.hidden = false;
      }
      this.hover(p);
      o.style.cursor = this.legendAt(p) !== null ? 'pointer' : (this.timeAt(p.x) !== null ? 'crosshair' : 'default');
    });
    o.addEventListener('pointerup', () => {
      if (!drag) return;
      const a = this.timeAt(Math.min(drag.x0, drag.x1)), b = this.timeAt(Math.max(drag.x0, drag.x1));
      this.sel.hidden = true;
      const wide = Math.abs(drag.x1 - drag.x0) >= 3;
      drag = null;
      if (wide && a !== null && b !== null && b - a >= 1) this.setZoom({from: Math.floor(a), until: Math.ceil(b)}, true);
    });
    o.addEventListener('pointerleave', () => {
      this.tip.hidden = true;
      document.dispatchEvent(new CustomEvent('rrd-crosshair', {detail: {t: null, from: this}}));
    });
  }

  legendAt(p) {
    const g = this.meta?.graph;
    if (!g) return null;
    for (let k = 0; g['coords[' + k + ']'] !== undefined; k++) {
      const [x0, y0, x1, y1] = String(g['coords[' + k + ']']).split(',').map(Number);
      if (p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) return k;
    }
    return null;
  }

  /** Hides or shows the k-th plot (legend order). */
  toggle(k) {
    const n = this.plots()[k];
    if (n === undefined) return;
    if (this.hidden.has(n)) this.hidden.delete(n); else this.hidden.add(n);
    view.set({['h' + this.imgid]: [...this.hidden].join(',')});
    this.reload(false);
  }

  hover(p) {
    const t = this.timeAt(p.x);
    const d = this.meta?.data;
    if (t === null || !d || !d.rows) { this.tip.hidden = true; return; }
    document.dispatchEvent(new CustomEvent('rrd-crosshair', {detail: {t, from: this}}));
    const i = Math.min(d.rows - 1, Math.max(0, Math.ceil((t - d.start) / d.step) - 1));
    const at = d.start + (i + 1) * d.step;
    const plots = this.plots();
    this.tip.replaceChildren(el('div', {class: 'when'}, fmtTime(at, this.meta.tz)),
      ...d.legends.map((l, k) => {
        const n = plots[k];
        const v = d.series[k][i];
        return el('div', {class: this.hidden.has(n) ? 'row off' : 'row'},
          el('span', {class: 'sw', dataset: {color: this.params['color' + n] || ''}}), ` ${l}: `, el('b', {}, fmtValue(v)));
      }));
    for (const sw of this.tip.querySelectorAll('.sw')) sw.style.background = '#' + (sw.dataset.color || '888888');
    this.tip.hidden = false;
    const w = this.wrap.clientWidth;
    const left = p.x * p.scale + 16;
    this.tip.style.left = (left + 220 > w ? Math.max(0, p.x * p.scale - 236) : left) + 'px';
    this.tip.style.top = Math.max(0, p.y * p.scale - 10) + 'px';
  }

  showCross({t, from}) {
    if (t === null || !this.meta) { this.cross.hidden = true; return; }
    const x = this.xAt(t);
    if (x === null) { this.cross.hidden = true; return; }
    const g = this.meta.graph;
    const s = this.img.clientWidth / (this.img.naturalWidth || this.img.clientWidth || 1);
    Object.assign(this.cross.style, {left: x * s + 'px', top: g.graph_top * s + 'px', height: g.graph_height * s + 'px'});
    this.cross.hidden = false;
    if (from !== this) this.tip.hidden = true;
  }

  setZoom(z, remember) {
    if (remember) this.zoomStack.push(this.zoom);
    this.zoom = z;
    view.set({['z' + this.imgid]: z ? `${z.from}-${z.until}` : ''});
    this.root.classList.toggle('zoomed', !!z);
    if (remember) this.reload(false);
  }

  zoomOut() {
    const g = this.meta?.graph;
    const from = this.zoom?.from ?? g?.graph_start, until = this.zoom?.until ?? g?.graph_end;
    if (from === undefined) return;
    const span = until - from, now = Math.floor(Date.now() / 1000);
    const b = Math.min(now, until + Math.floor(span / 2));
    this.setZoom({from: b - 2 * span, until: b}, true);
  }

  undoZoom() {
    if (!this.zoomStack.length) return;
    this.zoom = this.zoomStack.pop();
    this.setZoom(this.zoom, false);
    this.reload(false);
  }

  permalink() {
    const u = new URL(location.href);
    u.search = '';
    u.searchParams.set('chart', qs({...this.params, ...(this.zoom ? {from: this.zoom.from, until: this.zoom.until} : {}),
      ...(this.hidden.size ? {hide: [...this.hidden].join(',')} : {})}));
    const tz = view.get().get('tz');
    if (tz) u.searchParams.set('tz', tz);
    if (document.documentElement.dataset.theme === 'dark') u.searchParams.set('theme', 'dark');
    history.pushState(null, '', u);
    this.status.textContent = 'the address bar now links to this chart';
    navigator.clipboard?.writeText(u.href).catch(() => {});
  }

  /** Copies the time window, step, limits and log of `other`. */
  takeWindow(other) {
    for (const k of PER_CHART) this.params[k] = other.params[k] || '';
    this.zoom = other.zoom;
    view.set({['z' + this.imgid]: this.zoom ? `${this.zoom.from}-${this.zoom.until}` : ''});
    this.changed();
  }
}
