// pitr-warden dashboard: plain browser JavaScript, no build step. Every value reaches the page through textContent or
// attributes (never innerHTML): tag values are anyone's text. Views live in the URL hash (#clones?owner=...).
(function () {
  'use strict';

  const base = 'dashboard/';
  const state = { summary: null, charts: {}, clonesQuery: null, generatedAt: null };

  // ---- small DOM helpers -------------------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of children) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const $ = (id) => document.getElementById(id);
  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
    // Labels for the phone layout, where a row reads as a card.
    const headers = [...tbody.parentElement.tHead.rows[0].cells].map((th) =>
      th.textContent.replace(/[↕↑↓]/g, '').trim(),
    );
    for (const tr of tbody.rows)
      [...tr.cells].forEach((td, i) => td.colSpan === 1 && td.setAttribute('data-label', headers[i] || ''));
  }
  function emptyRow(columns, message) {
    return el('tr', {}, el('td', { colspan: columns, class: 'note' }, message));
  }

  // ---- formatting -----------------------------------------------------------------------------------------------------
  let currency = 'USD';
  function money(n) {
    if (n === undefined || n === null) return '—';
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency,
      maximumFractionDigits: n >= 1000 ? 0 : 2,
    }).format(n);
  }
  function utc(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  }
  function day(iso) {
    return iso ? String(iso).slice(0, 10) : '—';
  }
  function badge(text, kind) {
    return el('span', { class: 'badge ' + String(kind || text).replace(/[^a-z-]/gi, '') }, text);
  }
  function cloneLink(row) {
    return el('a', { href: '#clone/' + encodeURIComponent(row.key) }, row.name);
  }
  function setCommand(name, command) {
    for (const node of document.querySelectorAll('code[data-command="' + name + '"]')) node.textContent = command || '';
  }

  // ---- data -------------------------------------------------------------------------------------------------------------
  async function getJson(path, params) {
    const query = params ? '?' + new URLSearchParams(params).toString() : '';
    const response = await fetch(base + 'data/' + path + query, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error((await response.text()) || response.status + ' ' + response.statusText);
    const data = await response.json();
    if (data.generatedAt) state.generatedAt = data.generatedAt;
    return data;
  }
  function say(message, isError) {
    const status = $('status');
    status.textContent = message;
    status.classList.toggle('error', Boolean(isError));
  }

  // ---- routing ----------------------------------------------------------------------------------------------------------
  function route() {
    const hash = location.hash.slice(1) || 'overview';
    const [path, query] = hash.split('?');
    const [view, ...rest] = path.split('/');
    return {
      view: view || 'overview',
      arg: rest.length ? decodeURIComponent(rest.join('/')) : '',
      params: new URLSearchParams(query || ''),
    };
  }
  async function show() {
    const r = route();
    const known = document.querySelector('section[data-view="' + CSS.escape(r.view) + '"]') ? r.view : 'overview';
    for (const section of document.querySelectorAll('main > section')) section.hidden = section.dataset.view !== known;
    for (const link of document.querySelectorAll('nav[aria-label="Views"] a')) {
      if (link.getAttribute('href') === '#' + known) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    try {
      await views[known](r);
      say('Data as of ' + utc(state.generatedAt) + ' (read from the inventory tables)');
    } catch (error) {
      say('Could not load ' + known + ': ' + error.message, true);
    }
  }

  // ---- views ------------------------------------------------------------------------------------------------------------
  async function loadSummary(fresh) {
    state.summary = await getJson('summary', fresh ? { fresh: '1' } : undefined);
    currency = state.summary.cost.currency || 'USD';
    fillFilterOptions(state.summary.counts);
    return state.summary;
  }

  function card(value, label, href, tone) {
    return el(
      'a',
      { class: 'card' + (tone ? ' ' + tone : ''), href },
      el('span', { class: 'value' }, value),
      el('span', { class: 'label' }, label),
    );
  }

  function countTable(title, counts) {
    const id = 'b-' + title.toLowerCase().replace(/\W+/g, '-');
    return el(
      'div',
      { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-labelledby': id },
      el(
        'table',
        {},
        el('caption', { id }, title),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el(
              'th',
              { scope: 'col' },
              title.replace(/^Clones by (.)/, (_, c) => c.toUpperCase()),
            ),
            el('th', { scope: 'col', class: 'num' }, 'Clones'),
          ),
        ),
        el(
          'tbody',
          {},
          ...(counts.length ? counts : [{ value: '(none)', count: 0 }])
            .slice(0, 12)
            .map((c) => el('tr', {}, el('td', {}, c.value), el('td', { class: 'num' }, c.count))),
        ),
      ),
    );
  }

  const views = {
    async overview() {
      const s = state.summary || (await loadSummary());
      const unhealthy = !s.health.healthy;
      $('cards').replaceChildren(
        card(s.counts.clones, 'clones (of ' + s.counts.servers + ' servers seen)', '#clones'),
        card(money(s.cost.perDay), 'per day, estimated', '#cost'),
        card(money(s.cost.toDate), 'to date, estimated', '#cost'),
        card(s.expiring, 'expiring within 14 days', '#expiring', s.expiring ? 'bad' : ''),
        card(s.review, 'waiting for review', '#review', s.review ? 'bad' : ''),
        card(unhealthy ? 'Unhealthy' : 'Healthy', 'jobs and queues', '#health', unhealthy ? 'bad' : 'ok'),
        card(s.drills, 'restore drills', '#drills'),
      );
      $('breakdowns').replaceChildren(
        countTable('Clones by state', s.counts.byState),
        countTable('Clones by engine', s.counts.byEngine),
        countTable('Clones by proof', s.counts.byProof),
        countTable('Clones by owner', s.counts.byOwner),
      );
      setCommand('summary', s.command);
    },

    async clones(r) {
      if (!state.summary) await loadSummary();
      const params = Object.fromEntries(r.params);
      const form = $('filters');
      for (const name of ['owner', 'state', 'engine', 'proof', 'text']) form.elements[name].value = params[name] || '';
      form.elements.scope.checked = params.scope === 'all';
      const data = await getJson('clones', params);
      state.clonesQuery = params;
      const tbody = $('clones-table').tBodies[0];
      fill(
        tbody,
        data.items.length
          ? data.items.map((row) =>
              el(
                'tr',
                {},
                el('td', {}, cloneLink(row)),
                el('td', {}, row.owner || '—'),
                el('td', {}, badge(row.state)),
                el('td', { class: 'optional' }, row.engine),
                el('td', {}, row.proof ? badge(row.proof) : badge(row.classification, 'unknown')),
                el('td', { class: 'optional' }, row.reason || '—'),
                el(
                  'td',
                  {},
                  row.expiresOn
                    ? day(row.expiresOn)
                    : row.expiresOnInvalid
                      ? 'not understood: ' + row.expiresOnInvalid
                      : '—',
                ),
                el('td', { class: 'num' }, row.costUnknown ? 'unknown' : money(row.costPerDay)),
                el('td', { class: 'num optional' }, money(row.costToDate)),
              ),
            )
          : [emptyRow(9, 'No clones match these filters.')],
      );
      $('clones-count').textContent = data.total + (data.total === 1 ? ' server' : ' servers') + ' match';
      $('page-info').textContent = 'Page ' + data.page + ' of ' + data.pages;
      $('prev').disabled = data.page <= 1;
      $('next').disabled = data.page >= data.pages;
      $('prev').dataset.page = String(data.page - 1);
      $('next').dataset.page = String(data.page + 1);
      for (const th of $('clones-table').tHead.rows[0].cells) {
        const key = th.dataset.sort;
        if (!key) continue;
        th.setAttribute(
          'aria-sort',
          params.sort === key ? (params.dir === 'desc' ? 'descending' : 'ascending') : 'none',
        );
      }
      const csvParams = new URLSearchParams(params);
      csvParams.delete('page');
      csvParams.delete('pageSize');
      $('inventory-csv').setAttribute(
        'href',
        base + 'export/inventory.csv' + (csvParams.toString() ? '?' + csvParams : ''),
      );
      setCommand('clones', data.command);
    },

    async cost() {
      const data = await getJson('cost');
      currency = data.currency || currency;
      $('cost-totals').replaceChildren(
        card(money(data.perDay), 'per day for the clones that run', '#cost'),
        card(money(data.toDate), 'to date, all clones', '#cost'),
        card(data.unknown, 'clones without a known price', '#clones'),
      );
      const sources = data.priceSources.map(
        (p) => (p.kind === 'price-table' ? 'the price table of ' : 'the Retail Prices API as of ') + day(p.asOf),
      );
      $('cost-note').textContent =
        'Estimate at pay-as-you-go list prices (compute and storage; backup not included), from ' +
        (sources.length ? sources.join(', ') : 'no prices yet') +
        '.';
      fill(
        $('cost-days').tBodies[0],
        data.series.map((d) =>
          el(
            'tr',
            {},
            el('td', {}, d.day),
            el('td', { class: 'num' }, money(d.cost)),
            el('td', { class: 'num' }, money(d.cumulative)),
          ),
        ),
      );
      fill(
        $('cost-owners').tBodies[0],
        data.byOwner.length
          ? data.byOwner.map((o) =>
              el(
                'tr',
                {},
                el('td', {}, o.owner),
                el('td', { class: 'num' }, o.clones),
                el('td', { class: 'num' }, money(o.perDay)),
                el('td', { class: 'num' }, money(o.toDate)),
              ),
            )
          : [emptyRow(4, 'No priced clones.')],
      );
      const canvas = $('cost-chart');
      canvas.setAttribute(
        'aria-label',
        'Estimated cost of clones per day over ' +
          data.series.length +
          ' days; ' +
          money(data.perDay) +
          ' today; the table below has the figures.',
      );
      draw('cost', canvas, {
        type: 'bar',
        data: {
          labels: data.series.map((d) => d.day),
          datasets: [
            {
              type: 'bar',
              label: 'Cost that day',
              data: data.series.map((d) => d.cost),
              backgroundColor: '#0a58ca',
              yAxisID: 'y',
            },
            {
              type: 'line',
              label: 'Cumulative since ' + (data.series.length ? data.series[0].day : '—'),
              data: data.series.map((d) => d.cumulative),
              borderColor: '#cf222e',
              backgroundColor: '#cf222e',
              pointRadius: 0,
              yAxisID: 'y1',
            },
          ],
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          scales: {
            y: { beginAtZero: true, title: { display: true, text: currency + ' per day' } },
            y1: {
              beginAtZero: true,
              position: 'right',
              grid: { drawOnChartArea: false },
              title: { display: true, text: 'cumulative' },
            },
          },
        },
      });
      setCommand('cost', data.command);
    },

    async expiring() {
      const data = await getJson('expiring');
      fill(
        $('expiring-table').tBodies[0],
        data.items.length
          ? data.items.map((row) =>
              el(
                'tr',
                {},
                el('td', {}, cloneLink(row)),
                el('td', {}, row.owner || '—'),
                el('td', {}, row.expiresOn ? day(row.expiresOn) : row.expiresOnInvalid || '—'),
                el('td', {}, row.note),
                el('td', { class: 'num' }, money(row.costPerDay)),
              ),
            )
          : [emptyRow(5, 'Nothing expires in the next 14 days.')],
      );
      setCommand('expiring', data.command);
    },

    async review() {
      const data = await getJson('review');
      fill(
        $('review-table').tBodies[0],
        data.items.length
          ? data.items.map((row) =>
              el(
                'tr',
                {},
                el('td', {}, cloneLink(row)),
                el('td', {}, row.owner || '—'),
                el('td', {}, badge(row.proof || row.classification, row.proof || 'suspected')),
                el('td', {}, el('code', {}, row.confirm)),
                el('td', {}, el('code', {}, row.dismiss)),
              ),
            )
          : [emptyRow(5, 'Nothing waits for review.')],
      );
      setCommand('review', data.command);
    },

    async health() {
      const data = await getJson('health');
      $('health-verdict').replaceChildren(
        badge(data.healthy ? 'healthy' : 'unhealthy', data.healthy ? 'ok' : 'stale'),
        ' as of ' + utc(data.now),
      );
      $('health-problems').replaceChildren(...[...data.problems, ...data.warnings].map((p) => el('li', {}, p)));
      fill(
        $('jobs-table').tBodies[0],
        data.jobs.map((j) =>
          el(
            'tr',
            {},
            el('td', {}, j.job),
            el('td', {}, badge(j.status)),
            el('td', {}, utc(j.lastStartedAt)),
            el('td', {}, utc(j.lastSucceededAt)),
            el('td', { class: 'optional' }, utc(j.dueBy)),
            el('td', { class: 'optional' }, j.detail),
          ),
        ),
      );
      fill(
        $('queues-table').tBodies[0],
        [data.queues.events, data.queues.poison].map((q) =>
          el('tr', {}, el('td', {}, q.name), el('td', { class: 'num' }, q.depth === null ? 'no queue' : q.depth)),
        ),
      );
      setCommand('health', data.command);
    },

    async drills() {
      const data = await getJson('drills');
      $('drills-empty').hidden = data.recent.length > 0;
      fill(
        $('drills-table').tBodies[0],
        data.recent.length
          ? data.recent.map((d) =>
              el(
                'tr',
                {},
                el('td', {}, utc(d.requestedAt)),
                el('td', {}, d.sourceName),
                el('td', {}, badge(d.outcome)),
                el('td', { class: 'num' }, d.minutesToReady ?? '—'),
                el('td', { class: 'num' }, d.minutesToValidated ?? '—'),
                el('td', { class: 'num optional' }, d.sizeGb ?? '—'),
              ),
            )
          : [emptyRow(6, 'No restore drills recorded yet.')],
      );
      const palette = ['#0a58ca', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#57606a'];
      draw('drills', $('drill-chart'), {
        type: 'line',
        data: {
          datasets: data.trends.map((t, i) => {
            const points = t.points.filter((p) => p.minutesToReady !== undefined);
            return {
              label: t.source,
              data: points.map((p) => ({ x: Date.parse(p.at), y: p.minutesToReady })),
              // A drill that did not pass is a cross, so the trend shows where it went wrong.
              pointStyle: points.map((p) => (p.outcome === 'passed' ? 'circle' : 'crossRot')),
              pointRadius: points.map((p) => (p.outcome === 'passed' ? 3 : 7)),
              borderColor: palette[i % palette.length],
              backgroundColor: palette[i % palette.length],
            };
          }),
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          parsing: false,
          scales: {
            x: { type: 'linear', ticks: { callback: (v) => new Date(v).toISOString().slice(5, 16).replace('T', ' ') } },
            y: { beginAtZero: true, title: { display: true, text: 'minutes to Ready' } },
          },
        },
      });
      setCommand('drills', data.command);
    },

    async clone(r) {
      const data = await getJson('clone', { server: r.arg });
      const s = data.server;
      $('h-clone').textContent = s.name;
      const facts = [
        ['Resource id', s.id],
        ['State', s.state],
        ['Classification', s.classification + (s.proof ? ' (' + s.proof + ')' : '')],
        ['Engine', s.engine],
        ['Owner', (s.owner || '—') + (s.ownerSource ? ' (from ' + s.ownerSource + ')' : '')],
        ['Reason', s.reason || '—'],
        [
          'Expires',
          s.expiresOn ? utc(s.expiresOn) : s.expiresOnInvalid ? 'not understood: ' + s.expiresOnInvalid : '—',
        ],
        ['Restored from', s.lineage.sourceServerId || '—'],
        ['Restore point', utc(s.lineage.restorePointUtc)],
        ['Restored by', s.lineage.restoredBy || '—'],
        ['Created', utc(s.createdAt)],
        [
          'Cost',
          s.costUnknown
            ? s.costUnknown
            : money(s.costPerDay) + ' per day, ' + money(s.costToDate) + ' to date (estimate)',
        ],
        ['Compliance', s.compliant ? 'compliant' : s.violationDetails.map((v) => v.rule + ': ' + v.detail).join('; ')],
        [
          'Notices sent',
          s.noticesSent.length
            ? s.noticesSent.map((n) => n.stage + ' ' + day(n.sentAt) + ' to ' + n.to).join('; ')
            : 'none',
        ],
      ];
      $('clone-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
      const tags = Object.entries(s.tags || {});
      fill(
        $('clone-tags').tBodies[0],
        tags.length ? tags.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v))) : [emptyRow(2, 'No tags.')],
      );
      $('timeline').replaceChildren(
        ...(data.timeline.length
          ? data.timeline.map((e) =>
              el(
                'li',
                {},
                el('time', { datetime: e.at }, utc(e.at)),
                el('span', { class: 'kind' }, e.kind),
                el('span', {}, e.summary),
                e.reason ? el('div', { class: 'note' }, 'Why: ' + e.reason) : null,
                el('div', { class: 'note' }, 'by ' + e.actor),
              ),
            )
          : [el('li', {}, 'No evidence recorded.')]),
      );
      $('evidence-csv').setAttribute('href', base + 'export/evidence.csv?' + new URLSearchParams({ server: s.key }));
      setCommand('clone', data.command);
    },
  };

  function draw(name, canvas, config) {
    if (typeof Chart === 'undefined') return;
    if (state.charts[name]) state.charts[name].destroy();
    state.charts[name] = new Chart(canvas, config);
  }

  // ---- filters, sorting, paging ---------------------------------------------------------------------------------------
  function fillFilterOptions(counts) {
    const options = { owner: counts.byOwner, state: counts.byState, engine: counts.byEngine, proof: counts.byProof };
    for (const [name, list] of Object.entries(options)) {
      const select = $('f-' + name);
      const chosen = select.value;
      const first = select.options[0];
      select.replaceChildren(
        first,
        ...list.map((c) => el('option', { value: c.value }, c.value + ' (' + c.count + ')')),
      );
      select.value = chosen;
    }
  }
  function goClones(params) {
    const clean = Object.fromEntries(
      Object.entries(params).filter(([, v]) => v !== '' && v !== undefined && v !== null),
    );
    const query = new URLSearchParams(clean).toString();
    location.hash = 'clones' + (query ? '?' + query : '');
  }
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const params = {};
    for (const name of ['owner', 'state', 'engine', 'proof', 'text']) params[name] = form.elements[name].value;
    if (form.elements.scope.checked) params.scope = 'all';
    const current = state.clonesQuery || {};
    if (current.sort) params.sort = current.sort;
    if (current.dir) params.dir = current.dir;
    goClones(params);
  });
  for (const select of document.querySelectorAll('#filters select, #filters input[type="checkbox"]')) {
    select.addEventListener('change', () => $('filters').requestSubmit());
  }
  for (const th of document.querySelectorAll('#clones-table th[data-sort]')) {
    const label = th.textContent;
    const button = el('button', { type: 'button', class: 'sort' }, label);
    th.replaceChildren(button);
    button.addEventListener('click', () => {
      const current = Object.assign({}, state.clonesQuery || {});
      const key = th.dataset.sort;
      current.dir = current.sort === key && current.dir !== 'desc' ? 'desc' : 'asc';
      current.sort = key;
      delete current.page;
      goClones(current);
    });
  }
  for (const id of ['prev', 'next']) {
    $(id).addEventListener('click', (event) =>
      goClones(Object.assign({}, state.clonesQuery || {}, { page: event.currentTarget.dataset.page })),
    );
  }
  $('refresh').addEventListener('click', async () => {
    say('Refreshing…');
    try {
      await loadSummary(true);
      await show();
    } catch (error) {
      say('Could not refresh: ' + error.message, true);
    }
  });
  window.addEventListener('hashchange', () => {
    show().then(() => $('main').focus({ preventScroll: true }));
  });

  show().then(() => {
    document.body.dataset.ready = 'true';
    performance.mark('dashboard-ready');
  });
})();
