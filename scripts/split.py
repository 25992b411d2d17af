#!/usr/bin/env python3
"""Trunk post_build hook, before csp.py: put the page's lazily loaded wasm chunks into dist.

scripts/bin/wasm-bindgen split the page's wasm (src/lazy.rs) and left the chunks and their
loader, __wasm_split.js, in target/wasm-bindgen/<profile>/split/. This hook
- runs wasm-opt -Oz on every chunk (trunk optimizes only the main module) into dist, named by
  a hash of its content, so a browser never mixes chunks of two builds;
- writes the loader as __wasm_split-<hash>.js, pointing at those chunks and at the page's
  hashed JS module (wasm-split wrote ./tonnage-web.js);
- points the page's JS module at the hashed loader and updates that module's integrity in
  index.html (trunk's modulepreload link carries its sha384).
A build without split points (no split/ folder) is left as it is.
"""
import base64
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys

NAME = "tonnage-web"

staging = os.environ.get("TRUNK_STAGING_DIR")
source = os.environ.get("TRUNK_SOURCE_DIR", ".")
profile = os.environ.get("TRUNK_PROFILE", "release")
if not staging:
    sys.exit("split.py runs as a trunk post_build hook (TRUNK_STAGING_DIR is not set)")
target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(source, "target")
split_dir = os.path.join(target, "wasm-bindgen", profile, "split")
loader_src = os.path.join(split_dir, "__wasm_split.js")
if not os.path.exists(loader_src):
    print("split.py: no split points in this build")
    sys.exit(0)


def short_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


mains = [p for p in glob.glob(os.path.join(staging, f"{NAME}-*.js")) if not p.endswith("_loader.js")]
if len(mains) != 1:
    sys.exit(f"split.py: expected one {NAME}-<hash>.js in {staging}, found {mains}")
main_js = mains[0]
main_name = os.path.basename(main_js)

with open(loader_src, encoding="utf-8") as f:
    loader = f.read()
if f'"./{NAME}.js"' not in loader:
    sys.exit(f"split.py: {loader_src} does not import ./{NAME}.js")
loader = loader.replace(f'"./{NAME}.js"', f'"./{main_name}"')

wasm_opt = shutil.which("wasm-opt")
if not wasm_opt:
    sys.exit("split.py: wasm-opt is not on PATH (scripts/setup installs it)")
optimize = profile == "release"
total = 0
chunks = sorted(p for p in glob.glob(os.path.join(split_dir, "*.wasm")) if os.path.basename(p) != f"{NAME}.wasm")
for chunk in chunks:
    stem = os.path.basename(chunk)[: -len(".wasm")]
    if f'"./{stem}.wasm"' not in loader:
        sys.exit(f"split.py: the loader does not fetch {stem}.wasm")
    tmp = os.path.join(staging, f"{stem}.tmp.wasm")
    if optimize:
        subprocess.run([wasm_opt, "-Oz", chunk, "-o", tmp], check=True)
    else:
        shutil.copyfile(chunk, tmp)
    with open(tmp, "rb") as f:
        data = f.read()
    hashed = f"{stem}-{short_hash(data)}.wasm"
    os.replace(tmp, os.path.join(staging, hashed))
    loader = loader.replace(f'"./{stem}.wasm"', f'"./{hashed}"')
    total += len(data)

loader_bytes = loader.encode("utf-8")
loader_name = f"__wasm_split-{short_hash(loader_bytes)}.js"
with open(os.path.join(staging, loader_name), "wb") as f:
    f.write(loader_bytes)

with open(main_js, encoding="utf-8") as f:
    js = f.read()
# Only the import statements (one per split point): "./__wasm_split.js" is also the wasm's import module name, the key
# of the imports object.
js, n = re.subn(r'(\bfrom\s*["\'])\./__wasm_split\.js(["\'])', lambda m: m.group(1) + "./" + loader_name + m.group(2), js)
if n == 0:
    sys.exit(f"split.py: {main_name} does not import ./__wasm_split.js")
js_bytes = js.encode("utf-8")
with open(main_js, "wb") as f:
    f.write(js_bytes)

index = os.path.join(staging, "index.html")
with open(index, encoding="utf-8") as f:
    html = f.read()
link = re.compile(r'(<link rel="modulepreload" href="/' + re.escape(main_name) + r'"[^>]*integrity=")[^"]*(")')
html, n = link.subn(lambda m: m.group(1) + sri(js_bytes) + m.group(2), html)
if n != 1:
    sys.exit(f"split.py: no modulepreload link with an integrity for {main_name} in index.html")
with open(index, "w", encoding="utf-8") as f:
    f.write(html)
print(f"split.py: {len(chunks)} chunk(s), {total} B, loader {loader_name}")
