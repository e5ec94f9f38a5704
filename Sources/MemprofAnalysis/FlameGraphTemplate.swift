/// The flame graph page: HTML, CSS and JavaScript in one string, no external resources. The
/// data goes in a `<script type="application/json">` element (see `FlameGraphData.json`).
enum FlameGraphTemplate {
    /// The complete page for `title` (plain text; escaped here) and `json`.
    static func html(title: String, json: String) -> String {
        head + "Flame graph: " + escapeHTML(title) + middle + escapeHTML(title) + beforeData + json + afterData + script + tail
    }

    static func escapeHTML(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    static let head = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>
        """

    static let middle = """
        </title>
        <style>
        body { margin: 0; font: 13px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: #222; background: #fff; }
        header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 8px 12px; background: #f3f3f3; border-bottom: 1px solid #ddd; }
        header h1 { font-size: 15px; margin: 0 8px 0 0; }
        header input[type=search] { width: 18em; padding: 2px 4px; }
        header input.bad { background: #fdd; }
        #status { margin: 6px 12px 0; color: #444; min-height: 1.2em; }
        #chart { position: relative; margin: 6px 12px; }
        #chart canvas { display: block; cursor: pointer; }
        #hint { margin: 4px 12px 12px; color: #777; font-size: 12px; }
        #tooltip { position: fixed; pointer-events: none; max-width: 640px; padding: 6px 8px; background: rgba(255,255,240,0.97); border: 1px solid #999; border-radius: 3px; box-shadow: 0 2px 6px rgba(0,0,0,0.2); font-size: 12px; word-break: break-all; z-index: 10; }
        #tooltip b { display: block; margin-bottom: 2px; }
        </style>
        </head>
        <body>
        <header>
        <h1>
        """

    static let beforeData = """
        </h1>
        <label>Sample type <select id="sample-type"></select></label>
        <input id="search" type="search" placeholder="Search (regular expression)" autocomplete="off">
        <label><input id="full-names" type="checkbox"> Full names</label>
        <button id="reset" type="button">Reset zoom</button>
        </header>
        <div id="status"></div>
        <div id="chart"><canvas id="canvas"></canvas></div>
        <div id="hint">Click a box to zoom in; click a row above it, press Esc or Reset zoom to zoom out. Matches of the search are shown in magenta.</div>
        <div id="tooltip" hidden></div>
        <script type="application/json" id="flame-data">
        """

    static let afterData = """

        </script>

        """

    static let tail = """
        </body>
        </html>

        """

    static let script = #"""
        <script>
        (function () {
          "use strict";
          var data = JSON.parse(document.getElementById("flame-data").textContent);
          var ROW = 18, LABEL_MIN = 28;
          var chart = document.getElementById("chart"), canvas = document.getElementById("canvas");
          var ctx = canvas.getContext("2d");
          var typeSelect = document.getElementById("sample-type"), searchBox = document.getElementById("search");
          var fullNames = document.getElementById("full-names"), statusLine = document.getElementById("status");
          var tip = document.getElementById("tooltip");
          var trees = [], state = { type: null, tree: null, zoom: null, match: null, rows: [], hover: null };

          function build(raw) {
            var root = { name: raw[0], width: raw[1], value: raw[2], parent: null, depth: 0, children: [] };
            var work = [[raw, root]];
            while (work.length) {
              var item = work.pop(), kids = item[0][3] || [], node = item[1];
              for (var i = 0; i < kids.length; i++) {
                var k = kids[i];
                var child = { name: k[0], width: k[1], value: k[2], parent: node, depth: node.depth + 1, children: [] };
                node.children.push(child);
                work.push([k, child]);
              }
            }
            return root;
          }

          function names() { return fullNames.checked ? data.names : data.short; }

          function format(v) {
            var units = state.type.units, a = Math.abs(v);
            if (v === 0) return "0";
            if (!units.length) return String(v);
            var best = null;
            for (var i = 0; i < units.length; i++) if (a / units[i][0] >= 1) best = units[i];
            if (!best) best = units[0];
            var s = (v / best[0]).toFixed(2);
            if (s.slice(-3) === ".00") s = s.slice(0, -3);
            return s + best[1];
          }

          function percent(v, total) { return total ? (Math.abs(v) / total * 100).toFixed(2) + "%" : "-"; }

          function hash(s) {
            var h = 2166136261;
            for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619); }
            return h >>> 0;
          }

          function color(node) {
            var h = hash(data.names[node.name]);
            if (node.value < 0) return "hsl(" + (195 + h % 30) + "," + (55 + (h >>> 8) % 25) + "%," + (58 + (h >>> 16) % 14) + "%)";
            return "hsl(" + (8 + h % 42) + "," + (75 + (h >>> 8) % 20) + "%," + (52 + (h >>> 16) % 14) + "%)";
          }

          function matches(node) { return state.match !== null && state.match.test(names()[node.name]); }

          function layout(width) {
            var rows = [], chain = [];
            for (var a = state.zoom; a; a = a.parent) chain.unshift(a);
            chain.forEach(function (n, d) { rows[d] = [{ node: n, x: 0, w: width, above: n !== state.zoom }]; });
            var scale = state.zoom.width > 0 ? width / state.zoom.width : 0;
            var work = [[state.zoom, 0]];
            while (work.length) {
              var item = work.pop(), n = item[0], x = item[1];
              for (var i = 0; i < n.children.length; i++) {
                var c = n.children[i], w = c.width * scale;
                if (w >= 0.35) {
                  (rows[c.depth] = rows[c.depth] || []).push({ node: c, x: x, w: w, above: false });
                  work.push([c, x]);
                }
                x += w;
              }
            }
            return rows;
          }

          function fit(text, width) {
            var room = width - 6;
            if (ctx.measureText(text).width <= room) return text;
            var lo = 0, hi = text.length;
            while (lo < hi) {
              var mid = (lo + hi + 1) >> 1;
              if (ctx.measureText(text.slice(0, mid) + "\u2026").width <= room) lo = mid; else hi = mid - 1;
            }
            return lo > 1 ? text.slice(0, lo) + "\u2026" : "";
          }

          function draw() {
            var width = Math.max(200, chart.clientWidth);
            state.rows = layout(width);
            var height = state.rows.length * ROW, dpr = window.devicePixelRatio || 1;
            canvas.width = Math.round(width * dpr);
            canvas.height = Math.round(height * dpr);
            canvas.style.width = width + "px";
            canvas.style.height = height + "px";
            ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
            ctx.clearRect(0, 0, width, height);
            ctx.font = "12px system-ui, -apple-system, \"DejaVu Sans\", sans-serif";
            ctx.textBaseline = "middle";
            var label = names();
            state.rows.forEach(function (row, depth) {
              row.forEach(function (box) {
                var y = depth * ROW;
                ctx.globalAlpha = box.above ? 0.55 : 1;
                ctx.fillStyle = matches(box.node) ? "#e040d0" : color(box.node);
                ctx.fillRect(box.x, y, Math.max(box.w - (box.w > 3 ? 1 : 0), 0.35), ROW - 1);
                if (box === state.hover) {
                  ctx.strokeStyle = "#222";
                  ctx.strokeRect(box.x + 0.5, y + 0.5, Math.max(box.w - 2, 1), ROW - 2);
                }
                if (box.w >= LABEL_MIN) {
                  var text = fit(label[box.node.name], box.w);
                  if (text) { ctx.fillStyle = "#000"; ctx.fillText(text, box.x + 3, y + ROW / 2); }
                }
              });
            });
            ctx.globalAlpha = 1;
            showStatus();
          }

          function showStatus() {
            var t = state.type, root = state.tree, text = "Total " + t.type + ": " + format(t.total);
            if (state.zoom !== root) text += " \u00b7 zoomed on " + names()[state.zoom.name] + " (" + percent(state.zoom.value, t.total) + ")";
            if (state.match !== null) {
              var matched = 0, work = [root];
              while (work.length) {
                var n = work.pop();
                if (matches(n)) { matched += n.value; continue; }
                for (var i = 0; i < n.children.length; i++) work.push(n.children[i]);
              }
              text += " \u00b7 matched " + format(matched) + " (" + percent(matched, t.total) + ")";
            }
            statusLine.textContent = text;
          }

          function boxAt(event) {
            var r = canvas.getBoundingClientRect(), x = event.clientX - r.left, y = event.clientY - r.top;
            var row = state.rows[Math.floor(y / ROW)] || [];
            for (var i = 0; i < row.length; i++) if (x >= row[i].x && x < row[i].x + Math.max(row[i].w, 1)) return row[i];
            return null;
          }

          function showTip(box, event) {
            var n = box.node, t = state.type, self = n.value;
            n.children.forEach(function (c) { self -= c.value; });
            var lines = [format(n.value) + " (" + percent(n.value, t.total) + " of total)", "self: " + format(self)];
            if (state.zoom !== state.tree && !box.above) lines.push(percent(n.value, state.zoom.value) + " of " + names()[state.zoom.name]);
            tip.textContent = "";
            var title = document.createElement("b");
            title.textContent = names()[n.name];
            tip.appendChild(title);
            lines.forEach(function (l) { var d = document.createElement("div"); d.textContent = l; tip.appendChild(d); });
            tip.hidden = false;
            var x = event.clientX + 14, y = event.clientY + 14;
            if (x + tip.offsetWidth > window.innerWidth) x = Math.max(0, event.clientX - tip.offsetWidth - 14);
            if (y + tip.offsetHeight > window.innerHeight) y = Math.max(0, event.clientY - tip.offsetHeight - 14);
            tip.style.left = x + "px";
            tip.style.top = y + "px";
          }

          function selectType(i) {
            state.type = data.types[i];
            trees[i] = trees[i] || build(state.type.root);
            state.tree = state.zoom = trees[i];
            state.hover = null;
            draw();
          }

          data.types.forEach(function (t, i) {
            var option = document.createElement("option");
            option.value = String(i);
            option.textContent = t.type + (t.unit ? " (" + t.unit + ")" : "");
            typeSelect.appendChild(option);
          });
          typeSelect.value = String(data.initial);
          typeSelect.addEventListener("change", function () { selectType(Number(typeSelect.value)); });
          function compileSearch() {
            try {
              state.match = searchBox.value ? new RegExp(searchBox.value) : null;
              searchBox.classList.remove("bad");
            } catch (e) {
              state.match = null;
              searchBox.classList.add("bad");
            }
          }
          searchBox.addEventListener("input", function () { compileSearch(); draw(); });
          fullNames.addEventListener("change", draw);
          document.getElementById("reset").addEventListener("click", function () { state.zoom = state.tree; draw(); });
          document.addEventListener("keydown", function (e) {
            if (e.key === "Escape" && e.target !== searchBox) { state.zoom = state.tree; draw(); }
          });
          canvas.addEventListener("click", function (e) {
            var box = boxAt(e);
            if (box) { state.zoom = box.node; state.hover = null; tip.hidden = true; draw(); }
          });
          canvas.addEventListener("mousemove", function (e) {
            var box = boxAt(e);
            if (box !== state.hover) { state.hover = box; draw(); }
            if (box) showTip(box, e); else tip.hidden = true;
          });
          canvas.addEventListener("mouseleave", function () { tip.hidden = true; state.hover = null; draw(); });
          window.addEventListener("resize", draw);
          // The URL fragment may preset the view: #type=N&search=REGEX&full=1 (or 0).
          var preset = new URLSearchParams(location.hash.slice(1)), initial = data.initial;
          if (preset.has("type") && Number(preset.get("type")) >= 0 && Number(preset.get("type")) < data.types.length) {
            initial = Number(preset.get("type"));
            typeSelect.value = String(initial);
          }
          fullNames.checked = preset.has("full") ? preset.get("full") === "1" : data.fullNames === true;
          if (preset.has("search")) { searchBox.value = preset.get("search"); compileSearch(); }
          if (data.types.length) selectType(initial);
        })();
        </script>

        """#
}
