// Vigil's small progressive enhancements. Pages work without it; the CSP
// forbids inline script, so behaviour hangs off data- attributes.
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });

  // Copy buttons: <button data-copy="#id" data-copied="…" data-copy-hint="…">.
  // navigator.clipboard exists only in a secure context (HTTPS or
  // localhost); a hub reached over plain HTTP falls back to selecting the
  // text and document.execCommand("copy") and, when even that is refused,
  // leaves the text selected and says to press Ctrl+C.
  function say(btn, text) {
    var status = btn.parentNode.querySelector(".copy-status");
    if (status) { status.textContent = text; }
  }
  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function fallback(btn, el) {
    selectText(el);
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    say(btn, btn.getAttribute(ok ? "data-copied" : "data-copy-hint") || "");
  }
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-copy]");
    if (!btn) { return; }
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (!el) { return; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(el.textContent.trim()).then(function () {
        say(btn, btn.getAttribute("data-copied") || "");
      }, function () { fallback(btn, el); });
      return;
    }
    fallback(btn, el);
  });
})();

// "Select all" boxes: <input type="checkbox" data-select-all="NAME"> ticks
// every checkbox named NAME in the same form.
(function () {
  "use strict";
  document.addEventListener("change", function (ev) {
    var all = ev.target.closest("[data-select-all]");
    if (!all || !all.form) { return; }
    var boxes = all.form.querySelectorAll('input[type="checkbox"][name="' + all.getAttribute("data-select-all") + '"]');
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
  });
})();

// The live alert queue: <tbody data-live="/api/v1/alerts/stream?..."> is
// kept up to date from the server-sent events of the stream: a changed
// row is updated in place, a new alert that passes the page's filters is
// added on top, one that no longer passes leaves. The server sends the
// words in the reader's language; nothing here is translated.
(function () {
  "use strict";
  var body = document.querySelector("tbody[data-live]");
  if (!body || !window.EventSource) { return; }
  var canWork = body.getAttribute("data-can-work") === "1";
  var status = document.getElementById("alerts-live");
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function link(href, text) { var a = el("a", "", text); a.href = href; return a; }
  function statusCell(td, a) {
    td.textContent = a.status_label;
    td.appendChild(el("br"));
    td.appendChild(el("small", "", body.getAttribute("data-since") + " " + a.status_since_text));
  }
  function fill(tr, a) {
    var f = function (name) { return tr.querySelector('[data-f="' + name + '"]'); };
    var sev = f("severity");
    sev.textContent = "";
    sev.appendChild(el("span", "sev sev-" + a.severity, a.severity_label));
    f("count").textContent = String(a.count);
    f("last_seen").textContent = a.last_seen_text;
    statusCell(f("status"), a);
    f("assignee").textContent = a.assignee_name || "—";
  }
  function newRow(a) {
    var tr = el("tr", "alert-new");
    tr.setAttribute("data-alert-id", String(a.id));
    if (canWork) {
      var td = el("td"), box = el("input");
      box.type = "checkbox"; box.name = "id"; box.value = String(a.id);
      box.setAttribute("aria-label", body.getAttribute("data-select-label") + " " + a.id);
      td.appendChild(box); tr.appendChild(td);
    }
    var sev = el("td"); sev.setAttribute("data-f", "severity"); tr.appendChild(sev);
    var rule = el("td"), title = link("/alerts/" + a.id, "");
    title.appendChild(el("strong", "", a.rule_title));
    rule.appendChild(title); rule.appendChild(el("br"));
    var small = el("small"); small.appendChild(el("code", "", a.rule_id)); rule.appendChild(small);
    tr.appendChild(rule);
    var host = el("td", "nowrap");
    if (a.host_id) { host.appendChild(link("/hosts/" + a.host_id, a.host)); } else { host.textContent = a.host || "—"; }
    tr.appendChild(host);
    var unit = el("td"); unit.appendChild(link("/units/" + encodeURIComponent(a.unit), a.unit_name)); tr.appendChild(unit);
    ["count", "last_seen", "status", "assignee"].forEach(function (name) {
      var td = el("td", name === "count" ? "num" : (name === "last_seen" ? "nowrap" : ""));
      td.setAttribute("data-f", name); tr.appendChild(td);
    });
    fill(tr, a);
    return tr;
  }
  var src = new EventSource(body.getAttribute("data-live"));
  src.addEventListener("open", function () { if (status) { status.classList.add("live-on"); } });
  src.addEventListener("alert", function (ev) {
    var a;
    try { a = JSON.parse(ev.data); } catch (e) { return; }
    var tr = body.querySelector('tr[data-alert-id="' + a.id + '"]');
    if (!a.match) { if (tr) { tr.parentNode.removeChild(tr); } return; }
    if (tr) { fill(tr, a); tr.classList.add("alert-changed"); return; }
    body.insertBefore(newRow(a), body.firstChild);
    var empty = document.getElementById("alerts-empty");
    if (empty) { empty.hidden = true; }
    var note = document.getElementById("alerts-new");
    if (note) { note.hidden = false; }
  });
  src.addEventListener("reload", function () {
    var note = document.getElementById("alerts-new");
    if (note) { note.hidden = false; }
  });
  src.addEventListener("error", function () {
    if (status) {
      status.classList.remove("live-on");
      if (src.readyState === EventSource.CLOSED) { status.textContent = status.getAttribute("data-live-off"); }
    }
  });

  // Print links: <a href="#" data-print> (the readiness leadership view).
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest("[data-print]");
    if (!a) { return; }
    ev.preventDefault();
    window.print();
  });
})();
