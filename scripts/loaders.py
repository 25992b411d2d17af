#!/usr/bin/env python3
"""Trunk post_build hook, after split.py and before csp.py: no console warnings from what trunk
0.21.14 writes to load the wasm modules.

- The wasm preload: trunk puts an `integrity` on `<link rel="preload" as="fetch">`. Chromium does
  not check it for fetch destinations and warns on every load ("The `integrity` attribute is
  currently ignored for preload destinations that do not support subresource integrity",
  crbug.com/981419); wasm-bindgen's own fetch of the module carries no integrity either, so the
  attribute protected nothing. It is removed from those links only (the JS module's
  modulepreload keeps its integrity, which the browser does check).
- The worker's loader shim (data-loader-shim) calls `wasm_bindgen("./x_bg.wasm")`, the string
  form wasm-bindgen 0.2.130 deprecates ("using deprecated parameters for the initialization
  function"); it is rewritten to the object form `wasm_bindgen({ module_or_path: ... })`.
"""
import glob
import os
import re
import sys

staging = os.environ.get("TRUNK_STAGING_DIR")
if not staging:
    sys.exit("loaders.py runs as a trunk post_build hook (TRUNK_STAGING_DIR is not set)")

index = os.path.join(staging, "index.html")
with open(index, encoding="utf-8") as f:
    html = f.read()
preload = re.compile(r'<link rel="preload"[^>]*\bas="fetch"[^>]*>')
html, n = preload.subn(lambda m: re.sub(r'\s+integrity="[^"]*"', "", m.group(0)), html)
with open(index, "w", encoding="utf-8") as f:
    f.write(html)

shims = 0
for shim in glob.glob(os.path.join(staging, "*_loader.js")):
    with open(shim, encoding="utf-8") as f:
        js = f.read()
    js, k = re.subn(r'wasm_bindgen\((["\'][^"\']+["\'])\)', r"wasm_bindgen({ module_or_path: \1 })", js)
    if k != 1:
        sys.exit(f"loaders.py: {shim} has no wasm_bindgen(\"...\") call to rewrite")
    with open(shim, "w", encoding="utf-8") as f:
        f.write(js)
    shims += 1
print(f"loaders.py: {n} wasm preload(s) without integrity, {shims} worker shim(s) with the object form")
