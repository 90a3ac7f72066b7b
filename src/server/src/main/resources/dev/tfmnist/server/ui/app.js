// ServeMnist's page: draw a digit (or drop an image), post it as PNG to the server, which makes
// it into MNIST's 28x28 form with the loader's own code and runs the chosen model; show the
// answer, the 28x28 image the model received, and the server's figures. Plain JavaScript, no
// libraries; every URL is relative, so the page speaks only to the server that served it.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const pad = $('digit');
  const ink = pad.getContext('2d');
  const seen = $('model-input');
  const seenCtx = seen.getContext('2d');
  const answer = $('answer');
  const prediction = $('prediction');
  const placeholder = $('placeholder');
  const message = $('message');
  const latency = $('latency');
  const picker = $('model');
  const modelNote = $('model-note');
  const bars = [];

  const THROTTLE_MS = 150;   // at most one prediction per 150 ms while drawing
  const METRICS_MS = 3000;
  const STROKE = 20;         // at 280 px: about 2 px of MNIST's 28, its own strokes' width

  // ---------------------------------------------------------------- the drawing pad

  let hasInk = false;
  let upload = null;         // {name, b64} while the pad shows an uploaded file
  let last = null;           // the previous point of the stroke being drawn
  let activePointer = null;

  function blankPad() {
    ink.fillStyle = '#000';
    ink.fillRect(0, 0, pad.width, pad.height);
    hasInk = false;
    upload = null;
  }

  function point(event) {
    const box = pad.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * pad.width / box.width,
      y: (event.clientY - box.top) * pad.height / box.height,
    };
  }

  function segment(from, to) {
    ink.strokeStyle = '#fff';
    ink.fillStyle = '#fff';
    ink.lineWidth = STROKE;
    ink.lineCap = 'round';
    ink.lineJoin = 'round';
    if (from.x === to.x && from.y === to.y) {
      ink.beginPath();
      ink.arc(to.x, to.y, STROKE / 2, 0, 2 * Math.PI);
      ink.fill();
    } else {
      ink.beginPath();
      ink.moveTo(from.x, from.y);
      ink.lineTo(to.x, to.y);
      ink.stroke();
    }
    hasInk = true;
  }

  pad.addEventListener('pointerdown', (event) => {
    if (activePointer !== null || (event.pointerType === 'mouse' && event.button !== 0)) {
      return;
    }
    event.preventDefault();
    if (upload) {
      blankPad();  // drawing starts over on a picture that was uploaded
    }
    activePointer = event.pointerId;
    pad.setPointerCapture(event.pointerId);
    last = point(event);
    segment(last, last);
    schedule();
  });

  pad.addEventListener('pointermove', (event) => {
    if (event.pointerId !== activePointer) {
      return;
    }
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length ? events : [event]) {
      const next = point(e);
      segment(last, next);
      last = next;
    }
    schedule();
  });

  function endStroke(event) {
    if (event.pointerId !== activePointer) {
      return;
    }
    activePointer = null;
    last = null;
    predictNow();
  }
  pad.addEventListener('pointerup', endStroke);
  pad.addEventListener('pointercancel', endStroke);

  $('clear').addEventListener('click', () => {
    blankPad();
    cancelScheduled();
    requestSeq++;  // an answer still on its way is for a picture that is gone
    showEmpty();
  });

  // ---------------------------------------------------------------- uploads and drops

  $('file').addEventListener('change', (event) => {
    const file = event.target.files[0];
    if (file) {
      useFile(file);
    }
    event.target.value = '';  // choosing the same file again is a change too
  });

  const drop = $('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('dragging');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('dragging');
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) {
      useFile(file);
    }
  });

  function useFile(file) {
    const reader = new FileReader();
    reader.onerror = () => showError('cannot read ' + file.name + ': ' + reader.error);
    reader.onload = () => {
      const url = String(reader.result);
      const comma = url.indexOf(',');
      blankPad();
      upload = { name: file.name, b64: comma < 0 ? '' : url.slice(comma + 1) };
      showUpload(file);
      predictNow();
    };
    reader.readAsDataURL(file);
  }

  // The picture on the pad, fitted; one the browser cannot decode leaves the pad black (the
  // server says what is wrong with it).
  function showUpload(file) {
    if (!window.createImageBitmap || file.size === 0) {
      return;
    }
    const shown = upload;
    createImageBitmap(file).then((bitmap) => {
      if (upload !== shown) {
        bitmap.close();
        return;
      }
      const scale = Math.min(pad.width / bitmap.width, pad.height / bitmap.height);
      const w = bitmap.width * scale;
      const h = bitmap.height * scale;
      ink.drawImage(bitmap, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
      bitmap.close();
    }).catch(() => {});
  }

  // ---------------------------------------------------------------- predictions

  let timer = null;
  let inFlight = false;
  let again = false;
  let requestSeq = 0;

  function busy() {
    answer.dataset.state = timer !== null || inFlight ? 'busy' : 'idle';
  }

  function cancelScheduled() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    again = false;
    busy();
  }

  // While drawing: a prediction at most every THROTTLE_MS.
  function schedule() {
    if (timer === null) {
      timer = setTimeout(() => {
        timer = null;
        predictNow();
      }, THROTTLE_MS);
      busy();
    }
  }

  // One request at a time; a picture that changed meanwhile is sent when the answer is in.
  function predictNow() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (inFlight) {
      again = true;
      busy();
      return;
    }
    const target = selected();
    if (!target || (!hasInk && !upload)) {
      busy();
      return;
    }
    const b64 = upload ? upload.b64 : pad.toDataURL('image/png').split(',')[1];
    const body = JSON.stringify({
      model: target.model,
      version: target.version,
      signature_name: target.signature,
      image: { b64: b64 },
    });
    const seq = ++requestSeq;
    const started = performance.now();
    inFlight = true;
    busy();
    fetch('ui/v1/predict', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: body,
    }).then((response) => response.text().then((text) => {
      let json = null;
      try {
        json = JSON.parse(text);
      } catch (e) {
        json = null;
      }
      if (seq !== requestSeq) {
        return;
      }
      if (!response.ok || !json || json.error) {
        const why = json && json.error ? json.error
          : 'the server answered ' + response.status + ' ' + response.statusText;
        showError(response.status === 413 ? 'The image is too large for the server: ' + why : why);
        if (response.status === 404) {
          loadModels();  // a version that went away: offer what is served now
        }
        return;
      }
      showAnswer(json, performance.now() - started);
    })).catch((error) => {
      if (seq === requestSeq) {
        showError('cannot reach the server: ' + error.message);
      }
    }).finally(() => {
      inFlight = false;
      if (again) {
        again = false;
        predictNow();
      } else {
        busy();
      }
    });
  }

  function percent(p) {
    return (100 * p).toFixed(p >= 0.9995 || p < 0.0005 ? 0 : 1) + '%';
  }

  function showAnswer(json, roundTripMs) {
    hideError();
    const digit = json.predicted_class;
    const probabilities = json.probabilities;
    prediction.replaceChildren();
    const big = document.createElement('span');
    big.className = 'digit';
    big.textContent = String(digit);
    prediction.append(big, probabilities
      ? ' (' + percent(probabilities[digit]) + ')'
      : ' (the model answers a class id, no probabilities)');
    placeholder.hidden = true;
    for (let i = 0; i < 10; i++) {
      const p = probabilities ? probabilities[i] : (i === digit ? 1 : 0);
      bars[i].fill.style.height = (100 * p).toFixed(1) + '%';
      bars[i].value.textContent = probabilities ? percent(p) : '';
      bars[i].li.classList.toggle('best', i === digit);
      bars[i].li.setAttribute('aria-label', i + ': ' + (probabilities ? percent(p) : i === digit ? 'predicted' : '-'));
    }
    latency.textContent = 'Round trip ' + roundTripMs.toFixed(0) + ' ms, on the server '
      + json.server_ms.toFixed(1) + ' ms (' + json.model + ' version ' + json.version + ', '
      + json.signature_name + ')';
    drawModelInput(json.model_input);
    $('model-input-format').textContent = json.model_input_format === 'png'
      ? 'This model takes encoded images (' + json.input + '): it received these 28\u00d728 '
        + 'pixels as a PNG.'
      : 'This model takes pixels (' + json.input + '): it received these 784 values.';
  }

  function showEmpty() {
    hideError();
    prediction.replaceChildren();
    placeholder.hidden = false;
    latency.textContent = '';
    $('model-input-format').textContent = '';
    for (const bar of bars) {
      bar.fill.style.height = '0';
      bar.value.textContent = '';
      bar.li.classList.remove('best');
      bar.li.setAttribute('aria-label', bar.digit + ': -');
    }
    drawModelInput(null);
  }

  function showError(text) {
    showEmpty();
    placeholder.hidden = true;
    message.textContent = text;
    message.hidden = false;
  }

  function hideError() {
    message.hidden = true;
    message.textContent = '';
  }

  function buildBars() {
    const list = $('bars');
    for (let i = 0; i < 10; i++) {
      const li = document.createElement('li');
      const value = document.createElement('span');
      value.className = 'value';
      const track = document.createElement('span');
      track.className = 'track';
      const fill = document.createElement('span');
      fill.className = 'fill';
      track.append(fill);
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = String(i);
      li.append(value, track, label);
      list.append(li);
      bars.push({ digit: i, li: li, fill: fill, value: value });
    }
  }

  // The 28x28 image, 8 pixels a pixel, with the ink's box and the centre of mass marked.
  function drawModelInput(values) {
    const scale = seen.width / 28;
    seenCtx.fillStyle = '#000';
    seenCtx.fillRect(0, 0, seen.width, seen.height);
    if (!values || values.length !== 784) {
      return;
    }
    let mass = 0;
    let mx = 0;
    let my = 0;
    let minX = 28;
    let minY = 28;
    let maxX = -1;
    let maxY = -1;
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = values[y * 28 + x];
        if (v > 0) {
          const g = Math.round(255 * Math.min(1, v));
          seenCtx.fillStyle = 'rgb(' + g + ',' + g + ',' + g + ')';
          seenCtx.fillRect(x * scale, y * scale, scale, scale);
          mass += v;
          mx += v * x;
          my += v * y;
          if (v > 0.1) {
            minX = Math.min(minX, x);
            maxX = Math.max(maxX, x);
            minY = Math.min(minY, y);
            maxY = Math.max(maxY, y);
          }
        }
      }
    }
    if (maxX >= 0) {
      seenCtx.strokeStyle = 'rgba(95, 170, 255, 0.9)';
      seenCtx.lineWidth = 1.5;
      seenCtx.setLineDash([5, 4]);
      seenCtx.strokeRect(minX * scale + 0.75, minY * scale + 0.75,
        (maxX - minX + 1) * scale - 1.5, (maxY - minY + 1) * scale - 1.5);
      seenCtx.setLineDash([]);
    }
    if (mass > 0) {
      const cx = (mx / mass + 0.5) * scale;
      const cy = (my / mass + 0.5) * scale;
      seenCtx.strokeStyle = '#ff6b1a';
      seenCtx.lineWidth = 2;
      seenCtx.beginPath();
      seenCtx.moveTo(cx - 7, cy);
      seenCtx.lineTo(cx + 7, cy);
      seenCtx.moveTo(cx, cy - 7);
      seenCtx.lineTo(cx, cy + 7);
      seenCtx.stroke();
    }
  }

  // ---------------------------------------------------------------- the model picker

  let targets = [];
  let metricsPath = '/monitoring/prometheus/metrics';  // the server's, from ui/v1/models

  // The chosen model, version and signature; one that is no image classifier is sent too, and
  // the server's answer says why it cannot classify.
  function selected() {
    return picker.value === '' ? null : targets[Number(picker.value)] || null;
  }

  function loadModels() {
    return fetch('ui/v1/models').then((r) => r.json()).then((json) => {
      if (json.error) {
        throw new Error(json.error);
      }
      if (json.metrics_path !== undefined) {
        metricsPath = json.metrics_path;
      }
      fillPicker(json.models);
    }).catch((error) => {
      picker.replaceChildren(new Option('No models: ' + error.message, ''));
      modelNote.textContent = '';
    });
  }

  function fillPicker(models) {
    const previous = targets[Number(picker.value)];
    targets = [];
    picker.replaceChildren();
    const others = [];
    const othersGroup = document.createElement('optgroup');
    othersGroup.label = 'Not image classifiers';
    for (const model of models) {
      const group = document.createElement('optgroup');
      group.label = model.name;
      for (const version of model.versions) {
        const labels = version.labels.length ? ' (' + version.labels.join(', ') + ')' : '';
        for (const signature of version.signatures) {
          const target = {
            model: model.name,
            version: version.version,
            signature: signature.name,
            classifier: signature.image_classifier,
            info: signature,
          };
          const index = targets.push(target) - 1;
          const name = model.name + ' v' + version.version + labels + ' \u00b7 ' + signature.name;
          if (signature.image_classifier) {
            group.append(new Option(name + ' \u2014 ' + (signature.input_form === 'png'
              ? 'PNG' : 'pixels'), String(index)));
          } else {
            othersGroup.append(new Option(name, String(index)));
            others.push({ name: name, why: signature.why_not });
          }
        }
      }
      if (!model.versions.length) {
        others.push({ name: model.name, why: 'no version served: ' + model.why_not_serving });
      }
      if (group.children.length) {
        picker.append(group);
      }
    }
    if (othersGroup.children.length) {
      picker.append(othersGroup);
    }
    const list = $('others-list');
    list.replaceChildren();
    for (const other of others) {
      const li = document.createElement('li');
      const name = document.createElement('code');
      name.textContent = other.name;
      li.append(name, ': ' + other.why);
      list.append(li);
    }
    $('others').hidden = others.length === 0;
    let choice = targets.findIndex((t) => previous && t.model === previous.model
      && t.version === previous.version && t.signature === previous.signature);
    if (choice < 0) {
      choice = targets.findIndex((t) => t.classifier);
    }
    if (choice < 0) {
      picker.append(new Option('No image classifier served', ''));
      picker.value = '';
    } else {
      picker.value = String(choice);
    }
    describeTarget();
  }

  function describeTarget() {
    const target = targets[Number(picker.value)];
    if (!target || picker.value === '') {
      modelNote.textContent = '';
      return;
    }
    const info = target.info;
    if (!target.classifier) {
      modelNote.textContent = '';
      showError(target.model + ' version ' + target.version + ', signature ' + target.signature
        + ': ' + info.why_not);
      return;
    }
    modelNote.textContent = (info.input_form === 'png'
      ? 'Takes encoded images (' + info.input + '): it receives the 28\u00d728 image as PNG. '
      : 'Takes pixels (' + info.input + '). ') + 'Answers ' + info.answers + ' (' + info.output + ').';
    refreshStats();
  }

  picker.addEventListener('change', () => {
    if (hasInk || upload) {
      predictNow();  // the picture on the pad, to the model now chosen
    } else {
      showEmpty();
    }
    describeTarget();
  });

  // ---------------------------------------------------------------- the server's figures

  const history = [];  // snapshots of the metrics, the last minute's

  function parseMetrics(text) {
    const samples = [];
    for (const line of text.split('\n')) {
      if (!line || line[0] === '#') {
        continue;
      }
      const m = /^([^\s{]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) {
        continue;
      }
      const labels = {};
      const re = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[2] || '')) !== null) {
        labels[l[1]] = l[2];
      }
      samples.push({ name: m[1], labels: labels, value: Number(m[3]) });
    }
    return samples;
  }

  const RUNS_MODEL = new Set(['predict', 'classify', 'regress', 'multi_inference']);

  function snapshot(samples) {
    const snap = { t: performance.now(), requests: 0, latency: new Map(), batch: new Map(),
      batchSum: 0, batchCount: 0 };
    for (const s of samples) {
      if (s.name === ':tensorflow:serving:request_count_total') {
        snap.requests += s.value;
      } else if (s.name === ':tensorflow:serving:request_latency_seconds_bucket'
          && RUNS_MODEL.has(s.labels.API)) {
        const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
        snap.latency.set(le, (snap.latency.get(le) || 0) + s.value);
      } else if (s.name === ':tensorflow:serving:batch_size_bucket') {
        const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
        snap.batch.set(le, (snap.batch.get(le) || 0) + s.value);
      } else if (s.name === ':tensorflow:serving:batch_size_sum') {
        snap.batchSum += s.value;
      } else if (s.name === ':tensorflow:serving:batch_size_count') {
        snap.batchCount += s.value;
      }
    }
    return snap;
  }

  // Prometheus's histogram_quantile: linear within the bucket the rank falls in.
  function quantile(q, cumulative) {
    const bounds = [...cumulative.keys()].sort((a, b) => a - b);
    const total = bounds.length ? cumulative.get(bounds[bounds.length - 1]) : 0;
    if (!total) {
      return null;
    }
    const rank = q * total;
    let lowerBound = 0;
    let lowerCount = 0;
    for (const bound of bounds) {
      const count = cumulative.get(bound);
      if (count >= rank) {
        if (bound === Infinity) {
          return lowerBound;
        }
        const inBucket = count - lowerCount;
        return lowerBound + (bound - lowerBound) * (inBucket ? (rank - lowerCount) / inBucket : 1);
      }
      lowerBound = bound;
      lowerCount = count;
    }
    return lowerBound;
  }

  function minus(a, b) {
    const out = new Map();
    for (const [k, v] of a) {
      out.set(k, v - ((b && b.get(k)) || 0));
    }
    return out;
  }

  function seconds(s) {
    if (s === null) {
      return '\u2013';
    }
    return s < 0.001 ? (s * 1000).toFixed(2) + ' ms'
      : s < 1 ? (s * 1000).toFixed(s < 0.01 ? 1 : 0) + ' ms' : s.toFixed(2) + ' s';
  }

  function showFigures(snap) {
    const prev = history.length ? history[history.length - 1] : null;
    history.push(snap);
    while (history.length > 1 && snap.t - history[0].t > 60000) {
      history.shift();
    }
    if (prev) {
      const rate = (snap.requests - prev.requests) / ((snap.t - prev.t) / 1000);
      $('rps').textContent = rate < 10 ? rate.toFixed(1) : rate.toFixed(0);
    }
    // latencies over the last minute, or since the start when the minute saw no prediction
    let recent = minus(snap.latency, history.length > 1 ? history[0].latency : null);
    let span = 'last minute';
    if (quantile(0.5, recent) === null) {
      recent = snap.latency;
      span = 'since the start';
    }
    $('p50').textContent = seconds(quantile(0.5, recent));
    $('p99').textContent = seconds(quantile(0.99, recent));
    $('batch').textContent = snap.batchCount ? (snap.batchSum / snap.batchCount).toFixed(1)
      : '\u2013';
    drawBatchSizes(snap.batch);
    return span;
  }

  // Runs by rows per run: a column per bucket up to the largest batch the server forms (or
  // the largest seen), and one for anything beyond when there is any.
  function drawBatchSizes(cumulative) {
    const box = $('batch-sizes');
    const bounds = [...cumulative.keys()].sort((a, b) => a - b);
    const counts = [];
    let before = 0;
    let lower = 0;
    for (const bound of bounds) {
      const count = cumulative.get(bound);
      counts.push({ bound: bound, lower: lower, n: count - before });
      before = count;
      lower = bound;
    }
    const used = counts.filter((c) => c.n > 0).map((c) => c.bound);
    const limit = Math.max(maxBatch, ...used.filter((b) => b !== Infinity));
    const shown = counts.filter((c) => c.bound !== Infinity ? c.lower < limit : c.n > 0);
    const max = Math.max(1, ...shown.map((c) => c.n));
    box.replaceChildren();
    const described = [];
    for (const c of shown) {
      const col = document.createElement('div');
      col.className = 'col';
      const fill = document.createElement('div');
      fill.className = 'fill';
      fill.style.height = (c.n ? Math.max(4, 100 * c.n / max) : 0) + '%';
      const label = document.createElement('div');
      label.className = 'label';
      const rows = c.bound === Infinity ? 'more than ' + c.lower
        : c.lower + 1 >= c.bound ? String(c.bound) : (c.lower + 1) + '\u2013' + c.bound;
      label.textContent = c.bound === Infinity ? '>' + c.lower : String(c.bound);
      col.title = c.n + ' runs of ' + rows + ' rows';
      col.append(fill, label);
      box.append(col);
      if (c.n) {
        described.push(col.title);
      }
    }
    box.setAttribute('aria-label', described.length ? 'Runs of the model so far: '
      + described.join(', ') : 'No batched runs yet');
  }

  let maxBatch = 32;
  let batching = '';

  function refreshStats() {
    const target = selected();
    if (!target) {
      return Promise.resolve();
    }
    return fetch('v1/models/' + encodeURIComponent(target.model) + '/stats')
      .then((r) => r.json()).then((json) => {
        if (json.batching) {
          maxBatch = json.batching.enabled ? json.batching.max_batch_size : 1;
          batching = json.batching.enabled
            ? 'Batching on: up to ' + json.batching.max_batch_size + ' rows, waiting at most '
              + json.batching.batch_timeout_micros + ' \u00b5s for them.'
            : 'Batching off: every request runs alone.';
        }
      }).catch(() => {});
  }

  function refreshMetrics() {
    if (!metricsPath) {
      $('server-note').textContent = 'The server serves no metrics (TF Serving: '
        + '--monitoring_config_file). ' + batching;
      return;
    }
    const path = metricsPath.replace(/^\//, '');  // relative, as the page may sit behind a prefix
    fetch(path).then((r) => r.text()).then((text) => {
      const span = showFigures(snapshot(parseMetrics(text)));
      $('server-note').textContent = 'Every 3 s from ' + path + ': requests of '
        + 'every client; latencies of predictions, ' + span + '. ' + batching;
    }).catch(() => {
      $('server-note').textContent = 'The metrics cannot be read right now.';
    });
  }

  // ---------------------------------------------------------------- start

  buildBars();
  blankPad();
  showEmpty();
  loadModels().then(refreshStats).then(refreshMetrics);
  setInterval(refreshMetrics, METRICS_MS);
  setInterval(refreshStats, 5 * METRICS_MS);
}());
