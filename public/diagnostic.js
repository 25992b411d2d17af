// "Copy diagnostic" for the crash banner. Plain JavaScript on purpose: after a panic the
// WebAssembly instance is gone, so the button must not need it. Loaded from our own origin
// (the page's Content-Security-Policy allows no inline handlers).
document.addEventListener("click", function (ev) {
  var button = ev.target.closest && ev.target.closest("[data-copy-diagnostic]");
  if (!button) return;
  var text = document.getElementById("tonnage-diagnostic");
  if (!text) return;
  var done = function () { button.textContent = "Diagnostic copied"; };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text.value).then(done, function () { text.select(); });
  } else {
    text.select();
  }
});
