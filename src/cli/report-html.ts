/**
 * The `.html` run report of `canvas-sync sync --report FILE.html`: one self-contained page (inline
 * CSS, charts as inline SVG drawn here, no script, nothing fetched when opened) that reads at a
 * glance and prints: status, when, how long, source, output, the key figures, and charts of the
 * bucket level, the requests and throttles per second and the records of each kind.
 *
 * @module
 */
import type { ReportSample, RunReport } from './report.js';

/** One second of a run. */
export type Sample = ReportSample;
/** What the page shows of a run. */
export type ReportFigures = RunReport;
/** Most points a chart of the series draws: a longer run is downsampled, max per bucket. */
export const MAX_CHART_POINTS = 600;
/** A point of a time chart: the `width` seconds from `t`, with the highest figures among them. */
export type ChartPoint = Sample & { width: number };

/**
 * `series` in at most `max` points: consecutive seconds are grouped in equal buckets, each point
 * holding the highest requests, throttles and level of its bucket (null if none reported one),
 * so that no peak disappears.
 */
export function downsample(series: readonly Sample[], max = MAX_CHART_POINTS): ChartPoint[] {
  const size = Math.max(1, Math.ceil(series.length / Math.max(1, max)));
  const points: ChartPoint[] = [];
  for (const [i, s] of series.entries()) {
    const p = points[points.length - 1];
    if (p === undefined || i % size === 0) points.push({ ...s, width: 1 });
    else {
      p.width = s.t - p.t + 1;
      p.requests = Math.max(p.requests, s.requests);
      p.throttled = Math.max(p.throttled, s.throttled);
      if (s.level !== null) p.level = Math.max(p.level ?? s.level, s.level);
    }
  }
  return points;
}

/** `text` safe as HTML text and as a quoted attribute value. */
export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const num = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (ratio: number | null): string => (ratio === null ? '–' : `${num(ratio * 100)} %`);
const px = (n: number): string => String(Math.round(n * 10) / 10);
const when = (iso: string): string => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
function duration(ms: number): string {
  if (ms < 60_000) return ms < 1000 ? `${num(ms)} ms` : `${num(ms / 1000, 1)} s`;
  const s = Math.round(ms / 1000);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return `${h > 0 ? `${h} h ` : ''}${m} min ${s % 60} s`;
}

/** A round step giving about `count` ticks up to `max`, and the axis top (a multiple of it). */
function scale(max: number, count = 5): { step: number; top: number } {
  const raw = Math.max(max, 1) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, ([1, 2, 5].find((f) => raw / mag <= f) ?? 10) * mag);
  return { step, top: Math.max(step, Math.ceil(max / step) * step) };
}
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200];
const timeLabel = (t: number, step: number): string =>
  step < 60 ? `${num(t)} s` : step < 3600 ? `${num(t / 60)} min` : `${num(t / 3600)} h`;
const [W, L, R, T, B] = [1100, 70, 36, 18, 44];

/** An SVG element: numbers rounded to a tenth, strings escaped. */
function el(tag: string, attrs: Record<string, string | number>, content?: string): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${typeof v === 'number' ? px(v) : escapeHtml(v)}"`)
    .join('');
  return content === undefined ? `<${tag}${a}/>` : `<${tag}${a}>${content}</${tag}>`;
}
const text = (x: number, y: number, content: string, anchor = 'middle', cls = 'tick'): string =>
  el('text', { x, y, 'text-anchor': anchor, class: cls }, content);
const line = (cls: string, x1: number, x2: number, y1: number, y2: number): string =>
  el('line', { class: cls, x1, x2, y1, y2 });
const rect = (cls: string, x: number, y: number, width: number, height: number, tip = ''): string =>
  el('rect', { class: cls, x, y, width, height }, tip);
const note = (content: string, y: number): string => text(W / 2, y, content, 'middle', 'note');
const NO_SAMPLES = 'No samples: the run lasted less than a second.';
const svg = (id: string, title: string, desc: string, h: number, body: string): string =>
  `<svg role="img" viewBox="0 0 ${W} ${h}" aria-labelledby="${id}-t ${id}-d">${el('title', { id: `${id}-t` }, escapeHtml(title))}${el('desc', { id: `${id}-d` }, escapeHtml(desc))}${body}</svg>`;
type Chart = { id: string; title: string; desc: string; span: number; yMax: number; y: string };
type Draw = (x: (t: number) => number, y: (v: number) => number, base: number) => string;

/** A chart over the seconds of the run: frame, grid, ticks and axis titles; `draw` the marks. */
function timeChart(o: Chart, h: number, draw: Draw): string {
  const base = h - B;
  const ys = scale(o.yMax);
  const span = Math.max(1, o.span);
  const x = (t: number): number => L + (t / span) * (W - L - R);
  const y = (v: number): number => base - (v / ys.top) * (base - T);
  const parts: string[] = [];
  for (let v = 0; v <= ys.top + 1e-9; v += ys.step) {
    parts.push(line('grid', L, W - R, y(v), y(v)), text(L - 8, y(v) + 4, num(v), 'end'));
  }
  const dt = TIME_STEPS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / 86400) * 86400;
  for (let t = 0; t <= span; t += dt) {
    parts.push(line('axis', x(t), x(t), base, base + 5), text(x(t), base + 20, timeLabel(t, dt)));
  }
  parts.push(line('axis', L, W - R, base, base));
  parts.push(text((L + W - R) / 2, h - 4, 'time since the start', 'middle', 't'));
  const rotate = `translate(16 ${(T + base) / 2}) rotate(-90)`;
  parts.push(el('text', { class: 't', 'text-anchor': 'middle', transform: rotate }, o.y));
  return svg(o.id, o.title, o.desc, h, parts.join('') + draw(x, y, base));
}
function levelChart(report: ReportFigures, points: ChartPoint[]): string {
  const { highWaterMark: hwm, peakLevel: peak } = report.bucket;
  const o: Chart = {
    ...{ id: 'level', span: report.series.length, yMax: Math.max(hwm, peak ?? 0), y: 'level' },
    title: 'Bucket level per second against the high-water mark',
    desc: `Highest level reported each second; high-water mark ${num(hwm)}, peak ${orDash(peak, num)}.`,
  };
  return timeChart(o, 280, (x, y, base) => {
    let [d, dots, open] = ['', '', false];
    for (const p of points) {
      open = open && p.level !== null;
      if (p.level === null) continue;
      const [cx, cy] = [x(p.t + p.width / 2), y(p.level)];
      d += open ? `L${px(cx)} ${px(cy)}` : `M${px(cx)} ${px(cy)}l0 0`;
      if (points.length <= 60) dots += el('circle', { class: 'level', cx, cy, r: 3 });
      open = true;
    }
    const none = 'No level reported: no response carried X-Rate-Limit-Remaining.';
    const empty = d === '' ? note(points.length === 0 ? NO_SAMPLES : none, (T + base) / 2) : '';
    const label = text(W - R - 4, y(hwm) - 6, `high-water mark ${num(hwm)}`, 'end', 'hwm');
    const path = el('path', { class: 'level', d });
    return `${line('hwm', L, W - R, y(hwm), y(hwm))}${label}${path}${dots}${empty}`;
  });
}
function requestChart(series: readonly Sample[], points: ChartPoint[]): string {
  const throttled = series.reduce((sum, p) => sum + p.throttled, 0);
  const most = points.length < series.length ? ' (the most of each bucket)' : '';
  const o: Chart = {
    ...{ id: 'requests', span: series.length, y: 'responses a second' },
    yMax: Math.max(1, ...points.map((p) => p.requests)),
    title: 'Requests and throttled responses per second',
    desc: `Responses received each second${most}; ${num(throttled)} throttled, in orange.`,
  };
  return timeChart(o, 240, (x, y, base) => {
    const bars = points.map((p) => {
      const [x0, x1] = [x(p.t), x(p.t + p.width)];
      const gap = x1 - x0 > 4 ? 1 : 0;
      const [w, top] = [Math.max(0.6, x1 - x0 - gap), y(p.requests)];
      const bar = p.requests === 0 ? '' : rect('req', x0 + gap / 2, top, w, base - top);
      if (p.throttled === 0) return bar;
      const [tw, th] = [Math.max(3, w), Math.max(6, base - y(p.throttled))];
      return bar + rect('thr', (x0 + x1 - tw) / 2, base - th, tw, th);
    });
    return `<g>${bars.join('')}</g>${points.length === 0 ? note(NO_SAMPLES, (T + base) / 2) : ''}`;
  });
}
const KINDS = ['inserted', 'updated', 'unchanged', 'deleted'] as const;
function recordsChart(report: ReportFigures): string {
  const rows = Object.entries(report.records.byKind)
    .map(([kind, c]) => ({ kind, c, total: c.inserted + c.updated + c.unchanged + c.deleted }))
    .sort((a, b) => b.total - a.total || a.kind.localeCompare(b.kind));
  const [left, right, rowH] = [230, 90, 32];
  const h = T + Math.max(1, rows.length) * rowH + 30;
  const xs = scale(Math.max(0, ...rows.map((r) => r.total)));
  const x = (v: number): number => left + (v / xs.top) * (W - left - right);
  if (!rows.length) return svg('records', 'Records per kind', 'None.', h, note('No records.', 40));
  const parts: string[] = [];
  for (let v = 0; v <= xs.top + 1e-9; v += xs.step) {
    parts.push(line('grid', x(v), x(v), T, h - 26), text(x(v), h - 10, num(v)));
  }
  rows.forEach(({ kind, c, total }, i) => {
    const [top, name] = [T + i * rowH + 6, escapeHtml(kind)];
    const label = escapeHtml(kind.length > 30 ? `${kind.slice(0, 29)}…` : kind);
    parts.push(text(left - 10, top + 14, `<title>${name}</title>${label}`, 'end'));
    let at = 0;
    for (const k of KINDS) {
      const [x0, x1, n] = [x(at), x(at + c[k]), num(c[k])];
      at += c[k];
      if (c[k] === 0) continue;
      parts.push(rect(k, x0, top, Math.max(1, x1 - x0), 20, `<title>${name}: ${n} ${k}</title>`));
      if (x1 - x0 > n.length * 7 + 10) parts.push(text((x0 + x1) / 2, top + 14, n, 'middle', 'in'));
    }
    parts.push(text(x(total) + 8, top + 14, num(total), 'start', 'total'));
  });
  const desc = rows.map((r) => `${r.kind}: ${KINDS.map((k) => `${num(r.c[k])} ${k}`).join(', ')}`);
  return svg('records', 'Records per kind', desc.join('; '), h, parts.join(''));
}
const row = (key: string, value: string): string => `<dt>${key}</dt><dd>${value}</dd>`;
const card = (title: string, big: string, rows: string[]): string =>
  `<section class="card"><h3>${title}</h3><p class="big">${big}</p><dl>${rows.join('')}</dl></section>`;
const fill = (cls: string, value: number | null, of: number): string =>
  `<i class="${cls}" style="width:${px(Math.min(100, ((value ?? 0) / of) * 100))}%"></i>`;
const swatch = (c: string, label: string): string => `<span><i class="sw ${c}"></i>${label}</span>`;
const chart = (title: string, legend: string, body: string): string =>
  `<section class="chart"><h2>${title}</h2><p class="legend">${legend}</p>${body}</section>`;
const orDash = (v: number | null, f: (v: number) => string): string => (v === null ? '–' : f(v));
const of = (big: string, small: string): string => `${big} <small>${small}</small>`;
function cards(report: ReportFigures): string {
  const { tasks, records, requests: rq, deadLetters, bucket, throughput: tp } = report;
  const reads = report.submissionReads;
  const reasons = Object.entries(deadLetters.byReason).sort((a, b) => b[1] - a[1]);
  const hwm = bucket.highWaterMark;
  const level = (v: number | null): string => orDash(v, (n) => `${num(n)} (${pct(n / hwm)})`);
  const byKind = KINDS.map((k) => row(swatch(k, k), num(records.total[k])));
  const peak = of(orDash(bucket.peakLevel, num), `peak, of ${num(hwm)}`);
  const meter = fill('pk', bucket.peakLevel, hwm) + fill('mn', bucket.meanLevel, hwm);
  const read = reads ? `${num(reads.whole)} / ${num(reads.since)}` : null;
  const why = reasons.map(([reason, n]) => row(escapeHtml(reason), num(n)));
  return [
    card('Tasks', of(num(tasks.done), `of ${num(tasks.planned)} done`), [
      row('courses', num(report.courses)) + row('skipped (done earlier)', num(tasks.skipped)),
      row('dead-lettered', num(tasks.deadLettered)) + row('left undone', num(tasks.undone)),
      read === null ? '' : row('submissions read whole / since', read),
    ]),
    card('Records', num(KINDS.reduce((sum, k) => sum + records.total[k], 0)), byKind),
    card('Requests', of(num(rq.sent), 'sent'), [
      row('throttled', num(rq.throttled)) + row('retries', num(rq.retries)),
      row('failures', num(rq.failures)) + row('mean latency', orDash(tp.meanLatencyMs, duration)),
    ]),
    card('Dead letters', num(deadLetters.total), why.length ? why : [row('reasons', 'none')]),
    card('Throughput', of(pct(tp.ratioToInFlightBound), 'of the in-flight bound'), [
      row('requests a second', num(tp.requestsPerSecond, 1)),
      row('in-flight bound, requests a second', orDash(tp.inFlightBound, num)),
      row('cost a second', num(tp.costPerSecond, 1)),
      row('of the outflow (10 a second)', pct(tp.ratioToOutflow)),
    ]),
    card('Bucket', `${peak}<span class="meter">${meter}</span>`, [
      row(swatch('pk', 'peak level'), level(bucket.peakLevel)),
      row(swatch('mn', 'mean level'), level(bucket.meanLevel)),
      row('high-water mark', num(hwm)),
    ]),
  ].join('\n');
}
const label = (s: string): string => (s.charAt(0).toUpperCase() + s.slice(1)).replace('-', ' ');
const CSS = `*{box-sizing:border-box}body{margin:0;background:#f5f6f8;color:#1d2430;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-print-color-adjust:exact;print-color-adjust:exact}
main{max-width:1160px;margin:0 auto;padding:24px 20px 40px}header{display:flex;flex-wrap:wrap;align-items:center;gap:8px 16px;margin-bottom:6px}h1{font-size:24px;margin:0}h2{font-size:17px;margin:0 0 8px}h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#5b6577;margin:0}
.status{padding:3px 12px;border-radius:999px;font-weight:600;color:#fff}.done{background:#15803d}.dead-letters{background:#b45309}.failed{background:#b91c1c}.interrupted{background:#6d28d9}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0 18px;color:#3b4453}.meta dt{color:#5b6577}.meta dd{margin:0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;margin-bottom:18px}.card,.chart{background:#fff;border:1px solid #dde1e7;border-radius:10px;padding:12px 16px;break-inside:avoid}
.big{font-size:28px;font-weight:650;margin:2px 0 6px;font-variant-numeric:tabular-nums}.card dl{display:grid;grid-template-columns:1fr auto;gap:1px 12px;margin:0}.card dd{margin:0;text-align:right;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}.card dt{color:#5b6577;overflow-wrap:anywhere}
.meter{position:relative;display:block;height:10px;background:#e6e9ee;border-radius:5px;margin:6px 0 6px}.meter i{position:absolute;left:0;top:0;height:100%;border-radius:5px}.pk{background:#93b4f5}.mn{background:#1d4ed8}
.chart{margin-bottom:14px}svg{display:block;width:100%;height:auto}svg text{font-size:12px;fill:#4b5563}svg text.t{font-size:12px;fill:#1d2430}svg text.note{font-size:15px;fill:#6b7280}
.grid{stroke:#e6e9ee}.axis{stroke:#6b7280}.hwm{stroke:#dc2626;stroke-width:2;stroke-dasharray:8 5}text.hwm{fill:#b91c1c;stroke:none;font-weight:600}path.level{fill:none;stroke:#2563eb;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round}circle.level{fill:#2563eb}.req{fill:#93b4f5}.thr{fill:#ea580c}
.inserted{fill:#16a34a;background:#16a34a}.updated{fill:#2563eb;background:#2563eb}.unchanged{fill:#9ca3af;background:#9ca3af}.deleted{fill:#dc2626;background:#dc2626}text.in{fill:#fff;font-weight:600}text.total{fill:#1d2430;font-weight:600}
.legend{margin:0 0 6px;color:#3b4453;font-size:13px}.legend span{margin-right:16px;white-space:nowrap}i.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-1px}.big small{font-size:14px;font-weight:400;color:#5b6577}
i.req{background:#93b4f5}i.thr{background:#ea580c}i.level{background:#2563eb;height:3px;vertical-align:3px}i.hwm{border-top:2px dashed #dc2626;height:0;vertical-align:3px}@media print{body{background:#fff}main{max-width:none;padding:0}.card,.chart{border-color:#bbb}}@media (max-width:800px){.cards{grid-template-columns:1fr}}`;

/**
 * The report as one self-contained HTML page: inline CSS and SVG only, no script, no external
 * asset; every string that comes from the report is escaped, every number formatted with
 * thousands separators. The series is drawn in at most {@link MAX_CHART_POINTS} points.
 */
export function renderReportHtml(report: ReportFigures): string {
  const e = escapeHtml;
  const points = downsample(report.series);
  const { pageViews: pv, requests: rq, status } = report;
  const signal = report.interruptedBy ? ` (${e(report.interruptedBy)})` : '';
  const resumed = report.resumed ? ', resumed an interrupted run' : '';
  const views = pv ? `${e(when(pv.startTime))} → ${e(when(pv.endTime))}` : 'none synced';
  const meta = [
    row('When', `${e(when(report.startedAt))} → ${e(when(report.endedAt))}`),
    row('How long', `${duration(report.elapsedMs)}, exit code ${report.exitCode}${resumed}`),
    row('Source', `${e(report.source.kind)} <code>${e(report.source.origin)}</code>`),
    row('Output', `<code>${e(report.output)}</code>`) + row('Page views', views),
  ];
  const level = swatch('level', 'highest level in the second') + swatch('hwm', 'high-water mark');
  const reqs = swatch('req', `responses (${num(rq.sent)} sent)`) + swatch('thr', 'throttled');
  const title = `canvas-sync run report: ${label(status)}, ${when(report.startedAt)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${e(title)}</title><style>${CSS}</style></head><body><main>
<header><h1>canvas-sync sync</h1><span class="status ${status}">${label(status)}${signal}</span><span>canvas-sync ${e(report.tool.version)}</span></header>
<dl class="meta">${meta.join('')}</dl>
<div class="cards">${cards(report)}</div>
${chart('Bucket level', level, levelChart(report, points))}
${chart('Requests per second', reqs, requestChart(report.series, points))}
${chart('Records per kind', KINDS.map((k) => swatch(k, k)).join(''), recordsChart(report))}
</main></body></html>
`;
}
