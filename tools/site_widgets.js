// Course website: settings for the vendored Jupyter widget renderer (see tools/site.py).
// 1. The renderer loads its icon fonts from the folder of its own module: point it at the
//    vendored copy, so nothing is fetched from a CDN.
require.config({
  paths: { "@jupyter-widgets/html-manager": "_static/vendor/html-manager" },
});
// 2. A stored widget shows its last state but cannot compute. Its controls get an accessible
//    name from their visible label, so screen readers say what each slider or box is.
function nameWidgetControls() {
  document.querySelectorAll(".widget-inline-hbox, .widget-box, .jupyter-widgets").forEach((w) => {
    const label = w.querySelector(":scope > .widget-label, :scope > label");
    const text = (label && label.textContent.trim()) || "stored widget control";
    w.querySelectorAll("input, select, textarea, [role=slider], [role=textbox]").forEach((c) => {
      if (!c.getAttribute("aria-label") && !c.labels?.length) c.setAttribute("aria-label", text);
    });
  });
}
new MutationObserver(nameWidgetControls).observe(document.documentElement, {
  childList: true,
  subtree: true,
});
