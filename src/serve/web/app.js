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

  // ---------- language ----------

  const LANG_STORAGE = 'edgeocr.lang';
  const TEXT = {
    en: {
      tagline: 'Text recognition on this machine', language: 'Language', takePhoto: 'Take photo',
      scanTitle: 'Scan an image', dropMain: 'Drop an image here',
      dropHelp: 'or choose one below (PNG, JPEG, WebP, BMP, TIFF)', chooseFile: 'Choose file…',
      extraction: 'Extraction (optional)', receiptFields: 'Receipt fields (merchant, date, items, total)',
      instruction: 'Instruction', instructionHint: 'e.g. 提取总金额 / extract the total amount', runAgain: 'Run again',
      signIn: 'Sign in', needsKey: 'This server needs an API key.', apiKey: 'API key', useKey: 'Use key',
      result: 'Result', emptyResult: 'No image yet. Upload one or pick a record from the history.',
      tabText: 'Text', tabLines: 'Lines', tabFields: 'Fields', copyText: 'Copy text', colText: 'Text',
      colConfidence: 'Confidence', downloadJson: 'Download JSON', history: 'History',
      searchArchive: 'Search the archive', searchHint: 'Search text…', from: 'From', to: 'To', search: 'Search',
      exportCsv: 'Export CSV', previous: 'Previous', next: 'Next', loading: 'Loading…',
      noRecords: 'No records yet.', noMatch: 'No records match the filter.',
      shown: (first, last, total) => `${first}–${last} of ${total} records`,
      pageOf: (page, pages) => `Page ${page} of ${pages}`,
      historyUnavailable: 'History unavailable: ', noText: '(no text)', deleteRecord: 'Delete',
      confirmDelete: (what) => `Delete this record?\n\n${what}\n\nThe image and its text are removed from this machine.`,
      deleted: 'Record deleted.', exported: () => 'CSV exported.', reading: (name) => `Reading ${name}…`,
      found: (n, ms) => `${n} line${n === 1 ? '' : 's'} found in ${ms} ms.`, lines: (n) => `${n} lines`,
      loadingRecord: 'Loading record…', copied: 'Text copied.', noTextFound: 'No text found.',
      noFields: 'No fields found.', lowConfidence: 'Low confidence: check this line', notImage: (name, type) => `"${name}" is not an image (${type}).`,
      plainStillWorks: ' — plain OCR still works: clear the instruction and the receipt option.',
      unreachable: 'Could not reach the server: ', image: 'Uploaded image',
    },
    zh: {
      tagline: '在本机识别文字', language: '语言', takePhoto: '拍照',
      scanTitle: '识别图片', dropMain: '把图片拖到这里',
      dropHelp: '或在下面选择（PNG、JPEG、WebP、BMP、TIFF）', chooseFile: '选择文件…',
      extraction: '信息提取（可选）', receiptFields: '小票字段（商户、日期、商品、合计）',
      instruction: '指令', instructionHint: '例如：提取总金额', runAgain: '重新识别',
      signIn: '登录', needsKey: '此服务器需要 API 密钥。', apiKey: 'API 密钥', useKey: '使用密钥',
      result: '结果', emptyResult: '还没有图片。请上传一张，或从历史记录中选择。',
      tabText: '文字', tabLines: '逐行', tabFields: '字段', copyText: '复制文字', colText: '文字',
      colConfidence: '置信度', downloadJson: '下载 JSON', history: '历史记录',
      searchArchive: '搜索记录', searchHint: '搜索文字…', from: '从', to: '到', search: '搜索',
      exportCsv: '导出 CSV', previous: '上一页', next: '下一页', loading: '加载中…',
      noRecords: '还没有记录。', noMatch: '没有符合条件的记录。',
      shown: (first, last, total) => `第 ${first}–${last} 条，共 ${total} 条`,
      pageOf: (page, pages) => `第 ${page} / ${pages} 页`,
      historyUnavailable: '历史记录不可用：', noText: '（无文字）', deleteRecord: '删除',
      confirmDelete: (what) => `删除这条记录？\n\n${what}\n\n图片和文字将从本机删除。`,
      deleted: '记录已删除。', exported: () => '已导出 CSV。', reading: (name) => `正在识别 ${name}…`,
      found: (n, ms) => `识别出 ${n} 行，用时 ${ms} 毫秒。`, lines: (n) => `${n} 行`,
      loadingRecord: '正在加载记录…', copied: '已复制文字。', noTextFound: '没有识别到文字。',
      noFields: '没有找到字段。', lowConfidence: '置信度低：请核对这一行', notImage: (name, type) => `“${name}”不是图片（${type}）。`,
      plainStillWorks: '——普通识别仍可用：清空指令并取消小票选项。',
      unreachable: '无法连接服务器：', image: '上传的图片',
    },
  };
  // Readable names of extracted fields (receipt schema and common instruction fields).
  const FIELD_LABELS = {
    company: ['Merchant', '商户'], merchant: ['Merchant', '商户'], address: ['Address', '地址'],
    date: ['Date', '日期'], time: ['Time', '时间'], total: ['Total', '合计'], total_amount: ['Total amount', '总金额'],
    subtotal: ['Subtotal', '小计'], tax: ['Tax', '税额'], phone: ['Phone', '电话'], tax_id: ['Tax ID', '税号'],
    payment_method: ['Payment method', '支付方式'], items: ['Items', '商品明细'], invoice_no: ['Invoice number', '发票号码'],
    currency: ['Currency', '币种'], discount: ['Discount', '折扣'], change: ['Change', '找零'], cash: ['Cash', '现金'],
    name: ['Name', '名称'], quantity: ['Quantity', '数量'], unit_price: ['Unit price', '单价'], amount: ['Amount', '金额'],
    raw: ['Printed text', '原文'], box: ['Box', '位置'], confidence: ['Confidence', '置信度'],
  };

  function initialLanguage() {
    const saved = localStorage.getItem(LANG_STORAGE);
    if (saved === 'zh' || saved === 'en') return saved;
    const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
    return String(langs[0]).toLowerCase().startsWith('zh') ? 'zh' : 'en';
  }
  let lang = initialLanguage();
  const t = (key, ...args) => {
    const v = TEXT[lang][key] ?? TEXT.en[key] ?? key;
    return typeof v === 'function' ? v(...args) : v;
  };
  // Dates in the user's own locale when it is in the chosen language (en-GB stays day-first),
  // else that language's usual form.
  function locale() {
    const browser = navigator.language || 'en-US';
    return browser.toLowerCase().startsWith(lang) ? browser : (lang === 'zh' ? 'zh-CN' : 'en-US');
  }
  const formatTime = (iso) => new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  function fieldLabel(key) {
    const known = FIELD_LABELS[key];
    if (known) return known[lang === 'zh' ? 1 : 0];
    const words = String(key).replace(/_/g, ' ');
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function applyLanguage() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
    $('preview').alt = t('image');
    $('lang').value = lang;
  }

  const state = {
    lastFile: null,      // the File last uploaded, for "Run again"
    result: null,        // the OCR JSON shown now
    imageUrl: null,      // object URL of the image shown now
    pendingRetry: null,  // what to redo after the user enters an API key
    recordId: null,
    recordMeta: null,    // {createdAt} of the record shown now
    historyOffset: 0,    // paging of the history list
  };
  const HISTORY_PAGE = 10;

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
      throw new ApiError(0, 'network_error', t('unreachable') + e.message);
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
      ? err.message + t('plainStillWorks')
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
      showError(new ApiError(0, 'unsupported_type', t('notImage', file.name, file.type)));
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
      setStatus(t('reading', file.name || 'image'), true);
      const started = performance.now();
      const response = await request('/v1/ocr', { method: 'POST', body: form });
      const result = await response.json();
      const ms = Math.round(performance.now() - started);
      showResult(result, file, { recordId: result.record_id, createdAt: new Date().toISOString() });
      setStatus(t('found', (result.lines || []).length, ms));
      state.historyOffset = 0;
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
      if (cls === 'low') badge.title = t('lowConfidence');
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
      td.textContent = t('noTextFound');
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
        th.textContent = fieldLabel(k);
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

  // Receipt items as rows (name, quantity, unit price, amount) from the extraction details, rather
  // than the fields' one-line summary ("3 items").
  const ITEM_COLUMNS = ['name', 'quantity', 'unit_price', 'amount'];
  // Prices as printed on a receipt: 4.5 -> "4.50" (whole numbers and finer prices unchanged).
  const price = (v) => (typeof v === 'number' && !Number.isInteger(v) && Math.abs(v * 100 - Math.round(v * 100)) < 1e-6 ? v.toFixed(2) : v);
  function itemRows(result) {
    const items = result.extraction && result.extraction.items;
    if (!Array.isArray(items) || !items.length) return null;
    return items.map((item) => Object.fromEntries(ITEM_COLUMNS.map((k) => {
      const v = item ? item[k] : null;
      return [k, k === 'unit_price' || k === 'amount' ? price(v) : v];
    })));
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
      dt.textContent = fieldLabel(key);
      dt.title = key;
      const dd = document.createElement('dd');
      const rows = key === 'items' ? itemRows(result) : null;
      dd.append(fieldValue(rows || value));
      dl.append(dt, dd);
    }
    if (!dl.children.length) out.textContent = t('noFields');
    else out.append(dl);
  }

  function showResult(result, imageBlob, meta) {
    state.result = result;
    state.recordId = meta.recordId || null;
    $('empty').hidden = true;
    $('result').hidden = false;
    $('text-out').textContent = result.text || '';
    $('json-out').textContent = JSON.stringify(result, null, 2);
    state.recordMeta = meta;
    renderResultHeading();
    renderLines(result);
    renderFields(result);
    selectTab(result.fields && typeof result.fields === 'object' ? 'tab-fields' : 'tab-text');
    setImage(imageBlob);
    const img = $('preview');
    if (imageBlob && !img.complete) img.onload = () => drawBoxes(result);
    drawBoxes(result);
    markCurrentHistoryItem();
  }

  // The heading says when the record was made and how it starts (the id is only in its title).
  function renderResultHeading() {
    const result = state.result;
    if (!result) return;
    const meta = state.recordMeta || {};
    const parts = [];
    if (meta.createdAt) parts.push(formatTime(meta.createdAt));
    const first = firstLine(result.text);
    if (first) parts.push(first);
    const heading = $('record-meta');
    heading.textContent = parts.join(' · ');
    heading.title = meta.recordId || '';
    const timings = result.timings_ms || {};
    $('caption').textContent = [
      result.width && result.height ? `${result.width} × ${result.height} px` : '',
      t('lines', (result.lines || []).length),
      typeof timings.total === 'number' ? `${Math.round(timings.total)} ms` : '',
    ].filter(Boolean).join(' · ');
  }

  function firstLine(text) {
    const line = String(text || '').split('\n').map((l) => l.trim()).find(Boolean) || '';
    return line.length > 60 ? line.slice(0, 59) + '…' : line;
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
    setStatus(t('copied'));
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
    for (const b of $('history').querySelectorAll('button.open')) {
      b.setAttribute('aria-current', String(b.dataset.id === state.recordId));
    }
  }

  // The filter of the history list (and of its CSV export): text, date range.
  function historyFilter() {
    const params = new URLSearchParams();
    const q = $('history-q').value.trim();
    if (q) params.set('q', q);
    if ($('history-from').value) params.set('from', $('history-from').value);
    if ($('history-to').value) params.set('to', $('history-to').value);
    return params;
  }

  // The history reports its own errors under its search box, so that a refresh never hides the
  // error of an upload; only a 401 goes to the main error box and the sign-in form.
  async function loadHistory() {
    const params = historyFilter();
    const filtered = [...params.keys()].length > 0;
    params.set('limit', String(HISTORY_PAGE));
    params.set('offset', String(state.historyOffset));
    $('history-status').textContent = t('loading');
    let page;
    try {
      page = await (await request('/v1/records?' + params.toString())).json();
    } catch (err) {
      if (err.status === 401) {
        if (!state.pendingRetry) askForKey(null);
        showError(err);
      }
      $('history-status').textContent = t('historyUnavailable') + (err.message || err);
      return;
    }
    const records = page.records || [];
    const total = typeof page.total === 'number' ? page.total : records.length;
    if (!records.length && state.historyOffset > 0 && total > 0) {  // the last page emptied (deletes)
      state.historyOffset = Math.max(0, Math.floor((total - 1) / HISTORY_PAGE) * HISTORY_PAGE);
      return loadHistory();
    }
    state.historyRecords = records;
    renderHistory(records, total, filtered);
  }

  function renderHistory(records, total, filtered) {
    const list = $('history');
    list.replaceChildren();
    for (const r of records) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'open';
      b.dataset.id = r.id;
      b.title = r.id;
      const when = document.createElement('span');
      when.className = 'when';
      when.textContent = r.created_at ? formatTime(r.created_at) : '';
      const snippet = document.createElement('span');
      snippet.className = 'snippet';
      snippet.textContent = firstLine(r.text) || t('noText');
      b.append(when, snippet);
      b.setAttribute('aria-label', `${when.textContent}: ${snippet.textContent}`);
      b.addEventListener('click', () => openRecord(r.id));
      const del = document.createElement('button');
      del.type = 'button';
      del.className = 'delete';
      del.dataset.deleteId = r.id;
      del.textContent = '×';
      del.title = t('deleteRecord');
      del.setAttribute('aria-label', `${t('deleteRecord')}: ${when.textContent} ${snippet.textContent}`);
      del.addEventListener('click', () => deleteRecord(r, `${when.textContent} · ${snippet.textContent}`));
      li.append(b, del);
      list.append(li);
    }
    const first = state.historyOffset + 1;
    const last = state.historyOffset + records.length;
    $('history-status').textContent = records.length ? t('shown', first, last, total) : (filtered ? t('noMatch') : t('noRecords'));
    const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE));
    $('page-info').textContent = total > HISTORY_PAGE ? t('pageOf', Math.floor(state.historyOffset / HISTORY_PAGE) + 1, pages) : '';
    $('page-prev').disabled = state.historyOffset === 0;
    $('page-next').disabled = last >= total;
    markCurrentHistoryItem();
  }

  function deleteRecord(record, description) {
    if (!window.confirm(t('confirmDelete', description))) return;
    guarded(async () => {
      await request('/v1/records/' + encodeURIComponent(record.id), { method: 'DELETE' });
      if (state.recordId === record.id) {
        state.result = null;
        state.recordId = null;
        $('result').hidden = true;
        $('empty').hidden = false;
        $('record-meta').textContent = '';
      }
      setStatus(t('deleted'));
      await loadHistory();
    });
  }

  // The CSV of everything the current filter matches (all pages), downloaded with the API key.
  function exportCsv() {
    guarded(async () => {
      const blob = await (await request('/v1/records.csv?' + historyFilter().toString())).blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = 'edgeocr-records.csv';
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
      setStatus(t('exported'));
    });
  }

  function openRecord(id) {
    return guarded(async () => {
      setStatus(t('loadingRecord'), true);
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

  const reloadFromFirstPage = () => {
    state.historyOffset = 0;
    loadHistory();
  };
  let searchTimer = null;
  $('history-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(searchTimer);  // the search typed so far runs now, not again later
    reloadFromFirstPage();
  });
  $('history-q').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(reloadFromFirstPage, 300);
  });
  for (const id of ['history-from', 'history-to']) $(id).addEventListener('change', reloadFromFirstPage);
  $('page-prev').addEventListener('click', () => {
    state.historyOffset = Math.max(0, state.historyOffset - HISTORY_PAGE);
    loadHistory();
  });
  $('page-next').addEventListener('click', () => {
    state.historyOffset += HISTORY_PAGE;
    loadHistory();
  });
  $('export-csv').addEventListener('click', exportCsv);

  $('lang').addEventListener('change', () => {
    lang = $('lang').value === 'zh' ? 'zh' : 'en';
    localStorage.setItem(LANG_STORAGE, lang);
    applyLanguage();
    // Texts made by the script follow too.
    if (state.result) {
      renderResultHeading();
      renderLines(state.result);
      renderFields(state.result);
    }
    loadHistory();
  });

  // Boxes follow the image when the layout changes (the SVG scales with it; nothing to redo),
  // but an image that finishes loading late may need its natural size for the viewBox.
  $('preview').addEventListener('load', () => { if (state.result) drawBoxes(state.result); });

  $('tab-fields').hidden = true;
  applyLanguage();
  loadHistory();
})();
