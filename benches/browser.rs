//! Browser benchmark: the release build (`dist/`) in headless Chromium over loopback, driven
//! through chromedriver. It prints figures; it is not a pass/fail test (budgets and results are
//! in BENCHMARKS.md).
//!
//! Run with `scripts/bench` (builds `dist/` first), or `cargo bench -p tonnage --bench browser`
//! after `source scripts/setup && trunk build --release --offline`.
//!
//! What it measures:
//! - **first load**: what the page downloads (from the browser's resource timing, sized as
//!   gzip -9 of the files in `dist/`), and navigation start -> the first plan in the page (the
//!   totals' `data-testid=total-baseline-requests-cpu` element inserted, seen by a
//!   MutationObserver that a script injected at the top of `<head>` installs before anything
//!   else runs). Every load is a fresh navigation with an empty localStorage and
//!   `Cache-Control: no-store`, so nothing comes from a cache. Then the first use of that page
//!   (a pointer press) -> the sections below the first screen shown (their code is fetched
//!   then, src/lazy.rs), and what that fetches.
//! - **edit**: a replica count typed into the editor (its value set and an `input` event
//!   dispatched, as a keystroke does) -> the baseline CPU total's `data-value` changed and the
//!   Files preview of the chart's manifests re-rendered, plus a forced layout: the work that
//!   must fit in a frame. Measured inside the page with `performance.now()`; also the time to
//!   the next animation frame after that (includes waiting for vsync). Over the largest chart
//!   (cauldron-infra, 11 components) and over all five charts together.
//!
//! Environment: `TONNAGE_DIST` (default `dist/`), `CHROMEDRIVER`, `TONNAGE_CHROMIUM` (as
//! `scripts/setup` exports them), `BENCH_LOADS` (default 30), `BENCH_EDITS` (default 120).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

/// The end-to-end tests' harness (server, chromedriver, Chromium session); the benchmark uses
/// part of it.
#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/e2e/harness.rs"]
#[allow(dead_code)]
mod harness;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::io::Write;
    use std::time::{Duration, Instant};

    use fantoccini::Locator;
    use serde_json::{json, Value as Json};
    use tonnage_core::{plan, Catalog, Configuration};

    use super::harness::{dist, Serve, Server, Session, PROBE_PATH};

    const ALL: [&str; 5] = [
        "cauldron-infra",
        "cauldron-frappe",
        "rhesis",
        "caracal",
        "rae-memory",
    ];

    /// Installed before any other script of the page: records when the first plan appears.
    const PROBE_JS: &str = r#"(function () {
  var sel = '[data-testid=total-baseline-requests-cpu]';
  window.__bench = { inserted: null, frame: null };
  var obs = new MutationObserver(function () {
    if (window.__bench.inserted === null && document.querySelector(sel)) {
      window.__bench.inserted = performance.now();
      obs.disconnect();
      requestAnimationFrame(function () { window.__bench.frame = performance.now(); });
    }
  });
  obs.observe(document, { childList: true, subtree: true });
  // The Files worker's messages, to break an edit down: request posted, reply received.
  window.__bench.posts = [];
  window.__bench.replies = [];
  var W = window.Worker;
  if (W) {
    window.Worker = function (url, opts) {
      var w = new W(url, opts);
      var post = w.postMessage;
      w.postMessage = function () {
        window.__bench.posts.push(performance.now());
        return post.apply(w, arguments);
      };
      w.addEventListener('message', function () { window.__bench.replies.push(performance.now()); });
      return w;
    };
    window.Worker.prototype = W.prototype;
  }
})();
"#;

    /// One edit, timed in the page. Arguments: input selector, new value, callback.
    const EDIT_JS: &str = r#"
var sel = arguments[0], value = arguments[1], withPreview = arguments[2];
var done = arguments[arguments.length - 1];
var totalSel = '[data-testid=total-baseline-requests-cpu]';
var pre = document.querySelector('[data-testid=preview]');
var input = document.querySelector(sel);
if (!input || (withPreview && !pre)) { done({ error: 'missing input or preview' }); return; }
var totalBefore = document.querySelector(totalSel).getAttribute('data-value');
var textBefore = withPreview ? pre.textContent : null;
var t0 = 0, finished = false, tTotals = null;
function after(xs) {
  for (var i = 0; i < xs.length; i++) { if (xs[i] >= t0) return xs[i] - t0; }
  return null;
}
function check() {
  if (finished) return;
  var total = document.querySelector(totalSel);
  var p = document.querySelector('[data-testid=preview]');
  if (!total || total.getAttribute('data-value') === totalBefore) return;
  if (tTotals === null) tTotals = performance.now() - t0;
  if (withPreview && (!p || p.textContent === textBefore)) return;
  document.body.getBoundingClientRect(); // style and layout, as a frame would
  var t1 = performance.now();
  finished = true;
  obs.disconnect();
  var b = window.__bench || { posts: [], replies: [] };
  var phases = { totals: tTotals, post: after(b.posts || []), reply: after(b.replies || []) };
  requestAnimationFrame(function () {
    done({ dom: t1 - t0, frame: performance.now() - t0, phases: phases });
  });
}
var obs = new MutationObserver(check);
obs.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
setTimeout(function () { if (!finished) { finished = true; obs.disconnect(); done({ error: 'no update within 5 s', total: document.querySelector(totalSel).getAttribute('data-value'), before: totalBefore, value: input.value, connected: input.isConnected, url: location.href }); } }, 5000);
t0 = performance.now();
input.value = value;
input.dispatchEvent(new Event('input', { bubbles: true }));
check();
"#;

    fn env_count(name: &str, default: usize) -> usize {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// `dist/` served `no-store`, so every load downloads everything, with [`PROBE_JS`]
    /// installed before any other script of the page; a window of a laptop's size.
    async fn start() -> Session {
        let server = Server::start(Serve {
            no_store: true,
            probe_js: Some(PROBE_JS),
        });
        Session::with_server(server, 1440, 1000).await
    }

    /// What the benchmark does in the page, on top of the harness.
    impl Session {
        async fn js(&self, script: &str, args: Vec<Json>) -> Json {
            self.client
                .execute(script, args)
                .await
                .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
        }

        /// A fresh load of the app with nothing saved: returns the page's figures.
        async fn load(&self) -> Json {
            self.client.goto("about:blank").await.expect("about:blank");
            self.client.goto(&self.server.url).await.expect("navigate");
            self.js("localStorage.clear();", vec![]).await;
            self.client.goto("about:blank").await.expect("about:blank");
            self.client.goto(&self.server.url).await.expect("navigate");
            self.wait_for("[data-testid=total-baseline-requests-cpu]")
                .await;
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let v = self
                    .js(
                        "return { b: window.__bench, \
                           res: performance.getEntriesByType('resource').map(function (r) { \
                             return new URL(r.name).pathname; }) };",
                        vec![],
                    )
                    .await;
                if v["b"]["frame"].is_number() || Instant::now() > deadline {
                    let mut v = v;
                    v["use"] = self.timed_first_use().await;
                    return v;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }

        /// The first use of a page just loaded (a pointer press, as a click starts): the time
        /// until the sections below the first screen (src/lazy.rs: the review's findings and
        /// the editor) are in the page and a frame has followed, and the files that fetched.
        async fn timed_first_use(&self) -> Json {
            self.client
                .execute_async(
                    "var done = arguments[arguments.length - 1];\n\
                     var shown = function () { return document.querySelector('[data-testid=editor]') \
                       && document.querySelector('[data-testid=findings]'); };\n\
                     if (shown()) { done(null); return; }\n\
                     var before = performance.getEntriesByType('resource').length;\n\
                     var t0 = performance.now();\n\
                     var obs = new MutationObserver(function () {\n\
                       if (!shown()) return;\n\
                       obs.disconnect();\n\
                       requestAnimationFrame(function () { done({ ms: performance.now() - t0, \
                         res: performance.getEntriesByType('resource').slice(before).map(function (r) { \
                           return new URL(r.name).pathname; }) }); });\n\
                     });\n\
                     obs.observe(document.body, { childList: true, subtree: true });\n\
                     window.dispatchEvent(new PointerEvent('pointerdown'));",
                    vec![],
                )
                .await
                .unwrap_or_else(|e| panic!("first use: {e}"))
        }
    }

    /// Percentile by nearest rank over sorted values.
    fn pct(sorted: &[f64], p: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1]
    }

    fn summary(label: &str, mut xs: Vec<f64>) -> String {
        xs.sort_by(|a, b| a.total_cmp(b));
        format!(
            "{label:<44} n={:<4} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms",
            xs.len(),
            pct(&xs, 50.0),
            pct(&xs, 95.0),
            xs.last().copied().unwrap_or(f64::NAN)
        )
    }

    /// The strings of a JSON array (resource paths).
    fn paths(v: &Json) -> Vec<String> {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }

    fn gzip9(bytes: &[u8]) -> usize {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(bytes).expect("gzip");
        enc.finish().expect("gzip").len()
    }

    /// A replicas field of `stack` whose change moves the baseline CPU total, with two values to
    /// alternate between (found with the core, so the edit always changes the totals).
    fn edit_target(stack: &str) -> (String, [i64; 2]) {
        let cat = Catalog::builtin();
        let chart = cat.chart(stack).expect("chart");
        let base = Configuration::new(cat, &[stack], "prod").expect("prod preset");
        let cpu = |c: &Configuration| plan(cat, c).totals.baseline.requests.cpu_millicores;
        for comp in &chart.components {
            let Some(path) = &comp.values.replicas else {
                continue;
            };
            let mut a = base.clone();
            let mut b = base.clone();
            if a.set(cat, stack, path, 3.into()).is_err()
                || b.set(cat, stack, path, 4.into()).is_err()
            {
                continue;
            }
            if cpu(&a) != cpu(&b) {
                return (
                    format!("[data-testid=field-{stack}-{}-replicas]", comp.id),
                    [3, 4],
                );
            }
        }
        panic!("{stack} has no replicas field that moves the totals");
    }

    async fn edits(
        s: &Session,
        stacks: &[&str],
        n: usize,
        with_preview: bool,
    ) -> (Vec<f64>, Vec<f64>, Vec<(&'static str, Vec<f64>)>) {
        s.load().await;
        // The charts: the first alone, then tick the others.
        s.client
            .find(Locator::Css(&format!("[data-testid=stack-{}]", stacks[0])))
            .await
            .expect("stack button")
            .click()
            .await
            .expect("click");
        for id in &stacks[1..] {
            s.client
                .find(Locator::Css(&format!("[data-testid=stack-add-{id}]")))
                .await
                .expect("stack checkbox")
                .click()
                .await
                .expect("click");
        }
        // The prod preset, so the figures are the big ones.
        s.wait_for("[data-testid=env-prod]").await;
        s.client
            .find(Locator::Css("[data-testid=env-prod]"))
            .await
            .expect("env button")
            .click()
            .await
            .expect("click");
        // Files panel open, showing the largest chart's manifests.
        if with_preview {
            s.js(
                "document.querySelector('[data-testid=files]').open = true;",
                vec![],
            )
            .await;
            let file = format!("[data-testid=file-manifests-{}-yaml]", stacks[0]);
            s.wait_for(&file).await;
            s.client
                .find(Locator::Css(&file))
                .await
                .expect("file button")
                .click()
                .await
                .expect("click");
            s.wait_for("[data-testid=preview]").await;
        }
        let (input, values) = edit_target(stacks[0]);
        s.wait_for(&input).await;
        // Start with the value the field does not show, so every edit changes the totals.
        let shown = s
            .js(
                "return document.querySelector(arguments[0]).value;",
                vec![json!(input)],
            )
            .await;
        let start = usize::from(shown.as_str() == Some(values[0].to_string().as_str()));
        let (mut dom, mut frame) = (Vec::new(), Vec::new());
        let mut phases: Vec<(&'static str, Vec<f64>)> = ["totals", "post", "reply"]
            .into_iter()
            .map(|k| (k, Vec::new()))
            .collect();
        // A few warm-up edits (first-use allocations, JIT tiers), not counted.
        for i in 0..(n + 10) {
            let v = values[(i + start) % 2].to_string();
            let r = s
                .client
                .execute_async(EDIT_JS, vec![json!(input), json!(v), json!(with_preview)])
                .await
                .expect("edit script");
            if let Some(e) = r.get("error") {
                panic!("edit {i} on {}: {e}: {r}", stacks.join("+"));
            }
            if i >= 10 {
                dom.push(r["dom"].as_f64().unwrap_or(f64::NAN));
                frame.push(r["frame"].as_f64().unwrap_or(f64::NAN));
                for (k, xs) in &mut phases {
                    if let Some(t) = r["phases"][*k].as_f64() {
                        xs.push(t);
                    }
                }
            }
        }
        (dom, frame, phases)
    }

    pub fn main() {
        // `cargo bench` passes `--bench`; nothing else is accepted.
        let loads = env_count("BENCH_LOADS", 30);
        let n_edits = env_count("BENCH_EDITS", 120);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async move {
            let s = start().await;
            let ua = s.js("return navigator.userAgent;", vec![]).await;
            println!("browser benchmark: {}", ua.as_str().unwrap_or("?"));
            println!("dist: {}", dist().display());

            // First load: what it downloads, and when the plan shows.
            let mut inserted = Vec::new();
            let mut framed = Vec::new();
            let mut fetched: Vec<String> = Vec::new();
            let mut used = Vec::new();
            let mut use_fetched: Vec<String> = Vec::new();
            for _ in 0..loads.max(1) {
                let v = s.load().await;
                if let Some(t) = v["use"]["ms"].as_f64() {
                    used.push(t);
                }
                use_fetched = paths(&v["use"]["res"]);
                if let Some(t) = v["b"]["inserted"].as_f64() {
                    inserted.push(t);
                }
                if let Some(t) = v["b"]["frame"].as_f64() {
                    framed.push(t);
                }
                fetched = paths(&v["res"]);
            }
            println!();
            println!("first load downloads (gzip -9 of the files in dist/):");
            let mut files: Vec<String> = vec!["/index.html".into()];
            files.extend(fetched.into_iter().filter(|f| f != PROBE_PATH));
            // What index.html links (the favicon, which headless Chromium may not fetch).
            let html = std::fs::read_to_string(dist().join("index.html")).unwrap_or_default();
            for attr in ["href=\"/", "src=\"/"] {
                for part in html.split(attr).skip(1) {
                    if let Some(end) = part.find('"') {
                        files.push(format!("/{}", &part[..end]));
                    }
                }
            }
            files.sort();
            files.dedup();
            let mut total = 0;
            for f in &files {
                let rel = f.trim_start_matches('/');
                let path = if rel.is_empty() {
                    dist().join("index.html")
                } else {
                    dist().join(rel)
                };
                match std::fs::read(&path) {
                    Ok(b) => {
                        let gz = gzip9(&b);
                        total += gz;
                        println!("  {:<48} {:>9} B   gzip {:>8} B", f, b.len(), gz);
                    }
                    Err(_) => println!("  {f:<48} (not in dist/)"),
                }
            }
            println!(
                "  {:<48} {:>9}     gzip {:>8} B = {:.1} KB (budget 350 KB)",
                "total",
                "",
                total,
                total as f64 / 1000.0
            );
            println!();
            println!(
                "{}",
                summary("navigation -> first plan in the page", inserted)
            );
            println!("{}", summary("navigation -> next frame after it", framed));
            let use_gz: usize = use_fetched
                .iter()
                .filter_map(|f| std::fs::read(dist().join(f.trim_start_matches('/'))).ok())
                .map(|b| gzip9(&b))
                .sum();
            println!(
                "{}",
                summary("first use -> sections below the first screen", used)
            );
            println!(
                "  (which fetches {} files, gzip {:.1} KB)",
                use_fetched.len(),
                use_gz as f64 / 1000.0
            );

            for (stacks, with_preview) in [
                (&["cauldron-infra"][..], true),
                (&ALL[..], true),
                (&["cauldron-infra"][..], false),
                (&ALL[..], false),
            ] {
                let (dom, frame, phases) = edits(&s, stacks, n_edits.max(1), with_preview).await;
                let label = if stacks.len() == 1 {
                    stacks[0].to_string()
                } else {
                    "all five charts".to_string()
                };
                println!();
                let (head, what) = if with_preview {
                    (
                        "Files panel showing its manifests",
                        "  edit -> totals and preview updated + layout",
                    )
                } else {
                    ("Files panel closed", "  edit -> totals updated + layout")
                };
                println!("edit a replica count, {label} (prod), {head}:");
                println!("{}", summary(what, dom));
                println!("{}", summary("  edit -> next animation frame", frame));
                // Where the time goes: when the totals showed, when the page posted its
                // request to the Files worker, when the worker's reply arrived.
                for (k, xs) in phases {
                    if !xs.is_empty() {
                        let label = match k {
                            "totals" => "  (edit -> totals shown)",
                            "post" => "  (edit -> request posted to the worker)",
                            _ => "  (edit -> worker's reply received)",
                        };
                        println!("{}", summary(label, xs));
                    }
                }
            }
            let _ = s.client.close().await;
        });
    }
}
