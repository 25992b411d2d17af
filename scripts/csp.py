#!/usr/bin/env python3
"""Trunk post_build hook: give the built index.html a Content-Security-Policy.

Trunk loads the app with one inline module script; the policy allows exactly that script by its
SHA-256 hash, scripts and styles from the page's own origin, WebAssembly compilation, and nothing
from anywhere else: the app works offline and never talks to another origin.
"""
import base64
import hashlib
import os
import re
import sys

staging = os.environ.get("TRUNK_STAGING_DIR")
if not staging:
    sys.exit("csp.py runs as a trunk post_build hook (TRUNK_STAGING_DIR is not set)")
path = os.path.join(staging, "index.html")
with open(path, encoding="utf-8") as f:
    html = f.read()

scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S)
hashes = " ".join(
    "'sha256-%s'" % base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode()
    for s in scripts
)
policy = "; ".join([
    "default-src 'self'",
    f"script-src 'self' 'wasm-unsafe-eval' {hashes}".strip(),
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
])
meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\s*', "", html)
html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n  ' + meta, 1)
with open(path, "w", encoding="utf-8") as f:
    f.write(html)
print(f"csp.py: policy with {len(scripts)} inline script hash(es)")
