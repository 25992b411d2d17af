//! The browser harness shared by the end-to-end tests (tests/e2e/) and the browser benchmark
//! (benches/browser.rs, which includes this file by path): a static server for `dist/` on a
//! loopback port, chromedriver, one Chromium session, and the page helpers the tests use.
//!
//! It needs the release build (`trunk build --release`) and chromedriver: `scripts/test` and
//! `scripts/bench` build `dist/` and export `CHROMEDRIVER` and `TONNAGE_CHROMIUM`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

const NEEDS: &str =
    "needs dist/ from `trunk build --release` and chromedriver: run scripts/test or scripts/bench";

/// The workspace root (the web app's package).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The release build to serve: `TONNAGE_DIST`, or `dist/`.
pub fn dist() -> PathBuf {
    std::env::var_os("TONNAGE_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("dist"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn mime(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// How the server answers: the tests serve `dist/` as any static host does; the benchmark
/// serves it `no-store` (every load downloads everything) with a probe script of its own.
#[derive(Default)]
pub struct Serve {
    /// Send `Cache-Control: no-store` with every response.
    pub no_store: bool,
    /// A script served at `/__probe.js` and loaded first, from a `<script>` added at the top of
    /// index.html's `<head>` (from the page's origin, so its Content-Security-Policy allows it).
    pub probe_js: Option<&'static str>,
}

/// The path of [`Serve::probe_js`].
pub const PROBE_PATH: &str = "/__probe.js";

/// A static file server for `dist/` on a loopback port, like any static host.
pub struct Server {
    pub url: String,
    server: Arc<tiny_http::Server>,
}

impl Server {
    pub fn start(serve: Serve) -> Server {
        let dist = dist();
        assert!(
            dist.join("index.html").is_file(),
            "{} has no index.html: {NEEDS}",
            dist.display()
        );
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let port = server.server_addr().to_ip().expect("ip address").port();
        let s = server.clone();
        std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let path = req
                    .url()
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("/")
                    .to_string();
                let (body, ct) = match serve.probe_js {
                    Some(js) if path == PROBE_PATH => {
                        (Some(js.as_bytes().to_vec()), "text/javascript")
                    }
                    probe => {
                        let rel = path.trim_start_matches('/');
                        let file = if rel.is_empty() || rel.contains("..") {
                            dist.join("index.html")
                        } else {
                            dist.join(rel)
                        };
                        let html = file.extension().is_some_and(|e| e == "html");
                        let body = std::fs::read(&file).ok().map(|b| match probe {
                            Some(_) if html => String::from_utf8_lossy(&b)
                                .replacen(
                                    "<head>",
                                    &format!("<head><script src=\"{PROBE_PATH}\"></script>"),
                                    1,
                                )
                                .into_bytes(),
                            _ => b,
                        });
                        (body, mime(&file))
                    }
                };
                let resp = match body {
                    Some(body) => {
                        let header =
                            |k: &str, v: &str| tiny_http::Header::from_bytes(k, v).expect("header");
                        let mut resp = tiny_http::Response::from_data(body)
                            .with_header(header("Content-Type", ct));
                        if serve.no_store {
                            resp = resp.with_header(header("Cache-Control", "no-store"));
                        }
                        resp.boxed()
                    }
                    None => tiny_http::Response::from_string("not found")
                        .with_status_code(404)
                        .boxed(),
                };
                let _ = req.respond(resp);
            }
        });
        Server {
            url: format!("http://127.0.0.1:{port}/"),
            server,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// chromedriver on a free loopback port, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let port = free_port();
        let child = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}; {NEEDS}"));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session on the served app, with its server and driver.
pub struct Session {
    pub client: Client,
    pub server: Server,
    /// Where the browser saves downloads.
    pub downloads: PathBuf,
    _driver: Driver,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Session {
    /// A browser window of `width` x `height` on `dist/` served as a static host serves it.
    pub async fn start(width: u32, height: u32) -> Session {
        Session::with_server(Server::start(Serve::default()), width, height).await
    }

    /// A browser window of `width` x `height` whose system asks for the dark colour scheme
    /// (`prefers-color-scheme: dark`), on `dist/`.
    pub async fn start_dark(width: u32, height: u32) -> Session {
        Session::launch(Server::start(Serve::default()), width, height, true).await
    }

    /// A browser window of `width` x `height` on `server`.
    pub async fn with_server(server: Server, width: u32, height: u32) -> Session {
        Session::launch(server, width, height, false).await
    }

    async fn launch(server: Server, width: u32, height: u32, dark: bool) -> Session {
        let driver = Driver::start();
        let profile = std::env::temp_dir().join(format!(
            "tonnage-browser-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let downloads = profile.join("downloads");
        std::fs::create_dir_all(&downloads).expect("downloads dir");
        let chromium =
            std::env::var("TONNAGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let mut caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false
                },
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    // The console into <profile>/chrome_debug.log (console_messages).
                    "--enable-logging", "--v=0",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        });
        // Headless Chromium keeps a window at least 500 px wide: a phone's width is emulated
        // (its viewport and device-width, as on the phone), or the "390 px" page would be 500.
        if width < 500 {
            caps["goog:chromeOptions"]["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1 }
            });
        }
        if dark {
            caps["goog:chromeOptions"]["args"]
                .as_array_mut()
                .expect("args")
                .push("--force-dark-mode".into());
        }
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a WebDriver session in Chromium");
        Session {
            client,
            server,
            downloads,
            _driver: driver,
            _profile: TempDir(profile),
        }
    }

    /// Open the app and wait until it has rendered the stack list.
    pub async fn open(&self, fragment: &str) {
        self.client
            .goto(&format!("{}{fragment}", self.server.url))
            .await
            .expect("navigate");
        let listed = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css("[data-testid=stack-list] li"))
            .await;
        if let Err(e) = listed {
            // Say what the page shows instead (a crash banner, a blank page) and what it logged.
            let body = self
                .client
                .execute(
                    "return document.body ? document.body.innerText : ''",
                    vec![],
                )
                .await
                .map(|v| v.to_string())
                .unwrap_or_default();
            let shot = self.screenshot("failed-open").await;
            panic!(
                "the stack list did not appear ({e}); the page shows: {}; screenshot {}; console: {:?}",
                body.chars().take(600).collect::<String>(),
                shot.display(),
                self.console_messages()
            );
        }
    }

    /// What a user does first on a page they just opened (a press on its title): the page then
    /// brings what is below its first screen (src/lazy.rs).
    pub async fn first_use(&self) {
        self.click("[data-testid=stack-title]").await;
        self.wait_for("[data-testid=editor]").await;
    }

    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    /// Wait until what follows the last edit once editing pauses (the review's findings, the
    /// address bar: `state::SETTLE`, 150 ms) has been laid out and painted, so the next click
    /// lands where the page shows the element: the findings growing above the editor move it.
    pub async fn settle(&self) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.client
            .execute_async(
                "var done = arguments[arguments.length - 1];\n\
                 requestAnimationFrame(function () { requestAnimationFrame(function () { done(); }); });",
                vec![],
            )
            .await
            .expect("animation frames");
    }

    /// Click `css` as a user does: scroll it to the middle of the window, let two frames pass
    /// (what the scroll brings, such as the sections below the first screen, is laid out),
    /// then press it. Content that arrives later (the worker's chart audit above the editor) can
    /// move the element after the scroll, under the sticky totals: a press the browser says lands
    /// on another element is tried again, scrolled anew, up to three times.
    pub async fn click(&self, css: &str) {
        let el = self.wait_for(css).await;
        let arg = serde_json::to_value(&el).expect("element reference");
        for attempt in 1.. {
            self.client
                .execute_async(
                    "var el = arguments[0], done = arguments[arguments.length - 1];\n\
                     el.scrollIntoView({ block: 'center' });\n\
                     requestAnimationFrame(function () { requestAnimationFrame(function () { done(); }); });",
                    vec![arg.clone()],
                )
                .await
                .expect("scroll into view");
            match el.click().await {
                Ok(()) => return,
                Err(fantoccini::error::CmdError::Standard(e))
                    if attempt < 3
                        && e.error == fantoccini::error::ErrorStatus::ElementClickIntercepted =>
                {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(e) => panic!("click {css}: {e:?}"),
            }
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("text")
    }

    /// An attribute, or for `value` the live property (what an input shows now).
    pub async fn attr(&self, css: &str, name: &str) -> String {
        let el = self.wait_for(css).await;
        let v = if name == "value" {
            el.prop(name).await
        } else {
            el.attr(name).await
        };
        v.expect("attribute").unwrap_or_default()
    }

    /// Wait until `css`'s attribute equals `want` (the page updates asynchronously).
    pub async fn wait_attr(&self, css: &str, name: &str, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.attr(css, name).await;
            if got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css}[{name}] is {got:?}, expected {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .len()
    }

    /// Save a PNG of the page to target/e2e-screenshots/<name>.png and return its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let dir = root().join("target").join("e2e-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }

    /// Every message the page wrote to the browser console so far (warnings, errors, CSP
    /// violations, `console.log`), as Chromium logs them to its profile's `chrome_debug.log`.
    pub fn console_messages(&self) -> Vec<String> {
        let log =
            std::fs::read_to_string(self._profile.0.join("chrome_debug.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| l.split_once(":CONSOLE").map(|(_, m)| m.to_string()))
            .collect()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

// ---- Page helpers ---------------------------------------------------------------------------

/// Type into a text field the way a person does: clear it, then type.
pub async fn type_into(s: &Session, css: &str, text: &str) {
    let el = s.wait_for(css).await;
    el.clear().await.expect("clear");
    el.send_keys(text).await.expect("type");
}

/// Wait for a finished download named `name` and return its bytes.
pub async fn downloaded(s: &Session, name: &str) -> Vec<u8> {
    let path = s.downloads.join(name);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(bytes) = std::fs::read(&path) {
            if !bytes.is_empty() {
                return bytes;
            }
        }
        assert!(
            Instant::now() < deadline,
            "{name} was not downloaded into {}",
            s.downloads.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The names of the files the page has fetched so far (Resource Timing).
pub async fn fetched(s: &Session) -> Vec<String> {
    let v = s
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)",
            vec![],
        )
        .await
        .expect("resource entries");
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Wait until exactly `n` elements match `css`.
pub async fn wait_count(s: &Session, css: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = s.count(css).await;
        if got == n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} matches {got} elements, expected {n}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The text of the Files preview (its `textContent`: blocks out of view are not rendered, so
/// WebDriver's visible text would miss them).
pub async fn preview_text(s: &Session) -> String {
    s.wait_for("[data-testid=preview]").await;
    s.client
        .execute(
            "return document.querySelector('[data-testid=preview]').textContent",
            vec![],
        )
        .await
        .expect("preview text")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The lines the Files preview highlights as differing from the preset.
pub async fn highlighted_lines(s: &Session) -> Vec<String> {
    let v = s
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=preview] .line.diff')].flatMap(e => e.textContent.split('\\n')).filter(l => l)",
            vec![],
        )
        .await
        .expect("highlighted lines");
    serde_json::from_value(v).expect("lines")
}

/// Wait until the address bar's fragment is a link holding `overrides` changes (the page
/// updates it once editing pauses), and return it.
pub async fn fragment_with(s: &Session, overrides: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = s.client.current_url().await.expect("url").to_string();
        let fragment = url
            .split_once('#')
            .map(|(_, f)| f.to_string())
            .unwrap_or_default();
        let got = tonnage_core::share::decode(tonnage_core::Catalog::builtin(), &fragment)
            .map(|c| c.override_count());
        if matches!(got, Ok(n) if n == overrides) {
            return fragment;
        }
        assert!(
            Instant::now() < deadline,
            "the address bar holds {got:?} changes, expected {overrides}: {url}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Wait until the text of `css` equals `want` (content that arrives asynchronously, such as
/// the Files preview the web worker renders).
pub async fn wait_text(s: &Session, css: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = s.text(css).await;
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} shows {got:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Wait until the `value` property of the input `css` equals `want`.
pub async fn wait_value(s: &Session, css: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = s
            .wait_for(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} has the value {got:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Scroll an element to the top of the viewport (for screenshots).
pub async fn scroll_to(s: &Session, css: &str) {
    s.wait_for(css).await;
    s.client
        .execute(
            &format!("document.querySelector('{css}').scrollIntoView()"),
            vec![],
        )
        .await
        .expect("scroll");
}

/// Print the page to PDF as `target/e2e-screenshots/<name>.pdf`, render every page to
/// `<name>-<n>.png` (50 dpi, to look at) and return the PDF's text (pdftotext -layout).
pub async fn print_to_pdf(s: &Session, name: &str) -> String {
    let pdf = s
        .client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .expect("print to PDF");
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let dir = root().join("target").join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("dir");
    let pdf_path = dir.join(format!("{name}.pdf"));
    std::fs::write(&pdf_path, &pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf_path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/setup)");
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "50"])
        .arg(&pdf_path)
        .arg(dir.join(name))
        .status()
        .expect("pdftoppm");
    assert!(status.success());
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Words that overlap other words in `target/e2e-screenshots/<name>.pdf` (from `pdftotext
/// -bbox`: each word's box per page), as "page N: a / b": text printed over text, as where a
/// table's last rows and its footnotes met at a page break. Two words overlap when their boxes
/// share more than a third of the smaller one.
pub fn pdf_overlapping_words(name: &str) -> Vec<String> {
    let html = pdftotext(name, "-bbox");
    let attr = |tag: &str, key: &str| -> f64 {
        let at = tag.find(&format!("{key}=\"")).expect("attribute") + key.len() + 2;
        tag[at..]
            .split('"')
            .next()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0.0)
    };
    let mut found = Vec::new();
    for (page, body) in html.split("<page ").skip(1).enumerate() {
        let words: Vec<(f64, f64, f64, f64, String)> = body
            .split("<word ")
            .skip(1)
            .map(|w| {
                let (tag, rest) = w.split_once('>').unwrap_or((w, ""));
                let text = rest.split("</word>").next().unwrap_or("").to_string();
                (
                    attr(tag, "xMin"),
                    attr(tag, "yMin"),
                    attr(tag, "xMax"),
                    attr(tag, "yMax"),
                    text,
                )
            })
            .collect();
        for (i, a) in words.iter().enumerate() {
            for b in &words[i + 1..] {
                let w = a.2.min(b.2) - a.0.max(b.0);
                let h = a.3.min(b.3) - a.1.max(b.1);
                if w <= 0.0 || h <= 0.0 {
                    continue;
                }
                let smaller = ((a.2 - a.0) * (a.3 - a.1)).min((b.2 - b.0) * (b.3 - b.1));
                if w * h > smaller / 3.0 {
                    found.push(format!("page {}: {} / {}", page + 1, a.4, b.4));
                }
            }
        }
    }
    found
}

/// The text of each page of `target/e2e-screenshots/<name>.pdf` (pdftotext -layout).
pub fn pdf_pages(name: &str) -> Vec<String> {
    pdftotext(name, "-layout")
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// `pdftotext <mode>` of `target/e2e-screenshots/<name>.pdf`.
fn pdftotext(name: &str, mode: &str) -> String {
    let pdf = root()
        .join("target")
        .join("e2e-screenshots")
        .join(format!("{name}.pdf"));
    let out = Command::new("pdftotext")
        .arg(mode)
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/setup)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}
