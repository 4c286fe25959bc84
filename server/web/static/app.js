// soundsearch page: listen to and compare the results of up to four spaces.
// Plain JavaScript over the HTTP/JSON API (docs/http.md); no build step.
'use strict';

const $ = (id) => document.getElementById(id);
const state = { spaces: [], labels: new Map(), recorder: null };

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : String(c));
  return node;
}

function authHeaders() {
  const token = sessionStorage.getItem('soundsearch-token');
  return token ? { Authorization: 'Bearer ' + token } : {};
}

// Calls the API; throws an Error with the server's message on a JSON error.
async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { ...authHeaders(), ...(options.headers || {}) },
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (response.status === 401 || response.status === 403) {
    $('token-form').hidden = false;
  }
  if (!response.ok) {
    const message = body && body.error ? body.error.message : response.statusText;
    throw new Error(`${response.status}: ${message}`);
  }
  return body;
}

// <audio> and <img> cannot send a header: the token goes in the query.
function mediaUrl(id, what) {
  const token = sessionStorage.getItem('soundsearch-token');
  return `/api/sounds/${id}/${what}` +
      (token ? `?access_token=${encodeURIComponent(token)}` : '');
}

// AP@n of a ranking (docs/evaluation.md): sum of precision@k over relevant
// ranks k <= n, over min(n, relevant sounds in the collection).
function averagePrecision(relevance, n, numRelevant) {
  if (numRelevant <= 0) return null;
  let hits = 0, sum = 0;
  relevance.slice(0, n).forEach((rel, k) => {
    if (rel) { hits += 1; sum += hits / (k + 1); }
  });
  return sum / Math.min(n, numRelevant);
}

function relevantCount(labels, queryId) {
  const ids = new Set();
  for (const l of labels) for (const id of state.labels.get(l) || []) ids.add(id);
  if (queryId) ids.delete(queryId);
  return ids.size;
}

function selectedSpaces() {
  const boxes = [...document.querySelectorAll('#spaces input:checked')];
  return boxes.map((b) => b.value);
}

function k() { return Math.max(1, Math.min(100, Number($('k').value) || 15)); }

// Runs `request(space)` for each selected space and shows the columns.
async function runQuery(describe, request, queryLabels = [], queryId = null) {
  showError('');
  $('query-info').textContent = describe;
  const spaces = selectedSpaces();
  if (spaces.length === 0) { showError('Choose at least one space.'); return; }
  const columns = $('columns');
  columns.replaceChildren();
  try {
    const answers = await Promise.all(spaces.map((s) => request(s)));
    answers.forEach((answer, i) => columns.append(column(spaces[i], answer, queryLabels, queryId)));
    if (answers.every((a) => a.results.length === 0)) showError('No results.');
  } catch (e) {
    showError(e.message);
  }
}

function column(space, answer, queryLabels, queryId) {
  const shared = new Set(queryLabels);
  const relevance = answer.results.map((r) => r.sound.labels.some((l) => shared.has(l)));
  const heading = el('h2', {}, space);
  if (queryLabels.length > 0) {
    const ap = averagePrecision(relevance, 15, relevantCount(queryLabels, queryId));
    if (ap !== null) heading.append(' ', el('span', { class: 'ap' }, `AP@15 ${ap.toFixed(3)}`));
  }
  const list = el('ol');
  answer.results.forEach((r, rank) => list.append(resultRow(r, rank, shared)));
  return el('div', { class: 'column', 'data-space': space }, heading, list);
}

function resultRow(r, rank, shared) {
  const s = r.sound;
  const audio =
      el('audio',
         {controls: '', preload: 'metadata', src: mediaUrl(r.id, 'preview')});
  const more = el('button', { type: 'button', class: 'more',
    onclick: () => queryById(r.id, s) }, 'More like this');
  const labels = s.labels.map((l) => el('span', { class: 'chip label' + (shared.has(l) ? ' shared' : '') }, l));
  const tags = s.tags.map((t) => el('span', { class: 'chip tag' }, t));
  return el(
      'li', {class: 'result', 'data-id': r.id},
      el('div', {},
         el('span', {class: 'name'},
            `${rank + 1}. ${s.name || s.source || 'sound ' + r.id}`),
         ' ', el('span', {class: 'score'}, r.score.toFixed(3)), ' ', more),
      audio, el('img', {
        class: 'waveform',
        alt: '',
        src: mediaUrl(r.id, 'waveform.png'),
        loading: 'lazy'
      }),
      el('div', {}, ...labels, ...tags));
}

function queryByFile(blob, name) {
  const type = blob.type || 'application/octet-stream';
  return runQuery(`Sounds like ${name}`, (space) => api(
    `/api/query?k=${k()}&space=${encodeURIComponent(space)}`,
    { method: 'POST', body: blob, headers: { 'Content-Type': type } }));
}

function queryById(id, sound) {
  return runQuery(`More like ${sound.name || 'sound ' + id} (${sound.labels.join(', ')})`,
    (space) => api(`/api/query?id=${id}&k=${k()}&space=${encodeURIComponent(space)}`),
    sound.labels, id);
}

function queryByText(text) {
  return runQuery(`Text: ${text}`, (space) => api(
    `/api/search?text=${encodeURIComponent(text)}&k=${k()}&space=${encodeURIComponent(space)}`));
}

async function queryRandomOfLabel(label) {
  const ids = state.labels.get(label) || [];
  if (ids.length === 0) { showError(`No sound carries ${label}.`); return; }
  const id = ids[Math.floor(Math.random() * ids.length)];
  try {
    const sound = await api(`/api/sounds/${id}`);
    await queryById(id, sound);
  } catch (e) { showError(e.message); }
}

async function loadCatalogue() {
  state.labels.clear();
  let token = '';
  for (let page = 0; page < 20; page++) {
    const answer = await api(`/api/sounds?page_size=1000${token ? '&page_token=' + encodeURIComponent(token) : ''}`);
    for (const s of answer.sounds) {
      for (const l of s.labels) {
        if (!state.labels.has(l)) state.labels.set(l, []);
        state.labels.get(l).push(s.id);
      }
    }
    token = answer.next_page_token;
    if (!token) break;
  }
  const select = $('label');
  select.replaceChildren(...[...state.labels.keys()].sort().map((l) => el('option', { value: l }, l)));
}

async function loadSpaces() {
  const answer = await api('/api/spaces');
  state.spaces = answer.spaces;
  const box = $('spaces');
  box.querySelectorAll('label').forEach((n) => n.remove());
  answer.spaces.forEach((s, i) => {
    const input = el('input', { type: 'checkbox', value: s.name, id: 'space-' + i });
    if (i === 0) input.checked = true;
    input.addEventListener('change', () => {
      if (selectedSpaces().length > 4) { input.checked = false; showError('At most four spaces side by side.'); }
    });
    box.append(el('label', { for: 'space-' + i }, input, ' ', s.name));
  });
}

function wireSearchPage() {
  $('file').addEventListener('change', (e) => {
    const f = e.target.files[0];
    if (f) queryByFile(f, f.name);
  });
  const drop = $('drop');
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.target === drop) $('file').click(); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) queryByFile(f, f.name);
  });
  $('text-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('text').value.trim();
    if (text) queryByText(text); else showError('Type some words first.');
  });
  $('label-form').addEventListener('submit', (e) => {
    e.preventDefault();
    queryRandomOfLabel($('label').value);
  });
  $('record').addEventListener('click', toggleRecording);
}

async function toggleRecording() {
  const button = $('record');
  if (state.recorder) { state.recorder.stop(); return; }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const chunks = [];
    const recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      state.recorder = null;
      button.textContent = 'Record';
      button.setAttribute('aria-pressed', 'false');
      queryByFile(new Blob(chunks, { type: recorder.mimeType }), 'the recording');
    };
    recorder.start();
    state.recorder = recorder;
    button.textContent = 'Stop and search';
    button.setAttribute('aria-pressed', 'true');
  } catch (e) {
    showError('Cannot record: ' + e.message);
  }
}

function fmt(x) { return typeof x === 'number' ? x.toFixed(3) : '–'; }

async function showCollection() {
  $('search-page').hidden = true;
  $('collection-page').hidden = false;
  try {
    const [stats, spaces, evaluation] = await Promise.all([
      api('/api/stats'), api('/api/spaces'), api('/api/evaluation')]);
    $('stats').replaceChildren(el('h2', {}, 'Collection'),
      el('p', { id: 'sound-count' }, `${stats.sounds} sounds, ${Number(stats.total_duration_seconds).toFixed(1)} s of audio, version ${stats.version}`));
    const rows = spaces.spaces.map((s) => el('tr', {}, el('td', {}, s.name), el('td', {}, s.encoder),
      el('td', {}, s.index_type), el('td', { class: 'num' }, s.index_dim), el('td', { class: 'num' }, s.vectors)));
    $('space-table').replaceChildren(el('h2', {}, 'Spaces'), el('table', { id: 'spaces-table' },
      el('tr', {}, ...['space', 'encoder', 'index', 'dim', 'sounds'].map((h) => el('th', {}, h))), ...rows));
    const evals = [el('h2', {}, 'Latest evaluation')];
    if (evaluation.spaces.length === 0) evals.push(el('p', {}, 'No space has been evaluated yet (soundsearch evaluate).'));
    for (const e of evaluation.spaces) {
      const lb = e.label_based || {};
      evals.push(el('h3', {}, e.space),
        el('p', { class: 'eval-summary' }, `MAP@15 ${fmt(lb.map_at_15)} · MAP@150 ${fmt(lb.map_at_150)} · MR1 ${fmt(lb.mr1)} over ${e.sounds} sounds`));
      const labelRows = e.labels.map((l) => el('tr', {}, el('td', {}, l.label), el('td', { class: 'num' }, l.sounds),
        el('td', { class: 'num' }, fmt((l.scores || {}).map_at_15)), el('td', { class: 'num' }, fmt((l.scores || {}).map_at_150)),
        el('td', { class: 'num' }, fmt((l.scores || {}).mr1))));
      evals.push(el('table', {}, el('tr', {}, ...['label', 'sounds', 'MAP@15', 'MAP@150', 'MR1'].map((h) => el('th', {}, h))), ...labelRows));
    }
    $('evaluations').replaceChildren(...evals);
    await showJobs();
  } catch (e) { showError(e.message); }
}

async function showJobs() {
  const answer = await api('/api/jobs');
  const rows = answer.jobs.map((j) => el('tr', {}, el('td', {}, j.job_id), el('td', {}, j.state),
    el('td', {}, el('progress', { max: Number(j.total) || 1, value: Number(j.processed) })),
    el('td', { class: 'num' }, `${j.processed}/${j.total}`), el('td', { class: 'num' }, j.failed)));
  $('jobs').replaceChildren(el('h2', {}, 'Manifest jobs'), answer.jobs.length === 0
    ? el('p', {}, 'No manifest job in this server process.')
    : el('table', {}, el('tr', {}, ...['job', 'state', 'progress', 'rows', 'failed'].map((h) => el('th', {}, h))), ...rows));
  if (answer.jobs.some((j) => j.state === 'RUNNING')) setTimeout(() => showJobs().catch(() => {}), 2000);
}

async function start() {
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem('soundsearch-token', $('token').value);
    location.reload();
  });
  if (location.pathname === '/collection') { await showCollection(); return; }
  wireSearchPage();
  try {
    await loadSpaces();
    await loadCatalogue();
  } catch (e) { showError(e.message); }
}

start();
