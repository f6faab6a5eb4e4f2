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
