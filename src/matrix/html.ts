/**
 * `nflab matrix --html FILE`: the grid as one self-contained page (no network:
 * styles, script and data are inline). Rows sort by clicking a heading, a
 * text box filters destinations, another filters sources, a menu keeps only
 * cells with a given result; clicking a cell shows its result, server, deciding
 * rule and its first packet's trace.
 */
import type { CellResult } from './cell.js';
import { destinationText } from './destinations.js';
import type { MatrixPlan } from './matrix.js';
import { describeStep, matrixHeading, reached } from './render.js';

export interface HtmlCell {
  /** Indices into sources and destinations. */
  f: number;
  d: number;
  result: string;
  /** The grid's symbol (as in the text grid's legend). */
  sym: string;
  server: string | null;
  sees: string | null;
  decided: string;
  trace: string;
}

function symbolOf(c: CellResult): string {
  if (reached(c)) return c.decided_by ? '*' : '+';
  return { refused: 'R', timeout: 'T', unreachable: 'U', 'no-route': 'N' }[c.result] ?? '?';
}

/** JSON that can sit inside a <script> element: no `</script>` or `<!--` can appear in it. */
function scriptJson(x: unknown): string {
  return JSON.stringify(x)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

export function renderMatrixHtml(title: string, plan: MatrixPlan, cells: CellResult[]): string {
  const dests = plan.to.map((d) => ({ to: destinationText(d), why: d.why, addr: d.addr, port: d.port }));
  const fromIx = new Map(plan.from.map((f, i) => [f, i]));
  const toIx = new Map(dests.map((d, i) => [d.to, i]));
  const data: HtmlCell[] = cells.map((c) => ({
    f: fromIx.get(c.from)!,
    d: toIx.get(c.to)!,
    result: c.result,
    sym: symbolOf(c),
    server: c.server,
    sees: c.server_sees,
    decided: c.decided_by ? describeStep(c.decided_by) : 'no rule decided (routing or the socket table did)',
    trace: c.trace ?? '',
  }));
  const heading = matrixHeading(title, plan);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(heading)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em; color: #222; }
h1 { font-size: 1.1em; }
.controls { display: flex; gap: 1em; flex-wrap: wrap; margin-bottom: .6em; }
.controls label { display: flex; gap: .4em; align-items: center; }
.wrap { display: flex; gap: 1em; align-items: flex-start; }
.grid { overflow: auto; max-height: 80vh; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 2px 6px; }
th { background: #f4f4f4; cursor: pointer; position: sticky; top: 0; white-space: nowrap; }
th.src { writing-mode: vertical-rl; transform: rotate(180deg); }
td.dest, td.why { font-family: ui-monospace, monospace; white-space: nowrap; }
td.cell { text-align: center; font-family: ui-monospace, monospace; cursor: pointer; min-width: 1.4em; }
td.ok { background: #d8f5d0; } td.nat { background: #c8e8ff; } td.bad { background: #ffd6d6; } td.odd { background: #ffe9b3; }
td.dim { opacity: .15; }
td.sel { outline: 2px solid #000; }
#detail { flex: 1; min-width: 24em; }
#detail pre { background: #f8f8f8; padding: .6em; overflow: auto; max-height: 60vh; }
.legend { color: #555; margin: .4em 0; }
</style>
</head>
<body>
<h1 id="heading">${escapeHtml(heading)}</h1>
<div class="legend">+ reached · * reached through DNAT/REDIRECT · R refused · T timeout (dropped) · U unreachable (ICMP error) · N no route · ? unsettled or other. Click a heading to sort, a cell for its trace.</div>
<div class="controls">
<label>destinations <input id="filter-dest" type="search" placeholder="address, port or reason"></label>
<label>sources <input id="filter-src" type="search" placeholder="node name"></label>
<label>result <select id="filter-result"><option value="">any</option><option value="reached">reached</option><option value="not-reached">not reached</option></select></label>
<span id="count"></span>
</div>
<div class="wrap">
<div class="grid"><table id="grid"><thead></thead><tbody></tbody></table></div>
<div id="detail"><p>Click a cell.</p></div>
</div>
<script type="application/json" id="matrix-data">${scriptJson({ sources: plan.from, dests, cells: data })}</script>
<script>
${SCRIPT}
</script>
</body>
</html>
`;
}

/** The page's behaviour; plain DOM, no library. */
const SCRIPT = String.raw`
const data = JSON.parse(document.getElementById('matrix-data').textContent);
const byPos = new Map(data.cells.map((c, i) => [c.d * data.sources.length + c.f, i]));
const cellAt = (d, f) => { const i = byPos.get(d * data.sources.length + f); return i === undefined ? null : data.cells[i]; };
const reachedSym = (s) => s === '+' || s === '*';
const cls = (s) => (s === '+' ? 'ok' : s === '*' ? 'nat' : s === 'T' || s === 'R' || s === 'U' || s === 'N' ? 'bad' : 'odd');
const results = [...new Set(data.cells.map((c) => c.result))].sort();
const sel = document.getElementById('filter-result');
for (const r of results) { const o = document.createElement('option'); o.value = 'r:' + r; o.textContent = r; sel.appendChild(o); }
let order = data.dests.map((_, i) => i);
let sortKey = null, sortDir = 1, selected = null;

function text(tag, t, attrs) { const e = document.createElement(tag); e.textContent = t; for (const k in attrs || {}) e.setAttribute(k, attrs[k]); return e; }

function sortBy(key) {
  sortDir = sortKey === key ? -sortDir : 1;
  sortKey = key;
  const rank = (s) => '+*RTUN?'.indexOf(s);
  order.sort((a, b) => {
    let x;
    if (key === 'dest') x = data.dests[a].addr - data.dests[b].addr || data.dests[a].port - data.dests[b].port;
    else if (key === 'why') x = data.dests[a].why.localeCompare(data.dests[b].why);
    else { const ca = cellAt(a, key), cb = cellAt(b, key); x = rank(ca ? ca.sym : '?') - rank(cb ? cb.sym : '?'); }
    return x * sortDir || a - b;
  });
  draw();
}

function matches(c, want) {
  if (!want) return true;
  if (want === 'reached') return reachedSym(c.sym);
  if (want === 'not-reached') return !reachedSym(c.sym);
  return 'r:' + c.result === want;
}

function draw() {
  const fd = document.getElementById('filter-dest').value.trim().toLowerCase();
  const fs = document.getElementById('filter-src').value.trim().toLowerCase();
  const want = sel.value;
  const cols = data.sources.map((s, i) => i).filter((i) => !fs || data.sources[i].toLowerCase().includes(fs));
  const head = document.querySelector('#grid thead');
  head.replaceChildren();
  const hr = document.createElement('tr');
  const th = (label, key, extra) => { const e = text('th', label + (sortKey === key ? (sortDir > 0 ? ' ▲' : ' ▼') : ''), extra); e.dataset.sort = key; e.onclick = () => sortBy(key); hr.appendChild(e); };
  th('destination', 'dest', {});
  for (const i of cols) th(data.sources[i], i, { class: 'src', title: data.sources[i] });
  th('why', 'why', {});
  head.appendChild(hr);
  const body = document.querySelector('#grid tbody');
  body.replaceChildren();
  let shown = 0, rows = 0;
  for (const d of order) {
    const dest = data.dests[d];
    if (fd && !(dest.to + ' ' + dest.why).toLowerCase().includes(fd)) continue;
    const tr = document.createElement('tr');
    tr.appendChild(text('td', dest.to, { class: 'dest' }));
    let any = false;
    for (const f of cols) {
      const c = cellAt(d, f);
      const td = text('td', c ? c.sym : '', { class: 'cell' });
      if (c) {
        const ok = matches(c, want);
        any = any || ok;
        td.classList.add(cls(c.sym));
        if (!ok) td.classList.add('dim');
        else shown++;
        td.title = data.sources[f] + ' → ' + dest.to + ': ' + c.result;
        td.dataset.from = data.sources[f];
        td.dataset.to = dest.to;
        td.onclick = () => show(c, td);
        if (selected === c) td.classList.add('sel');
      }
      tr.appendChild(td);
    }
    tr.appendChild(text('td', dest.why, { class: 'why' }));
    if (want && !any) continue;
    body.appendChild(tr);
    rows++;
  }
  document.getElementById('count').textContent = shown + ' cells in ' + rows + ' rows';
}

function show(c, td) {
  selected = c;
  for (const e of document.querySelectorAll('td.sel')) e.classList.remove('sel');
  td.classList.add('sel');
  const d = document.getElementById('detail');
  d.replaceChildren();
  d.appendChild(text('h2', data.sources[c.f] + ' → ' + data.dests[c.d].to));
  const dl = document.createElement('dl');
  const row = (k, v) => { dl.appendChild(text('dt', k)); dl.appendChild(text('dd', v)); };
  row('result', c.result);
  row('server', c.server || 'none');
  row('server sees', c.sees || '-');
  row('decided by', c.decided);
  d.appendChild(dl);
  d.appendChild(text('h3', 'first packet'));
  d.appendChild(text('pre', c.trace || '(not recorded)', { id: 'trace' }));
}

for (const id of ['filter-dest', 'filter-src']) document.getElementById(id).addEventListener('input', draw);
sel.addEventListener('change', draw);
draw();
`;
