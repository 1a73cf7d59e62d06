// EdgeOCR web page: upload an image to POST /v1/ocr, draw the detected boxes over it, show the
// text, per-line confidence, extracted fields and raw JSON, and browse the archive (/v1/records).
// Plain browser JavaScript, no build step.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const KEY_STORAGE = 'edgeocr.apiKey';
  const LOW_CONFIDENCE = 0.6;
  const MID_CONFIDENCE = 0.85;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const state = {
    lastFile: null,      // the File last uploaded, for "Run again"
    result: null,        // the OCR JSON shown now
    imageUrl: null,      // object URL of the image shown now
    pendingRetry: null,  // what to redo after the user enters an API key
    recordId: null,
  };

  // ---------- HTTP ----------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // Served on the page-only port (serve --web-port), the page is told where the API is.
  const API_BASE = (document.querySelector('meta[name="edgeocr-api"]') || {}).content || '';

  function authHeaders() {
    const key = sessionStorage.getItem(KEY_STORAGE);
    return key ? { Authorization: 'Bearer ' + key } : {};
  }

  // Fetches `url`; returns the Response when ok, else throws ApiError built from the JSON error
  // envelope {"error": {"code", "message"}} (or the status text when the body is not JSON).
  async function request(url, options = {}) {
    let response;
    try {
      response = await fetch(API_BASE + url, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
    } catch (e) {
      throw new ApiError(0, 'network_error', 'Could not reach the server: ' + e.message);
    }
    if (response.ok) return response;
    let code = 'http_' + response.status;
    let message = response.statusText || 'Request failed';
    try {
      const body = await response.json();
      if (body && body.error) {
        code = body.error.code || code;
        message = body.error.message || message;
      }
    } catch (_) { /* not JSON: keep the status text */ }
    if (response.status === 429 || response.status === 503) {
      const retry = response.headers.get('Retry-After');
      if (retry) message += ` (try again in ${retry} s)`;
    }
    throw new ApiError(response.status, code, message);
  }

  // ---------- status, errors, auth ----------

  function setStatus(text, busy = false) {
    const el = $('status');
    el.textContent = text;
    el.classList.toggle('busy', busy);
  }

  function showError(err) {
    const box = $('error');
    box.replaceChildren();
    if (!err) {
      box.hidden = true;
      return;
    }
    const code = document.createElement('code');
    code.textContent = err.status ? `${err.status} ${err.code}` : err.code || 'error';
    const msg = document.createElement('span');
    msg.textContent = err.status === 501
      ? err.message + ' — plain OCR still works: clear the instruction and the receipt option.'
      : err.message;
    box.append(code, msg);
    box.hidden = false;
  }

  function askForKey(retry) {
    state.pendingRetry = retry;
    $('auth-form').hidden = false;
    $('api-key').focus();
  }

  // Runs `action` (an upload or opening a record); shows its error in the main error box, and on
  // 401 asks for an API key and remembers to run it again afterwards.
  async function guarded(action) {
    try {
      showError(null);
      return await action();
    } catch (err) {
      if (!(err instanceof ApiError)) err = new ApiError(0, 'error', String(err && err.message || err));
      if (err.status === 401) askForKey(action);
      showError(err);
      setStatus('');
      return undefined;
    }
  }

  $('auth-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('api-key').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('api-key').value = '';
    $('auth-form').hidden = true;
    const retry = state.pendingRetry;
    state.pendingRetry = null;
    showError(null);
    loadHistory();
    if (retry) guarded(retry);
  });

  // ---------- upload ----------

  function uploadFile(file) {
    if (!file) return;
    if (file.type && !file.type.startsWith('image/')) {
      showError(new ApiError(0, 'unsupported_type', `"${file.name}" is not an image (${file.type}).`));
      return;
    }
    state.lastFile = file;
    $('rerun').disabled = false;
    guarded(async () => {
      const form = new FormData();
      form.append('file', file, file.name || 'image');
      const instruction = $('instruction').value.trim();
      if (instruction) form.append('instruction', instruction);
      if ($('schema-receipt').checked) form.append('schema', 'receipt');
      setStatus(`Reading ${file.name || 'image'}…`, true);
      const started = performance.now();
      const response = await request('/v1/ocr', { method: 'POST', body: form });
      const result = await response.json();
      const ms = Math.round(performance.now() - started);
      showResult(result, file, { recordId: result.record_id, createdAt: null });
      const n = (result.lines || []).length;
      setStatus(`${n} line${n === 1 ? '' : 's'} found in ${ms} ms.`);
      loadHistory();
    });
  }

  const dropZone = $('drop-zone');
  dropZone.addEventListener('click', () => $('file-input').click());
  dropZone.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      $('file-input').click();
    }
  });
  ['dragenter', 'dragover'].forEach((type) => dropZone.addEventListener(type, (e) => {
    e.preventDefault();
    dropZone.classList.add('dragging');
  }));
  ['dragleave', 'dragend'].forEach((type) => dropZone.addEventListener(type, () => dropZone.classList.remove('dragging')));
  dropZone.addEventListener('drop', (e) => {
    e.preventDefault();
    dropZone.classList.remove('dragging');
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) uploadFile(file);
  });
  // A drop outside the zone must not navigate away from the page.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());

  for (const id of ['file-input', 'camera-input']) {
    $(id).addEventListener('change', (e) => {
      uploadFile(e.target.files[0]);
      e.target.value = '';  // choosing the same file again fires change again
    });
  }
  $('upload-form').addEventListener('submit', (e) => {
    e.preventDefault();
    if (state.lastFile) uploadFile(state.lastFile);
  });

  // ---------- result rendering ----------

  function confidenceClass(c) {
    if (typeof c !== 'number') return 'mid';
    if (c < LOW_CONFIDENCE) return 'low';
    if (c < MID_CONFIDENCE) return 'mid';
    return 'high';
  }

  function setImage(blob) {
    if (state.imageUrl) URL.revokeObjectURL(state.imageUrl);
    state.imageUrl = blob ? URL.createObjectURL(blob) : null;
    const img = $('preview');
    if (state.imageUrl) {
      img.src = state.imageUrl;
      $('stage').hidden = false;
    } else {
      img.removeAttribute('src');
      $('stage').hidden = true;
    }
  }

  // The overlay is an SVG whose viewBox is the image's pixel size, stretched over the displayed
  // image, so boxes given in image pixels stay aligned at any displayed size.
  function drawBoxes(result) {
    const svg = $('overlay');
    svg.replaceChildren();
    const img = $('preview');
    const width = result.width || img.naturalWidth;
    const height = result.height || img.naturalHeight;
    if (!width || !height) return;
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    (result.lines || []).forEach((line, i) => {
      if (!Array.isArray(line.box) || line.box.length < 3) return;
      const poly = document.createElementNS(SVG_NS, 'polygon');
      poly.setAttribute('points', line.box.map((p) => `${p[0]},${p[1]}`).join(' '));
      poly.setAttribute('class', 'box ' + (confidenceClass(line.confidence) === 'low' ? 'low' : ''));
      poly.dataset.index = String(i);
      const title = document.createElementNS(SVG_NS, 'title');
      title.textContent = line.text;
      poly.append(title);
      svg.append(poly);
    });
  }

  function highlight(index, on) {
    const poly = $('overlay').querySelector(`polygon[data-index="${index}"]`);
    if (poly) poly.classList.toggle('hot', on);
  }

  function renderLines(result) {
    const body = $('lines-body');
    body.replaceChildren();
    (result.lines || []).forEach((line, i) => {
      const tr = document.createElement('tr');
      const num = document.createElement('td');
      num.textContent = String(i + 1);
      const text = document.createElement('td');
      text.textContent = line.text;
      const conf = document.createElement('td');
      const badge = document.createElement('span');
      const cls = confidenceClass(line.confidence);
      badge.className = 'conf ' + cls;
      badge.textContent = typeof line.confidence === 'number' ? (line.confidence * 100).toFixed(1) + ' %' : '–';
      if (cls === 'low') badge.title = 'Low confidence: check this line';
      conf.append(badge);
      tr.append(num, text, conf);
      tr.addEventListener('mouseenter', () => highlight(i, true));
      tr.addEventListener('mouseleave', () => highlight(i, false));
      body.append(tr);
    });
    if (!body.children.length) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = 3;
      td.textContent = 'No text found.';
      tr.append(td);
      body.append(tr);
    }
  }

  function fieldValue(value) {
    if (value === null || value === undefined) return document.createTextNode('—');
    if (Array.isArray(value) && value.length && typeof value[0] === 'object') {
      // A list of objects (receipt items): a small table.
      const keys = [...new Set(value.flatMap((v) => Object.keys(v || {})))];
      const table = document.createElement('table');
      table.className = 'items';
      const head = table.createTHead().insertRow();
      keys.forEach((k) => {
        const th = document.createElement('th');
        th.scope = 'col';
        th.textContent = k;
        head.append(th);
      });
      const body = table.createTBody();
      value.forEach((v) => {
        const row = body.insertRow();
        keys.forEach((k) => {
          const cell = row.insertCell();
          const x = v ? v[k] : undefined;
          cell.textContent = x === undefined || x === null ? '' : (typeof x === 'object' ? JSON.stringify(x) : String(x));
        });
      });
      return table;
    }
    if (typeof value === 'object') {
      // {value, confidence, ...} as produced by the extractor: show the value and its confidence.
      if ('value' in value) {
        const span = document.createElement('span');
        span.textContent = value.value === null ? '—' : String(value.value);
        if (typeof value.confidence === 'number') {
          const badge = document.createElement('span');
          badge.className = 'conf ' + confidenceClass(value.confidence);
          badge.textContent = (value.confidence * 100).toFixed(0) + ' %';
          span.append(' ', badge);
        }
        return span;
      }
      return document.createTextNode(JSON.stringify(value));
    }
    return document.createTextNode(String(value));
  }

  function renderFields(result) {
    const out = $('fields-out');
    out.replaceChildren();
    const fields = result.fields;
    const tab = $('tab-fields');
    if (!fields || typeof fields !== 'object') {
      tab.hidden = true;
      return;
    }
    tab.hidden = false;
    const dl = document.createElement('dl');
    dl.className = 'fields';
    for (const [key, value] of Object.entries(fields)) {
      const dt = document.createElement('dt');
      dt.textContent = key;
      const dd = document.createElement('dd');
      dd.append(fieldValue(value));
      dl.append(dt, dd);
    }
    if (!dl.children.length) out.textContent = 'No fields found.';
    else out.append(dl);
  }

  function showResult(result, imageBlob, meta) {
    state.result = result;
    state.recordId = meta.recordId || null;
    $('empty').hidden = true;
    $('result').hidden = false;
    $('text-out').textContent = result.text || '';
    $('json-out').textContent = JSON.stringify(result, null, 2);
    const parts = [];
    if (meta.recordId) parts.push('record ' + meta.recordId);
    if (meta.createdAt) parts.push(new Date(meta.createdAt).toLocaleString());
    $('record-meta').textContent = parts.join(' · ');
    const t = result.timings_ms || {};
    $('caption').textContent = [
      result.width && result.height ? `${result.width} × ${result.height} px` : '',
      `${(result.lines || []).length} lines`,
      typeof t.total === 'number' ? `${Math.round(t.total)} ms` : '',
    ].filter(Boolean).join(' · ');
    renderLines(result);
    renderFields(result);
    selectTab(result.fields && typeof result.fields === 'object' ? 'tab-fields' : 'tab-text');
    setImage(imageBlob);
    const img = $('preview');
    if (imageBlob && !img.complete) img.onload = () => drawBoxes(result);
    drawBoxes(result);
    markCurrentHistoryItem();
  }

  // ---------- tabs ----------

  const tabs = ['tab-text', 'tab-lines', 'tab-fields', 'tab-json'];
  function selectTab(id) {
    for (const t of tabs) {
      const on = t === id;
      const tab = $(t);
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      $(tab.getAttribute('aria-controls')).hidden = !on;
    }
  }
  tabs.forEach((t) => {
    $(t).addEventListener('click', () => selectTab(t));
    $(t).addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const visible = tabs.filter((x) => !$(x).hidden);
      const at = visible.indexOf(t);
      const next = visible[(at + (e.key === 'ArrowRight' ? 1 : visible.length - 1)) % visible.length];
      selectTab(next);
      $(next).focus();
    });
  });

  // ---------- copy / download ----------

  $('copy-text').addEventListener('click', async () => {
    const text = $('text-out').textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      // Clipboard API needs a secure context; fall back to selecting the text for Ctrl+C.
      const range = document.createRange();
      range.selectNodeContents($('text-out'));
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      document.execCommand && document.execCommand('copy');
    }
    setStatus('Text copied.');
  });

  $('download-json').addEventListener('click', () => {
    if (!state.result) return;
    const blob = new Blob([JSON.stringify(state.result, null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = (state.recordId ? 'edgeocr-' + state.recordId : 'edgeocr-result') + '.json';
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });

  // ---------- history ----------

  function markCurrentHistoryItem() {
    for (const b of $('history').querySelectorAll('button')) {
      b.setAttribute('aria-current', String(b.dataset.id === state.recordId));
    }
  }

  // The history reports its own errors under its search box, so that a refresh never hides the
  // error of an upload; only a 401 goes to the main error box and the sign-in form.
  async function loadHistory() {
    const q = $('history-q').value.trim();
    const url = '/v1/records?limit=20' + (q ? '&q=' + encodeURIComponent(q) : '');
    $('history-status').textContent = 'Loading…';
    let page;
    try {
      page = await (await request(url)).json();
    } catch (err) {
      if (err.status === 401) {
        if (!state.pendingRetry) askForKey(null);
        showError(err);
      }
      $('history-status').textContent = 'History unavailable: ' + (err.message || err);
      return;
    }
    const list = $('history');
    list.replaceChildren();
    for (const r of page.records || []) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.dataset.id = r.id;
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = r.created_at ? new Date(r.created_at).toLocaleString() : r.id;
      const snippet = document.createElement('span');
      snippet.className = 'snippet';
      const text = (r.text || '').replace(/\s+/g, ' ').trim();
      snippet.textContent = text ? text.slice(0, 80) : '(no text)';
      b.append(when, snippet);
      b.setAttribute('aria-label', `${when.textContent}: ${snippet.textContent}`);
      b.addEventListener('click', () => openRecord(r.id));
      li.append(b);
      list.append(li);
    }
    const total = typeof page.total === 'number' ? page.total : list.children.length;
    $('history-status').textContent = list.children.length
      ? `${list.children.length} of ${total} record${total === 1 ? '' : 's'}` + (q ? ` matching “${q}”` : '')
      : (q ? `No records match “${q}”.` : 'No records yet.');
    markCurrentHistoryItem();
  }

  function openRecord(id) {
    return guarded(async () => {
      setStatus('Loading record…', true);
      const record = await (await request('/v1/records/' + encodeURIComponent(id))).json();
      let blob = null;
      if (record.image_url) {
        try {
          blob = await (await request(record.image_url)).blob();
        } catch (e) {
          if (e.status === 401) throw e;
          blob = null;  // the record has no stored image: show the text anyway
        }
      }
      const result = record.result && typeof record.result === 'object' ? { ...record.result } : { text: record.text };
      if (record.fields && !result.fields) result.fields = record.fields;
      showResult(result, blob, { recordId: record.id, createdAt: record.created_at });
      setStatus('');
    });
  }

  $('history-form').addEventListener('submit', (e) => {
    e.preventDefault();
    loadHistory();
  });
  let searchTimer = null;
  $('history-q').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadHistory, 300);
  });

  // Boxes follow the image when the layout changes (the SVG scales with it; nothing to redo),
  // but an image that finishes loading late may need its natural size for the viewBox.
  $('preview').addEventListener('load', () => { if (state.result) drawBoxes(state.result); });

  $('tab-fields').hidden = true;
  loadHistory();
})();
