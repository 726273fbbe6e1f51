// The Metrics tab's charts (Dashboard/README.md; a module loaded after dashboard.js on /apps/APP/metrics):
//  - uPlot (npm "uplot", embedded in the executable; its hashed URL is the page's data-uplot) draws three charts from
//    the JSON API's /v1/apps/APP/metrics/chart (the page's data-chart): requests, answers by status class, p50/p95/p99;
//  - a change of the range or the service/route picker fetches again (htmx brings the tables from the same form), and
//    the address keeps the choice, so a reload or a shared link shows the same; every 30 s the charts follow.
// The CSP holds: uPlot writes CSSOM properties only (el.style.width = ...), never a style attribute or a <style>
// element; nothing here does either. The charts are aria-hidden: their numbers are in the tables under them.

const colours = { requests: '#0b4f6c', '2xx': '#1a7f37', '3xx': '#0b4f6c', '4xx': '#9a6700', '5xx': '#b02a37' };
const dashes = { '2xx': [], '3xx': [8, 4], '4xx': [2, 3], '5xx': [10, 3, 2, 3] };

/** Per minute from a count per step (the last step may still be running: it shows what it has so far). */
function perMinute(counts, stepSeconds) {
  return counts.map((n) => n / (stepSeconds / 60));
}

function seriesOf(kind) {
  // Latency has gaps (a step without requests has none), so its points are drawn: a lone step still shows.
  const line = (label, stroke, dash) => ({ label, stroke, width: 2, dash, points: { show: kind === 'latency', size: 5 }, spanGaps: false });
  switch (kind) {
    case 'requests':
      return [line('Requests per minute', colours.requests, [])];
    case 'statuses':
      return ['2xx', '3xx', '4xx', '5xx'].map((c) => line(c, colours[c], dashes[c]));
    default:
      return [line('p50 ms', '#1a7f37', []), line('p95 ms', '#9a6700', [8, 4]), line('p99 ms', '#b02a37', [2, 3])];
  }
}

function dataOf(kind, data) {
  switch (kind) {
    case 'requests':
      return [data.times, perMinute(data.requests, data.stepSeconds)];
    case 'statuses':
      return [data.times, ...['2xx', '3xx', '4xx', '5xx'].map((c) => perMinute(data.statuses[c] ?? data.times.map(() => 0), data.stepSeconds))];
    default:
      return [data.times, data.p50Ms, data.p95Ms, data.p99Ms];
  }
}

function say(text) {
  const status = document.getElementById('metrics-status');
  if (status) {
    status.textContent = text;
  }
}

async function start(root) {
  const { default: uPlot } = await import(root.dataset.uplot);
  const form = document.getElementById('metrics-view');
  const charts = new Map();
  let latest = 0;

  const size = (element) => ({ width: Math.max(200, element.clientWidth), height: 200 });

  function draw(data) {
    for (const element of root.querySelectorAll('.chart[data-kind]')) {
      const kind = element.dataset.kind;
      const values = dataOf(kind, data);
      const chart = charts.get(kind);
      if (chart) {
        chart.setData(values);
      } else {
        charts.set(kind, new uPlot({
          ...size(element),
          series: [{}, ...seriesOf(kind)],
          axes: [{}, { size: 56 }],
          scales: { y: { range: (u, min, max) => [0, Math.max(max ?? 0, kind === 'latency' ? 1 : 0.1) * 1.1] } },
          legend: { live: false },
          cursor: { drag: { x: false, y: false } },
        }, values, element));
      }
      // What the tests (and a curious person in the inspector) read: how many requests the chart was drawn from.
      element.dataset.requests = String(data.totals.requests);
      element.dataset.steps = String(data.times.length);
    }
  }

  async function load() {
    const mine = ++latest;
    const since = form.elements.since;
    const [service, ...route] = form.elements.series.value.split(' ');
    const url = new URL(root.dataset.chart, location.href);
    url.searchParams.set('since', since.value);
    url.searchParams.set('points', since.selectedOptions[0]?.dataset.points ?? '60');
    if (service) {
      url.searchParams.set('service', service);
    }
    if (route.length > 0) {
      url.searchParams.set('route', route.join(' '));
    }
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (response.status === 401) {
        location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
        return;
      }
      if (!response.ok) {
        say(`The charts could not be drawn: the platform answered ${response.status}.`);
        return;
      }
      const data = await response.json();
      if (mine === latest) {
        draw(data);
        say(`The charts show ${data.totals.requests} requests; the tables under them list the numbers.`);
      }
    } catch {
      say('The platform did not answer; the charts show what they had.');
    }
  }

  form.addEventListener('change', () => {
    const query = new URLSearchParams(new FormData(form));
    history.replaceState(null, '', `${location.pathname}?${query}`);
    load();
  });
  new ResizeObserver(() => {
    for (const element of root.querySelectorAll('.chart[data-kind]')) {
      charts.get(element.dataset.kind)?.setSize(size(element));
    }
  }).observe(root);
  setInterval(() => {
    if (!document.hidden) {
      load();
    }
  }, 30_000);
  await load();
}

const root = document.getElementById('metrics');
if (root) {
  start(root);
}
