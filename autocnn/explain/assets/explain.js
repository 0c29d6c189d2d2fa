/* explain.html: draws the data embedded by autocnn/explain/page.py.
   Plain JavaScript written for this page; no library, no network. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("explain-data").textContent);
  var state = { image: 0, mode: "acts", overlay: "none", sel: null, wsel: null };
  var cache = {};

  // ------------------------------------------------------------------ decoding
  function half(h) {
    var s = (h & 0x8000) ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
    if (e === 0) return s * Math.pow(2, -14) * (f / 1024);
    if (e === 31) return f ? NaN : s * Infinity;
    return s * Math.pow(2, e - 15) * (1 + f / 1024);
  }
  function decode(rec) {
    if (!rec) return null;
    var bin = atob(rec.data), n = bin.length, bytes = new Uint8Array(n), i;
    for (i = 0; i < n; i++) bytes[i] = bin.charCodeAt(i);
    var v;
    if (rec.dtype === "f4") {
      v = new Float32Array(bytes.buffer);
    } else {
      var u = new Uint16Array(bytes.buffer);
      v = new Float32Array(u.length);
      for (i = 0; i < u.length; i++) v[i] = half(u[i]);
    }
    return { shape: rec.shape, v: v };
  }
  function get(key, rec) {
    if (!(key in cache)) cache[key] = decode(rec);
    return cache[key];
  }
  function imageArr(n, kind, path) {
    var im = DATA.images[n];
    var rec = path === undefined ? im[kind] : im[kind][path];
    return get(n + "|" + kind + "|" + (path || ""), rec);
  }
  function layerArr(li, name) {
    return get("L" + li + "|" + name, DATA.layers[li][name]);
  }
  function inputOf(n, path) {
    var rec = DATA.images[n].inputs[path];
    if (!rec) return null;
    if (rec.ref === "@pixels") return imageArr(n, "pixels");
    if (rec.ref !== undefined) return imageArr(n, "acts", rec.ref);
    return get(n + "|input|" + path, rec);
  }
  function at(a, idx) {  // a[idx...] for a row-major array
    var k = 0, s = a.shape;
    for (var d = 0; d < s.length; d++) k = k * s[d] + idx[d];
    return a.v[k];
  }

  // ------------------------------------------------------------------ numbers, colours
  function fmt(x) {
    if (!isFinite(x)) return String(x);
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= 1e4 || a < 1e-3) return x.toExponential(2);
    return String(parseFloat(x.toPrecision(4)));
  }
  var STOPS = [[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
               [253, 219, 199], [239, 138, 98], [178, 24, 43]];
  function diverging(t) {  // t in [-1, 1] -> [r, g, b]
    t = Math.max(-1, Math.min(1, isFinite(t) ? t : 0));
    var p = (t + 1) / 2 * (STOPS.length - 1), k = Math.min(STOPS.length - 2, Math.floor(p));
    var f = p - k, a = STOPS[k], b = STOPS[k + 1];
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
  }
  function maxAbs(v) {
    var m = 0;
    for (var i = 0; i < v.length; i++) { var a = Math.abs(v[i]); if (a > m) m = a; }
    return m || 1;
  }

  // ------------------------------------------------------------------ DOM helpers
  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in (attrs || {})) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function paint(canvas, h, w, fn) {  // fn(i, j) -> [r, g, b, a]
    canvas.width = w; canvas.height = h;
    var ctx = canvas.getContext("2d"), img = ctx.createImageData(w, h);
    for (var i = 0; i < h; i++) for (var j = 0; j < w; j++) {
      var c = fn(i, j), o = 4 * (i * w + j);
      img.data[o] = c[0]; img.data[o + 1] = c[1]; img.data[o + 2] = c[2];
      img.data[o + 3] = c.length > 3 ? c[3] : 255;
    }
    ctx.putImageData(img, 0, 0);
  }
  function greyImage(canvas, a) {  // a: (C, H, W); one channel grey, three as colour
    var C = a.shape[0], H = a.shape[1], W = a.shape[2], lo = Infinity, hi = -Infinity;
    for (var i = 0; i < a.v.length; i++) { lo = Math.min(lo, a.v[i]); hi = Math.max(hi, a.v[i]); }
    var span = hi > lo ? hi - lo : 1;
    paint(canvas, H, W, function (r, c) {
      if (C === 3) {
        return [0, 1, 2].map(function (ch) { return 255 * (at(a, [ch, r, c]) - lo) / span; });
      }
      var g = 255 * (at(a, [0, r, c]) - lo) / span;
      return [g, g, g];
    });
  }
  function scaleFor(w, target) { return Math.max(2, Math.round(target / Math.max(1, w))); }

  // ------------------------------------------------------------------ layout
  var app = document.getElementById("app");
  app.textContent = "";
  var header = el("header", {}, [el("h1", { text: DATA.title })]);
  var controls = el("div", { id: "controls" });
  header.appendChild(controls);
  var side = el("aside", { id: "side" });
  var layersBox = el("section", { id: "layers" });
  var formula = el("section", { id: "formula" });
  app.appendChild(header);
  app.appendChild(el("div", { cls: "main" }, [side, layersBox, formula]));

  function button(label, group, value, id) {
    var b = el("button", { type: "button", text: label, "data-group": group,
                           "data-value": value, id: id });
    b.addEventListener("click", function () {
      state[group] = value;
      if (group === "mode") state.wsel = null;
      render();
    });
    return b;
  }
  var strip = el("div", { id: "thumbs" });
  DATA.images.forEach(function (im, n) {
    var c = el("canvas", { cls: "thumb", "data-image": n, title: "image " + n });
    greyImage(c, imageArr(n, "pixels"));
    var s = scaleFor(c.width, 28);
    c.style.width = c.width * s + "px"; c.style.height = c.height * s + "px";
    c.addEventListener("click", function () { state.image = n; render(); });
    strip.appendChild(c);
  });
  controls.appendChild(el("div", { cls: "group" }, [el("span", { cls: "lab", text: "image" }),
    el("button", { type: "button", id: "prev", text: "◀", title: "previous image (←)" }), strip,
    el("button", { type: "button", id: "next", text: "▶", title: "next image (→)" })]));
  controls.appendChild(el("div", { cls: "group" }, [el("span", { cls: "lab", text: "show" }),
    button("activations", "mode", "acts", "mode-acts"),
    button("gradients", "mode", "grads", "mode-grads")]));
  controls.appendChild(el("div", { cls: "group" }, [el("span", { cls: "lab", text: "overlay" }),
    button("none", "overlay", "none", "overlay-none"),
    button("saliency", "overlay", "saliency", "overlay-saliency"),
    DATA.gradcam_layer !== null ? button("Grad-CAM", "overlay", "gradcam", "overlay-gradcam") : null]));
  function step(d) {
    state.image = (state.image + d + DATA.images.length) % DATA.images.length;
    render();
  }
  document.getElementById("prev").onclick = function () { step(-1); };
  document.getElementById("next").onclick = function () { step(1); };
  document.addEventListener("keydown", function (e) {
    if (e.key === "ArrowLeft") step(-1);
    if (e.key === "ArrowRight") step(1);
  });

  // ------------------------------------------------------------------ the side panel
  function renderSide() {
    var n = state.image, im = DATA.images[n], px = imageArr(n, "pixels");
    side.textContent = "";
    var H = px.shape[1], W = px.shape[2], s = scaleFor(W, 168);
    var wrap = el("div", { cls: "input-wrap" });
    var base = el("canvas", { id: "input-image" });
    greyImage(base, px);
    base.style.width = W * s + "px"; base.style.height = H * s + "px";
    wrap.appendChild(base);
    var note = "";
    if (state.overlay !== "none" && im[state.overlay]) {
      var m = imageArr(n, state.overlay), mx = maxAbs(m.v);
      var over = el("canvas", { cls: "overlay", id: "overlay" });
      var hot = state.overlay === "saliency" ? [214, 39, 40] : [255, 140, 0];
      paint(over, m.shape[0], m.shape[1], function (i, j) {
        var t = Math.abs(m.v[i * m.shape[1] + j]) / mx;
        return [hot[0], hot[1], hot[2], 200 * t];
      });
      over.style.width = W * s + "px"; over.style.height = H * s + "px";
      wrap.appendChild(over);
      note = state.overlay === "saliency"
        ? "Saliency: |d score / d pixel| — the pixels whose change would move the score most."
        : "Grad-CAM of layer " + DATA.gradcam_layer + ": where that layer found evidence for the class.";
    }
    var label = im.label === null ? "" : " · true class " + DATA.classes[im.label];
    side.appendChild(el("h2", { text: "image " + n + label }));
    side.appendChild(wrap);
    if (note) side.appendChild(el("p", { cls: "note", text: note }));
    side.appendChild(el("h2", { text: "class probabilities" }));
    var probs = el("div", { id: "probs", "data-image": n });
    im.probs.forEach(function (p, k) {
      var cls = "prob" + (k === im.target ? " pred" : "") + (k === im.label ? " true" : "");
      probs.appendChild(el("div", { cls: cls, "data-class": k }, [
        el("span", { cls: "name", text: DATA.classes[k] }),
        el("span", { cls: "bar" }, [el("span", { cls: "fill", style: "width:" + (100 * p).toFixed(1) + "%" })]),
        el("span", { cls: "pct", text: (100 * p).toFixed(1) + " %" })]));
    });
    side.appendChild(probs);
    side.appendChild(el("p", { cls: "note", text: "Gradients are of the score (logit) of class " +
      DATA.classes[im.target] + ", the predicted one." }));
  }

  // ------------------------------------------------------------------ the layers
  function legend(limit) {
    var c = el("canvas", { cls: "legend" });
    paint(c, 1, 64, function (i, j) { return diverging(j / 31.5 - 1); });
    return el("span", { cls: "legend-box", title: "one colour scale for the whole layer" }, [
      el("span", { text: "−" + fmt(limit) }), c, el("span", { text: "+" + fmt(limit) }),
      el("span", { cls: "zero", text: "(white = 0)" })]);
  }
  function renderLayers() {
    var n = state.image, kind = state.mode;
    layersBox.textContent = "";
    layersBox.appendChild(el("h2", { text: kind === "acts"
      ? "What every layer outputs (click an entry for its formula)"
      : "d score / d(every layer's output) (click a conv entry for a weight gradient)" }));
    DATA.layers.forEach(function (L, li) {
      var a = imageArr(n, kind, L.path);
      if (!a) return;
      var limit = maxAbs(a.v);
      var row = el("div", { cls: "layer", "data-layer": L.path });
      row.appendChild(el("div", { cls: "layer-head" }, [
        el("b", { text: L.path + ": " + L.type }),
        el("span", { cls: "shape", text: " (" + a.shape.join(", ") + ")" }), legend(limit)]));
      var maps = el("div", { cls: "maps" });
      var shape = a.shape;
      var C = shape.length === 3 ? shape[0] : 1;
      var H = shape.length === 3 ? shape[1] : 1;
      var W = shape.length === 3 ? shape[2] : shape[shape.length - 1];
      var s = shape.length === 3 ? scaleFor(W, 64) : Math.max(2, Math.min(12, Math.floor(600 / W)));
      for (var c = 0; c < C; c++) {
        (function (c) {
          var cv = el("canvas", { cls: "map", "data-layer": L.path, "data-channel": c });
          paint(cv, H, W, function (i, j) {
            var v = shape.length === 3 ? a.v[(c * H + i) * W + j] : a.v[j];
            return diverging(v / limit);
          });
          cv.style.width = W * s + "px"; cv.style.height = H * s + "px";
          cv.addEventListener("click", function (e) {
            var r = cv.getBoundingClientRect();
            var j = Math.min(W - 1, Math.floor((e.clientX - r.left) / r.width * W));
            var i = Math.min(H - 1, Math.floor((e.clientY - r.top) / r.height * H));
            select(li, shape.length === 3 ? [c, i, j] : [j]);
          });
          var cell = el("span", { cls: "cell" }, [cv]);
          var sel = state.sel;
          if (sel && sel.li === li && (shape.length !== 3 || sel.index[0] === c)) {
            var si = shape.length === 3 ? sel.index[1] : 0;
            var sj = shape.length === 3 ? sel.index[2] : sel.index[0];
            cell.appendChild(el("span", { cls: "marker", style: "left:" + sj * s + "px;top:" +
              si * s + "px;width:" + s + "px;height:" + s + "px" }));
          }
          maps.appendChild(cell);
        })(c);
      }
      row.appendChild(maps);
      layersBox.appendChild(row);
    });
  }
  function select(li, index) {
    state.sel = { li: li, index: index };
    state.wsel = null;
    render();
  }

  // ------------------------------------------------------------------ formulas
  function grid(title, rows, cols, fn, cls) {
    var t = el("table", { cls: "grid " + (cls || "") });
    t.appendChild(el("caption", { text: title }));
    for (var i = 0; i < rows; i++) {
      var tr = el("tr");
      for (var j = 0; j < cols; j++) {
        var v = fn(i, j);
        tr.appendChild(el("td", { text: v === null ? "pad" : fmt(v), cls: v === null ? "pad" : "" }));
      }
      t.appendChild(tr);
    }
    return t;
  }
  function result(id, label, value, model) {
    var box = el("div", { cls: "result" });
    box.appendChild(el("div", {}, [el("span", { text: label + " = " }),
      el("b", { id: id, "data-value": String(value), text: fmt(value) })]));
    if (model !== undefined) {
      box.appendChild(el("div", { cls: "check" }, [el("span", { text: "the model computed " }),
        el("b", { id: "formula-model", "data-value": String(model), text: fmt(model) })]));
    }
    return box;
  }
  function convFormula(L, li, idx) {
    var n = state.image, X = inputOf(n, L.path), Wt = layerArr(li, "weight");
    var B = L.bias ? layerArr(li, "bias") : null;
    var o = idx[0], i = idx[1], j = idx[2];
    var Cg = Wt.shape[1], kh = Wt.shape[2], kw = Wt.shape[3];
    var per = Wt.shape[0] / L.groups, first = Math.floor(o / per) * Cg;
    var Hin = X.shape[1], Win = X.shape[2], out = [];
    var total = 0, parts = el("div", { cls: "channels" });
    for (var c = 0; c < Cg; c++) {
      var win = [], prod = [], csum = 0;
      for (var a = 0; a < kh; a++) {
        win.push([]); prod.push([]);
        for (var b = 0; b < kw; b++) {
          var r = i * L.stride[0] + a * L.dilation[0] - L.padding[0];
          var q = j * L.stride[1] + b * L.dilation[1] - L.padding[1];
          var inside = r >= 0 && r < Hin && q >= 0 && q < Win;
          var x = inside ? at(X, [first + c, r, q]) : 0;
          var w = at(Wt, [o, c, a, b]);
          win[a].push(inside ? x : null); prod[a].push(x * w); csum += x * w;
        }
      }
      total += csum;
      if (c < 8) {
        parts.appendChild(el("div", { cls: "channel" }, [
          el("div", { cls: "ch-title", text: "input channel " + (first + c) + ": Σ = " + fmt(csum) }),
          grid("window", kh, kw, function (a, b) { return win[a][b]; }),
          el("span", { cls: "op", text: "×" }),
          grid("kernel", kh, kw, function (a, b) { return at(Wt, [o, c, a, b]); }, "kernel"),
          el("div", {}, [el("span", { cls: "op", text: "=" }),
            grid("products", kh, kw, function (a, b) { return prod[a][b]; }, "products")])]));
      }
    }
    if (Cg > 8) parts.appendChild(el("p", { cls: "note", text: "… and " + (Cg - 8) +
      " more input channels, included in the sum." }));
    var bias = B ? B.v[o] : 0;
    out.push(el("p", { text: "Output channel " + o + ", row " + i + ", column " + j +
      ": the " + kh + "×" + kw + " window of every input channel times filter " + o +
      ", all products summed, plus the bias." }));
    out.push(parts);
    out.push(el("p", { cls: "sum", text: "Σ products = " + fmt(total) + ",  + bias " + fmt(bias) }));
    out.push(result("formula-sum", "sum", total + bias, at(imageArr(n, "acts", L.path), idx)));
    return out;
  }
  function linearFormula(L, li, idx) {
    var n = state.image, X = inputOf(n, L.path), Wt = layerArr(li, "weight");
    var B = L.bias ? layerArr(li, "bias") : null, k = idx[0], F = Wt.shape[1];
    var terms = [], total = 0;
    for (var f = 0; f < F; f++) {
      var t = X.v[f] * Wt.v[k * F + f];
      terms.push([f, X.v[f], Wt.v[k * F + f], t]); total += t;
    }
    var top = terms.slice().sort(function (p, q) { return Math.abs(q[3]) - Math.abs(p[3]); }).slice(0, 10);
    var t = el("table", { cls: "terms" });
    t.appendChild(el("tr", {}, [el("th", { text: "input" }), el("th", { text: "x" }),
      el("th", { text: "weight" }), el("th", { text: "x · weight" })]));
    top.forEach(function (r) {
      t.appendChild(el("tr", {}, [el("td", { text: "x[" + r[0] + "]" }), el("td", { text: fmt(r[1]) }),
        el("td", { text: fmt(r[2]) }), el("td", { text: fmt(r[3]) })]));
    });
    var bias = B ? B.v[k] : 0, name = DATA.classes[k];
    return [el("p", { text: "Output " + k + (li === DATA.layers.length - 1 && name ? " (class " + name + ")" : "") +
      ": Σ over all " + F + " inputs of input · weight, plus the bias. The 10 largest products:" }),
      t, el("p", { cls: "sum", text: "Σ of all " + F + " products = " + fmt(total) + ",  + bias " + fmt(bias) }),
      result("formula-sum", "sum", total + bias, at(imageArr(n, "acts", L.path), idx))];
  }
  function poolFormula(L, li, idx) {
    var n = state.image, X = inputOf(n, L.path), c = idx[0], i = idx[1], j = idx[2];
    var kh = L.kernel[0], kw = L.kernel[1], vals = [], best = -Infinity, mean = 0;
    for (var a = 0; a < kh; a++) {
      vals.push([]);
      for (var b = 0; b < kw; b++) {
        var r = i * L.stride[0] + a - L.padding[0], q = j * L.stride[1] + b - L.padding[1];
        var v = (r >= 0 && q >= 0 && r < X.shape[1] && q < X.shape[2]) ? at(X, [c, r, q]) : null;
        vals[a].push(v);
        if (v !== null) { best = Math.max(best, v); mean += v / (kh * kw); }
      }
    }
    var isMax = L.type === "MaxPool2d";
    return [el("p", { text: (isMax ? "The largest" : "The mean") + " of the " + kh + "×" + kw +
      " window of channel " + c + " of the input:" }),
      grid("window", kh, kw, function (a, b) { return vals[a][b]; }),
      result("formula-sum", isMax ? "max" : "mean", isMax ? best : mean,
        at(imageArr(n, "acts", L.path), idx))];
  }
  function reluFormula(L, li, idx) {
    var n = state.image, x = at(inputOf(n, L.path), idx);
    return [el("p", { text: "ReLU keeps positive numbers and replaces negative ones by 0: max(0, x) with x = " + fmt(x) + "." }),
      result("formula-sum", "max(0, x)", Math.max(0, x), at(imageArr(n, "acts", L.path), idx))];
  }
  function bnFormula(L, li, idx) {
    var n = state.image, x = at(inputOf(n, L.path), idx), c = idx[0];
    var mu = layerArr(li, "mean").v[c], v = layerArr(li, "var").v[c];
    var g = L.gamma ? layerArr(li, "gamma").v[c] : 1, b = L.beta ? layerArr(li, "beta").v[c] : 0;
    var xh = (x - mu) / Math.sqrt(v + L.eps);
    return [el("p", { text: "Batch norm (evaluation mode) with the running statistics of channel " + c +
      ": x̂ = (x − μ) / √(σ² + ε), then γ · x̂ + β." }),
      el("p", { cls: "sum", text: "x = " + fmt(x) + ", μ = " + fmt(mu) + ", σ² = " + fmt(v) +
        ", ε = " + fmt(L.eps) + " → x̂ = " + fmt(xh) + "; γ = " + fmt(g) + ", β = " + fmt(b) }),
      result("formula-sum", "γ · x̂ + β", g * xh + b, at(imageArr(n, "acts", L.path), idx))];
  }
  function weightGrad(L, li, idx) {
    var n = state.image, X = inputOf(n, L.path), G = imageArr(n, "grads", L.path);
    var Wt = layerArr(li, "weight"), o = idx[0];
    var kh = Wt.shape[2], kw = Wt.shape[3], Cg = Wt.shape[1];
    var per = Wt.shape[0] / L.groups, first = Math.floor(o / per) * Cg;
    var ws = state.wsel || { c: 0, a: Math.floor(kh / 2), b: Math.floor(kw / 2) };
    state.wsel = ws;
    var Ho = G.shape[1], Wo = G.shape[2], terms = [], total = 0;
    for (var i = 0; i < Ho; i++) for (var j = 0; j < Wo; j++) {
      var r = i * L.stride[0] + ws.a * L.dilation[0] - L.padding[0];
      var q = j * L.stride[1] + ws.b * L.dilation[1] - L.padding[1];
      if (r < 0 || q < 0 || r >= X.shape[1] || q >= X.shape[2]) continue;
      var g = at(G, [o, i, j]), x = at(X, [first + ws.c, r, q]), t = g * x;
      terms.push(["g[" + o + "," + i + "," + j + "]", g, "x[" + (first + ws.c) + "," + r + "," + q + "]", x, t]);
      total += t;
    }
    function picker(name, max) {
      var s = el("select", { id: "wsel-" + name });
      for (var v = 0; v < max; v++) {
        var opt = el("option", { value: v, text: String(v) });
        if (v === ws[name]) opt.selected = true;
        s.appendChild(opt);
      }
      s.addEventListener("change", function () { ws[name] = parseInt(s.value, 10); render(); });
      return s;
    }
    var nonzero = terms.filter(function (r) { return r[4] !== 0; });
    var top = nonzero.sort(function (p, q) { return Math.abs(q[4]) - Math.abs(p[4]); }).slice(0, 12);
    var t = el("table", { cls: "terms" });
    t.appendChild(el("tr", {}, [el("th", { text: "d score / d y" }), el("th", { text: "" }),
      el("th", { text: "input x" }), el("th", { text: "" }), el("th", { text: "term" })]));
    top.forEach(function (r) {
      t.appendChild(el("tr", {}, [el("td", { text: r[0] + " = " + fmt(r[1]) }), el("td", { text: "·" }),
        el("td", { text: r[2] + " = " + fmt(r[3]) }), el("td", { text: "=" }), el("td", { text: fmt(r[4]) })]));
    });
    return [el("h3", { text: "A weight gradient: d score / d weight[" + o + ", c, a, b]" }),
      el("p", {}, [el("span", { text: "input channel c " }), picker("c", Cg),
        el("span", { text: "  row a " }), picker("a", kh), el("span", { text: "  column b " }), picker("b", kw)]),
      el("p", { text: "The weight is used once per output position, so its gradient is the sum over every position (i, j) of d score / d y[" +
        o + ", i, j] times the input it multiplied there. " + terms.length + " terms, " + nonzero.length +
        " of them not zero (ReLU and max pooling pass no gradient to most positions)" +
        (nonzero.length > 12 ? "; the 12 largest:" : ":") }),
      t, result("grad-sum", "Σ of all " + terms.length + " terms", total)];
  }
  var FORMULAS = { Conv2d: convFormula, Linear: linearFormula, MaxPool2d: poolFormula,
                   AvgPool2d: poolFormula, ReLU: reluFormula, BatchNorm2d: bnFormula,
                   BatchNorm1d: bnFormula };
  function renderFormula() {
    formula.textContent = "";
    var sel = state.sel;
    if (!sel) {
      formula.appendChild(el("h2", { text: "Formula view" }));
      formula.appendChild(el("p", { cls: "note", text: "Click any entry of a feature map to see the numbers that made it." }));
      return;
    }
    var L = DATA.layers[sel.li], idx = sel.index;
    var title = L.path + ": " + L.type + " [" + idx.join(", ") + "]";
    formula.appendChild(el("h2", { id: "formula-title", "data-layer": L.path,
                                   "data-index": idx.join(","), text: title }));
    if (state.mode === "grads") {
      var g = at(imageArr(state.image, "grads", L.path), idx);
      formula.appendChild(result("grad-value", "d score / d y[" + idx.join(", ") + "]", g));
      if (L.type === "Conv2d") weightGrad(L, sel.li, idx).forEach(function (e) { formula.appendChild(e); });
      return;
    }
    var fn = FORMULAS[L.type];
    if (!fn || !DATA.images[state.image].inputs[L.path]) {
      var v = at(imageArr(state.image, "acts", L.path), idx);
      var how = L.type === "Flatten" ? "Flatten only rearranges its input into one row"
        : "The formula view does not write out " + L.type + " layers";
      formula.appendChild(el("p", { text: how + "; this entry is " + fmt(v) + "." }));
      return;
    }
    fn(L, sel.li, idx).forEach(function (e) { formula.appendChild(e); });
  }

  // ------------------------------------------------------------------ everything
  function render() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-group]"), function (b) {
      var g = b.getAttribute("data-group");
      b.classList.toggle("on", state[g] === b.getAttribute("data-value"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("canvas.thumb"), function (c) {
      c.classList.toggle("on", +c.getAttribute("data-image") === state.image);
    });
    renderSide();
    renderLayers();
    renderFormula();
    document.body.setAttribute("data-ready", "1");
  }
  render();
})();
