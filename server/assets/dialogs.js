// The plot dialog (title; legend, colour, dash, thick, tick and series of
// each plot), the series picker, the aggregate dialog (average, total or
// a custom RPN checked as you type) and the Save dialog.

import {el, api, page, debounce} from './util.js';

// 7×10 palette: hues across, light to dark down
const PALETTE70 = [];
for (const l of [85, 72, 60, 50, 40, 30, 20]) {
  for (let h = 0; h < 360; h += 40) PALETTE70.push(hsl(h, l));
  PALETTE70.push(hsl(0, l, 0));
}
function hsl(h, l, s = 80) {
  s /= 100; l /= 100;
  const k = (n) => (n + h / 30) % 12, a = s * Math.min(l, 1 - l);
  const f = (n) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return [f(0), f(8), f(4)].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** Shows a dialog made for one use; it leaves the page when closed. */
function showModal(dlg) {
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

/** The series picker: the original's filter (case-insensitive regex, spaces mean .*), 99 per page. */
function picker(onPick, onPickAll) {
  let pageNo = 0, total = 0, last = localStorage.getItem('rrd-last-search') || '';
  const q = el('input', {type: 'search', placeholder: 'filter: regex, spaces mean .*', class: 'filter', 'aria-label': 'Series filter'});
  const list = el('select', {size: 10, class: 'serieslist', 'aria-label': 'Series'});
  const info = el('span', {class: 'muted'});
  const load = async () => {
    try {
      const r = await api('get_series.json?' + new URLSearchParams({q: q.value, page: pageNo}));
      total = r.total;
      list.replaceChildren(...r.series.map((s) => el('option', {value: s}, s)));
      info.textContent = total ? `${pageNo * r.per_page + 1}–${pageNo * r.per_page + r.series.length} of ${total}` : 'no series match';
      info.classList.remove('error');
    } catch (e) { info.textContent = e.message; info.classList.add('error'); }
  };
  const refilter = debounce(() => { pageNo = 0; localStorage.setItem('rrd-last-search', q.value); load(); }, 200);
  q.addEventListener('input', refilter);
  list.addEventListener('dblclick', () => list.value && onPick(list.value));
  const root = el('div', {class: 'picker'},
    el('div', {class: 'row'}, q,
      el('button', {type: 'button', onclick: () => { q.value = last; refilter(); }, title: 'The last filter you used'}, 'Last search'),
      el('button', {type: 'button', onclick: () => { if (pageNo > 0) { pageNo--; load(); } }}, '‹'),
      el('button', {type: 'button', onclick: () => { if ((pageNo + 1) * 99 < total) { pageNo++; load(); } }}, '›'), info),
    list,
    el('div', {class: 'row'},
      el('button', {type: 'button', class: 'primary', onclick: () => { for (const o of list.selectedOptions) onPick(o.value); }}, 'Add selected'),
      el('button', {type: 'button', onclick: () => onPickAll([...list.options].map((o) => o.value)), title: 'Add every series on this page of the list (at most 99)'}, 'Add all shown')));
  list.multiple = true;
  load();
  return root;
}

function colorButton(value, onChange) {
  const b = el('button', {type: 'button', class: 'swatch', title: 'Colour', 'aria-label': 'Colour'});
  const paint = () => { b.style.background = '#' + value; b.dataset.color = value; };
  paint();
  b.addEventListener('click', () => {
    const grid = el('div', {class: 'palette'}, ...PALETTE70.map((c) => {
      const s = el('button', {type: 'button', class: 'swatch', title: '#' + c, dataset: {color: c},
        onclick: () => { value = c; paint(); onChange(c); pop.remove(); }});
      s.style.background = '#' + c;
      return s;
    }));
    const pop = el('div', {class: 'popover'}, grid);
    b.after(pop);
    setTimeout(() => document.addEventListener('click', function off(e) {
      if (!pop.contains(e.target)) { pop.remove(); document.removeEventListener('click', off); }
    }), 0);
  });
  return b;
}

/** Default look of the k-th new plot: colours cycle, dashed after 8, thick after 16 (the original's rule). */
export function defaultStyle(k) {
  const pal = page.palette || ['000000'];
  return {color: pal[k % pal.length], dash: k >= pal.length && k < 2 * pal.length ? 'y' : '', thick: k >= 2 * pal.length ? 'y' : ''};
}

/** Opens the plot dialog for `chart` (its params), calling done(params) on OK. */
export function plotDialog(params, done) {
  const plots = Object.keys(params).filter((k) => /^data\d+$/.test(k) && params[k]).map((k) => Number(k.slice(4))).sort((a, b) => a - b)
    .map((n) => ({data: params['data' + n], legend: params['legend' + n] || '', color: params['color' + n] || defaultStyle(n).color,
      dash: params['dash' + n] || '', thick: params['thick' + n] || '', tick: params['tick' + n] || ''}));
  const title = el('input', {type: 'text', value: params.title || '', class: 'wide', 'aria-label': 'Chart title', maxlength: 200});
  const body = el('tbody');
  const render = () => {
    body.replaceChildren(...plots.map((p, k) => {
      const cb = (name) => el('input', {type: 'checkbox', checked: p[name] === 'y', 'aria-label': name,
        onchange: (e) => { p[name] = e.target.checked ? 'y' : ''; }});
      const series = el('td', {class: 'series', title: 'Double-click to edit as an aggregate'}, p.data.includes('|') ? 'aggregate of ' + p.data.split('||')[0].split('|').length : p.data);
      series.addEventListener('dblclick', () => aggregateDialog(p.data, (data) => { p.data = data; render(); }));
      return el('tr', {},
        el('td', {}, el('input', {type: 'text', value: p.legend, placeholder: p.data.includes('|') ? 'aggregate' : p.data, 'aria-label': 'Legend', maxlength: 100,
          oninput: (e) => { p.legend = e.target.value; }})),
        el('td', {}, colorButton(p.color, (c) => { p.color = c; })),
        el('td', {}, cb('dash')), el('td', {}, cb('thick')), el('td', {}, cb('tick')),
        series,
        el('td', {}, el('button', {type: 'button', title: 'Remove this plot', onclick: () => { plots.splice(k, 1); render(); }}, '✕')));
    }));
  };
  const add = (data) => {
    if (plots.length >= (page.limits?.plots || 32)) return;
    plots.push({data, legend: '', tick: '', ...defaultStyle(plots.length)});
    render();
  };
  render();
  const dlg = el('dialog', {class: 'plotdialog', 'aria-label': 'Plots'},
    el('h2', {}, 'Chart contents'),
    el('label', {}, 'Title ', title),
    el('table', {class: 'plots'}, el('thead', {}, el('tr', {}, ...['Legend', 'Color', 'Dash', 'Thick', 'Tick', 'Series', ''].map((h) => el('th', {}, h)))), body),
    el('h3', {}, 'Add series'),
    picker(add, (all) => all.forEach(add)),
    el('div', {class: 'row'},
      el('button', {type: 'button', id: 'add-aggregate', onclick: () => aggregateDialog('', (data) => add(data))}, 'Aggregate…'),
      el('span', {class: 'spacer'}),
      el('button', {type: 'button', onclick: () => dlg.close()}, 'Cancel'),
      el('button', {type: 'button', class: 'primary', id: 'plot-ok', onclick: () => {
        const out = {};
        for (const [k, v] of Object.entries(params)) if (!/^(data|legend|color|dash|thick|tick)\d+$/.test(k) && k !== 'title') out[k] = v;
        out.title = title.value;
        plots.forEach((p, n) => {
          out['data' + n] = p.data; out['legend' + n] = p.legend; out['color' + n] = p.color;
          out['dash' + n] = p.dash; out['thick' + n] = p.thick; out['tick' + n] = p.tick;
        });
        dlg.close();
        done(out);
      }}, 'OK')));
  showModal(dlg);
}

/** The aggregate dialog: members with variable names, and average, total or a custom RPN. */
export function aggregateDialog(data, done) {
  const [membersPart = '', kindPart = '', rpnPart = ''] = data ? data.split('||') : [];
  const kindFields = kindPart.split('|');
  const members = membersPart ? membersPart.split('|').map((s, k) => ({series: s, vname: kindFields[k + 1] || 'v' + k})) : [];
  let kind = kindFields[0] || 'average';
  const body = el('tbody');
  const rpn = el('input', {type: 'text', value: rpnPart, class: 'wide mono', placeholder: 'e.g. v0,v1,+,2,/', 'aria-label': 'RPN expression', spellcheck: 'false'});
  const check = el('pre', {class: 'rpncheck', 'aria-live': 'polite'});
  const render = () => body.replaceChildren(...members.map((m, k) => el('tr', {},
    el('td', {}, el('input', {type: 'text', value: m.vname, class: 'mono', size: 8, 'aria-label': 'Variable name', oninput: (e) => { m.vname = e.target.value; recheck(); }})),
    el('td', {}, m.series),
    el('td', {}, el('button', {type: 'button', onclick: () => { members.splice(k, 1); render(); recheck(); }}, '✕')))));
  const recheck = debounce(async () => {
    if (kind !== 'custom') { check.textContent = ''; return; }
    try {
      const r = await api('/metrics/api/check_rpn?' + new URLSearchParams({rpn: rpn.value, vars: members.map((m) => m.vname).join(',')}));
      check.textContent = r.ok ? '✓ valid' : (r.caret || r.error);
      check.classList.toggle('error', !r.ok);
    } catch (e) { check.textContent = e.message; check.classList.add('error'); }
  }, 250);
  rpn.addEventListener('input', recheck);
  const radio = (v, label) => el('label', {}, el('input', {type: 'radio', name: 'aggkind', value: v, checked: kind === v,
    onchange: () => { kind = v; rpn.disabled = v !== 'custom'; recheck(); }}), ' ', label);
  rpn.disabled = kind !== 'custom';
  render();
  const dlg = el('dialog', {class: 'aggdialog', 'aria-label': 'Aggregate'},
    el('h2', {}, 'Aggregate'),
    el('table', {class: 'plots'}, el('thead', {}, el('tr', {}, el('th', {}, 'Variable'), el('th', {}, 'Series'), el('th', {}))), body),
    picker((s) => { members.push({series: s, vname: 'v' + members.length}); render(); recheck(); },
      (all) => { for (const s of all) members.push({series: s, vname: 'v' + members.length}); render(); recheck(); }),
    el('div', {class: 'row'}, radio('average', 'Average'), radio('total', 'Total'), radio('custom', 'Custom (RRD RPN)')),
    rpn, check,
    el('div', {class: 'row'}, el('span', {class: 'spacer'}),
      el('button', {type: 'button', onclick: () => dlg.close()}, 'Cancel'),
      el('button', {type: 'button', class: 'primary', id: 'agg-ok', onclick: () => {
        if (!members.length) { check.textContent = 'add at least one series'; return; }
        const out = members.map((m) => m.series).join('|') + '||' + [kind, ...members.map((m) => m.vname)].join('|') + '||' + (kind === 'custom' ? rpn.value : '');
        dlg.close();
        done(out);
      }}, 'OK')));
  showModal(dlg);
  recheck();
}

/**
 * The trace-log chart's instance menu (customer, then group or host, then
 * instance or one of a group's pool entries), from get_instances.json.
 */
export function instanceDialog(params, done) {
  const customer = el('select', {'aria-label': 'Customer', id: 'inst-customer'});
  const group = el('select', {'aria-label': 'Group or host', id: 'inst-group'});
  const entry = el('select', {'aria-label': 'Instance', id: 'inst-entry', size: 8});
  const msg = el('p', {class: 'muted'});
  let menu = [];
  const fill = (sel, items) => sel.replaceChildren(...items.map(([label], k) => el('option', {value: String(k)}, label)));
  const groups = () => menu[Number(customer.value)]?.[1] || [];
  const entries = () => groups()[Number(group.value)]?.[1] || [];
  customer.addEventListener('change', () => { fill(group, groups()); fill(entry, entries()); });
  group.addEventListener('change', () => fill(entry, entries()));
  const ok = el('button', {type: 'button', class: 'primary', id: 'inst-ok', onclick: () => {
    const e = entries()[Number(entry.value)];
    if (!e) { msg.textContent = 'Pick an instance'; msg.classList.add('error'); return; }
    dlg.close();
    done({...params, instance: e[1]});
  }}, 'Show');
  entry.addEventListener('dblclick', () => ok.click());
  const dlg = el('dialog', {class: 'instancedialog', 'aria-label': 'Instance'},
    el('h2', {}, 'Instance'),
    el('div', {class: 'row'}, customer, group), entry, msg,
    el('div', {class: 'row'}, el('span', {class: 'spacer'}), el('button', {type: 'button', onclick: () => dlg.close()}, 'Cancel'), ok));
  showModal(dlg);
  api('get_instances.json').then((r) => {
    menu = r.customers;
    if (!menu.length) { msg.textContent = 'No instances yet: the trace-log collector has stored none.'; return; }
    fill(customer, menu);
    // start at the chart's own instance, if it is in the menu
    menu.forEach(([, gs], c) => gs.forEach(([, es], g) => es.forEach(([, spec], k) => {
      if (spec === params.instance) { customer.value = String(c); fill(group, groups()); group.value = String(g); fill(entry, entries()); entry.value = String(k); }
    })));
    if (!group.options.length) { fill(group, groups()); fill(entry, entries()); }
  }).catch((e) => { msg.textContent = e.message; msg.classList.add('error'); });
}

/** The Save dialog: a name of mine, with confirmation before overwriting. */
export function saveDialog(charts) {
  const name = el('input', {type: 'text', pattern: '[0-9a-zA-Z_.\\-]+', required: true, value: page.mine ? page.page : '', 'aria-label': 'Page name'});
  const msg = el('p', {class: 'muted'}, 'Letters, digits, _ . and -');
  const go = async (overwrite) => {
    if (!name.checkValidity()) { msg.textContent = 'Letters, digits, _ . and - only'; msg.classList.add('error'); return; }
    try {
      const r = await api('save.json', {method: 'POST', body: {name: name.value, overwrite: overwrite ? 'y' : '', charts}});
      if (r.exists) {
        msg.textContent = `You already have a page called ${name.value}.`;
        msg.classList.add('error');
        ok.textContent = 'Overwrite';
        ok.onclick = () => go(true);
        return;
      }
      location.href = new URL(r.url, location.href).href;
    } catch (e) { msg.textContent = e.message; msg.classList.add('error'); }
  };
  const ok = el('button', {type: 'button', class: 'primary', id: 'save-ok', onclick: () => go(false)}, 'Save');
  const dlg = el('dialog', {class: 'savedialog', 'aria-label': 'Save'},
    el('h2', {}, 'Save page as'), el('label', {}, 'Name ', name), msg,
    el('div', {class: 'row'}, el('span', {class: 'spacer'}), el('button', {type: 'button', onclick: () => dlg.close()}, 'Cancel'), ok));
  showModal(dlg);
}
