//! End-to-end tests: serve the release build (`dist/`, made by `trunk build --release`) on a
//! loopback port, drive real Chromium through chromedriver, assert on what the page shows, and
//! save a PNG screenshot of each scenario under `target/e2e-screenshots/`.
//!
//! They need the release build and chromedriver, so they are `#[ignore]`d in a plain
//! `cargo test`; `scripts/test` builds `dist/` and runs them with `--ignored`.
#![cfg(not(target_arch = "wasm32"))]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

const NEEDS: &str = "needs dist/ from `trunk build --release` and chromedriver: run scripts/test";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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

/// A static file server for `dist/` on a loopback port, like any static host.
pub struct Server {
    pub url: String,
    server: Arc<tiny_http::Server>,
}

impl Server {
    fn start() -> Server {
        let dist = std::env::var_os("TONNAGE_DIST")
            .map(PathBuf::from)
            .unwrap_or_else(|| root().join("dist"));
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
                let rel = path.trim_start_matches('/');
                let file = if rel.is_empty() || rel.contains("..") {
                    dist.join("index.html")
                } else {
                    dist.join(rel)
                };
                let resp = match std::fs::read(&file) {
                    Ok(body) => {
                        let ct = tiny_http::Header::from_bytes("Content-Type", mime(&file))
                            .expect("header");
                        tiny_http::Response::from_data(body).with_header(ct).boxed()
                    }
                    Err(_) => tiny_http::Response::from_string("not found")
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
    pub async fn start(width: u32, height: u32) -> Session {
        let server = Server::start();
        let driver = Driver::start();
        let profile = std::env::temp_dir().join(format!(
            "tonnage-e2e-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&profile).expect("profile dir");
        let downloads = profile.join("downloads");
        std::fs::create_dir_all(&downloads).expect("downloads dir");
        let chromium =
            std::env::var("TONNAGE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let caps = serde_json::json!({
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
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ]
            }
        });
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
        self.wait_for("[data-testid=stack-list] li").await;
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
    /// then press it.
    pub async fn click(&self, css: &str) {
        let el = self.wait_for(css).await;
        let arg = serde_json::to_value(&el).expect("element reference");
        self.client
            .execute_async(
                "var el = arguments[0], done = arguments[arguments.length - 1];\n\
                 el.scrollIntoView({ block: 'center' });\n\
                 requestAnimationFrame(function () { requestAnimationFrame(function () { done(); }); });",
                vec![arg],
            )
            .await
            .expect("scroll into view");
        el.click().await.expect("click");
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

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn page_lists_the_five_stacks() {
    let s = Session::start(1280, 720).await;
    s.open("").await;
    assert_eq!(s.count("[data-testid=stack-list] li").await, 5);
    for (id, name) in [
        ("cauldron-infra", "Cauldron"),
        ("cauldron-frappe", "Frappe"),
        ("rhesis", "Rhesis"),
        ("caracal", "Caracal"),
        ("rae-memory", "RAE"),
    ] {
        let t = s.text(&format!("[data-testid=stack-{id}]")).await;
        assert!(t.contains(name), "stack {id} shows {t:?}");
    }
    s.screenshot("01-stacks").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn selecting_a_stack_shows_its_components() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    assert!(s
        .text("[data-testid=stack-title]")
        .await
        .contains("Caracal"));
    for id in [
        "postgresql",
        "redis",
        "kafka",
        "zookeeper",
        "schema-registry",
        "gateway",
        "mcp-adapter",
        "ledger-writer",
        "metrics-aggregator",
        "audit-logger",
    ] {
        s.wait_for(&format!("[data-testid=card-caracal-{id}]"))
            .await;
    }
    let kafka = s.text("[data-testid=card-caracal-kafka]").await;
    assert!(
        kafka.contains("StatefulSet") && kafka.contains("stateful"),
        "{kafka}"
    );
    let gateway = s.text("[data-testid=card-caracal-gateway]").await;
    assert!(gateway.contains("stateless"), "{gateway}");
    s.screenshot("02-caracal-components").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn plan_totals_are_the_core_figures() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-local]").await;
    // The chart's own values-local.yaml (real Helm's figures): 2.35 / 4.7 cores,
    // 4.625 / 9.25 GiB, and 1.5 GiB of claims (postgres-pvc 1Gi, redis-pvc 512Mi).
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "2350",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-limits-cpu]",
        "data-value",
        "4700",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        "4966055936",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-limits-memory]",
        "data-value",
        "9932111872",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-storage]",
        "data-value",
        "1610612736",
    )
    .await;
    assert!(s
        .text("[data-testid=total-baseline-requests-cpu]")
        .await
        .contains("2.35"));
    s.screenshot("03-rhesis-local-plan").await;
    // Production rows summed honestly: 8 / 16 cores, 16 / 32 GiB, 110 GiB.
    s.click("[data-testid=env-prod]").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "8000",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-limits-cpu]",
        "data-value",
        "16000",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        "17179869184",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-storage]",
        "data-value",
        "118111600640",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-peak-limits-memory]",
        "data-value",
        "34359738368",
    )
    .await;
    s.screenshot("04-rhesis-prod-plan").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn readable_at_phone_width() {
    let s = Session::start(390, 844).await;
    s.open("").await;
    s.click("[data-testid=stack-rae-memory]").await;
    s.wait_for("[data-testid=plan-row-memory-api]").await;
    // No horizontal scrolling of the page itself at phone width.
    let overflow = s
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        overflow,
        serde_json::Value::Bool(true),
        "page scrolls sideways at 390px"
    );
    s.screenshot("05-phone-width").await;
    s.close().await;
}

/// Type into a text field the way a person does: clear it, then type.
async fn type_into(s: &Session, css: &str, text: &str) {
    let el = s.wait_for(css).await;
    el.clear().await.expect("clear");
    el.send_keys(text).await.expect("type");
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn configure_validate_reset_undo_and_autosave() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=reset-all]").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "8000",
    )
    .await;

    // Size: 4 backend replicas add one more 1-core replica.
    type_into(&s, "[data-testid=field-rhesis-backend-replicas]", "4").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "9000",
    )
    .await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    assert!(s
        .text("[data-testid=card-rhesis-backend]")
        .await
        .contains("preset: 3"));

    // A malformed quantity: the field says what is wrong, the last valid value stays.
    type_into(
        &s,
        "[data-testid=field-rhesis-worker-requests-memory]",
        "2Gx",
    )
    .await;
    let err = s
        .text("[data-testid=field-rhesis-worker-requests-memory-error]")
        .await;
    assert!(err.contains("2Gx"), "{err}");
    // Typing applies each valid prefix live, so the last valid value in effect is "2G" (the
    // input before the stray "x"): 5 workers x 2 GB instead of 5 x 1 GiB.
    let last_valid = (18_i64 << 30) - 5 * (1 << 30) + 5 * 2_000_000_000;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        &last_valid.to_string(),
    )
    .await;
    s.screenshot("06-invalid-quantity").await;
    // Fixing it applies it.
    type_into(
        &s,
        "[data-testid=field-rhesis-worker-requests-memory]",
        "1536Mi",
    )
    .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        &((18_i64 << 30) + 5 * (512 << 20)).to_string(),
    )
    .await;

    // A request above its limit is flagged at the field.
    type_into(&s, "[data-testid=field-rhesis-frontend-requests-cpu]", "3").await;
    let err = s
        .text("[data-testid=field-rhesis-frontend-requests-cpu-error]")
        .await;
    assert!(err.contains("above its limit"), "{err}");

    // Reset one field, then undo and redo it from the keyboard.
    s.click("[data-testid=field-rhesis-frontend-requests-cpu-reset]")
        .await;
    s.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    s.click("[data-testid=undo]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "3")
        .await;
    s.click("[data-testid=redo]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    // Ctrl+Z on the page (focus is on the Redo button, not in a field).
    let focused = s.client.active_element().await.expect("active element");
    focused.send_keys("\u{E009}z").await.expect("Ctrl+Z");
    s.wait_attr("[data-testid=change-count]", "data-value", "3")
        .await;

    // Turning off something others need says what breaks and offers an external endpoint.
    s.click("[data-testid=field-rhesis-postgresql-enabled]")
        .await;
    let warn = s.text("[data-testid=depwarn-rhesis-postgresql]").await;
    assert!(
        warn.contains("Backend") && warn.contains("Worker"),
        "{warn}"
    );
    s.wait_for("[data-testid=external-rhesis-postgresql]").await;
    s.screenshot("07-dependency-warning").await;

    // Switching preset keeps the edits, and says so.
    s.click("[data-testid=env-staging]").await;
    let notice = s.text("[data-testid=notice]").await;
    assert!(notice.contains("kept your 4 changes"), "{notice}");

    // Autosave: a reload restores everything.
    let before = s
        .attr("[data-testid=total-baseline-requests-cpu]", "data-value")
        .await;
    // At once after the last edit: the address bar may still hold the link of the edits
    // before it, and the page must not open that over the newer autosave.
    s.client.refresh().await.expect("reload");
    s.wait_for("[data-testid=stack-list] li").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "4")
        .await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        &before,
    )
    .await;
    assert!(s.text("[data-testid=stack-title]").await.contains("Rhesis"));
    s.click("[data-testid=reset-all]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "0")
        .await;
    s.screenshot("08-after-reset").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn several_charts_plan_together() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=env-prod]").await;
    let infra = s
        .attr("[data-testid=total-baseline-requests-cpu]", "data-value")
        .await;
    s.click("[data-testid=stack-add-cauldron-frappe]").await;
    s.wait_for("[data-testid=card-cauldron-frappe-web]").await;
    s.wait_for("[data-testid=plan-volume-sites]").await;
    let both: i64 = s
        .attr("[data-testid=total-baseline-requests-cpu]", "data-value")
        .await
        .parse()
        .unwrap();
    assert!(
        both > infra.parse::<i64>().unwrap(),
        "adding Frappe adds its requests"
    );
    assert!(s.text("[data-testid=stack-title]").await.contains("Frappe"));
    s.screenshot("09-infra-plus-frappe").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn share_link_round_trip_in_a_new_browser() {
    let a = Session::start(1280, 900).await;
    a.open("").await;
    a.click("[data-testid=stack-rae-memory]").await;
    a.click("[data-testid=env-prod]").await;
    type_into(
        &a,
        "[data-testid=field-rae-memory-memory-api-autoscaling-max]",
        "30",
    )
    .await;
    type_into(
        &a,
        "[data-testid=field-rae-memory-ml-service-requests-memory]",
        "6Gi",
    )
    .await;
    a.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    // The address bar follows the edits (once typing pauses).
    let fragment = fragment_with(&a, 2).await;
    assert!(fragment.starts_with("v1."), "{fragment}");
    assert!(
        fragment.len() <= 200,
        "fragment of {} chars",
        fragment.len()
    );
    a.click("[data-testid=copy-link]").await;
    let peak = a
        .attr("[data-testid=total-peak-requests-cpu]", "data-value")
        .await;
    let mem = a
        .attr("[data-testid=total-baseline-requests-memory]", "data-value")
        .await;
    a.close().await;

    // A different browser profile (nothing saved) opens the link: same plan.
    let b = Session::start(1280, 900).await;
    b.open(&format!("#{fragment}")).await;
    b.wait_attr("[data-testid=total-peak-requests-cpu]", "data-value", &peak)
        .await;
    b.wait_attr(
        "[data-testid=total-baseline-requests-memory]",
        "data-value",
        &mem,
    )
    .await;
    b.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    assert!(b.text("[data-testid=stack-title]").await.contains("RAE"));
    b.screenshot("10-opened-from-link").await;
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn broken_and_future_links_keep_saved_work() {
    let s = Session::start(1280, 800).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(&s, "[data-testid=field-caracal-gateway-replicas]", "5").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    let cpu = s
        .attr("[data-testid=total-baseline-requests-cpu]", "data-value")
        .await;
    for (fragment, says) in [
        ("v1.AAAA", "damaged"),
        ("v9.abcdef", "newer Tonnage"),
        ("hello", "not a Tonnage link"),
    ] {
        s.client.goto("about:blank").await.expect("blank");
        s.open(&format!("#{fragment}")).await;
        let notice = s.text("[data-testid=notice]").await;
        assert!(notice.contains(says), "{fragment}: {notice}");
        assert!(notice.contains("nothing was lost"), "{notice}");
        // The saved work is what the page shows.
        s.wait_attr("[data-testid=change-count]", "data-value", "1")
            .await;
        s.wait_attr(
            "[data-testid=total-baseline-requests-cpu]",
            "data-value",
            &cpu,
        )
        .await;
    }
    s.screenshot("11-broken-link").await;
    s.close().await;
}

/// A link holding values written as YAML (a quoted string, a multi-line option) is read by the
/// worker, since the page's own code has no YAML parser: it opens as any other link does, and
/// the work it replaced is one Undo away.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn link_with_yaml_values_opens_through_the_worker() {
    // "rae-memory dev, typed values", frozen in crates/tonnage-core/tests/data/links-v1.yaml:
    // it carries 4 overrides, of which decoding drops configMap.DEFAULT_DAILY_LIMIT (no key of the
    // real chart: the catalog's `removed`), so 3 changes; 4.75 cores requested at baseline (the
    // file's totals).
    const LINK: &str = "v1.JJOcWQ3LMQrCMBQA0D3H6G4MimPAQhUC6VYHIVCi_oaP9UeSVJwyOnkC79HRuzXbW94_3-DF5o8c7BiBzV-5ZVdPA7rWPnlzONYn3fVNrfS516pVndzsuBDsZ4l8sgk9RU4O6W04kgsQo-H36QKBIEEx-nWwCVYjPjCVLNi-RJC5ygnI0BQhxGoB";
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(&s, "[data-testid=field-caracal-gateway-replicas]", "5").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    s.client.goto("about:blank").await.expect("blank");
    s.open(&format!("#{LINK}")).await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "4750",
    )
    .await;
    s.wait_attr("[data-testid=change-count]", "data-value", "3")
        .await;
    assert!(s.text("[data-testid=stack-title]").await.contains("RAE"));
    let notice = s.text("[data-testid=notice]").await;
    assert!(notice.contains("Opened a shared configuration"), "{notice}");
    s.screenshot("10b-yaml-link-opened").await;
    // The saved work it replaced comes back with one Undo.
    s.click("[data-testid=undo]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    assert!(s
        .text("[data-testid=stack-title]")
        .await
        .contains("Caracal"));
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn compare_environments_and_architecture_diagram() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=compare] summary").await;
    let select = s.wait_for("[data-testid=compare-with]").await;
    select.select_by_value("local").await.expect("choose local");
    // prod - local = 8 - 2.35 cores, 110 - 1.5 GiB (local: the chart's values-local.yaml).
    let delta = s.text("[data-testid=compare-delta-baseline]").await;
    assert!(delta.contains("+5.65 cores"), "{delta}");
    assert!(delta.contains("+108.5 GiB"), "{delta}");
    assert!(s
        .text("[data-testid=compare-row-backend]")
        .await
        .contains("1 → 3"));
    // The diagram draws every component and the guide's arrows.
    assert_eq!(s.count("[data-testid=diagram] g.node").await, 5);
    assert!(s.count("[data-testid=diagram] path.edge").await >= 4);
    s.click("[data-testid=compare] summary").await;
    s.wait_for("[data-testid=diagram]").await.click().await.ok();
    s.client
        .execute(
            "document.querySelector('[data-testid=diagram]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("12-diagram").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn printed_report_is_clean() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-staging]").await;
    s.wait_attr(
        "[data-testid=total-baseline-requests-cpu]",
        "data-value",
        "7000",
    )
    .await;
    let pdf = s
        .client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .expect("print to PDF");
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    let dir = root().join("target").join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("dir");
    let pdf_path = dir.join("13-print.pdf");
    std::fs::write(&pdf_path, &pdf).expect("write pdf");
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf_path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/setup)");
    // Section titles are upper-cased by CSS, so compare case-insensitively.
    let text = String::from_utf8_lossy(&text.stdout).to_lowercase();
    for needed in [
        "Tonnage sizing review",
        "Staging",
        "7 cores",
        "Assumptions behind these figures",
        "Architecture",
        "Plan per component",
    ] {
        assert!(
            text.contains(&needed.to_lowercase()),
            "the report lacks {needed:?}"
        );
    }
    for absent in ["Reset component", "Copy link", "Undo"] {
        assert!(
            !text.contains(&absent.to_lowercase()),
            "the report shows the control {absent:?}"
        );
    }
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "1"])
        .arg(&pdf_path)
        .arg(dir.join("13-print"))
        .status()
        .expect("pdftoppm");
    assert!(status.success());
    s.close().await;
}

/// Wait for a finished download named `name` and return its bytes.
async fn downloaded(s: &Session, name: &str) -> Vec<u8> {
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

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn external_endpoint_replaces_a_switched_off_database() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-cauldron-infra]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=reset-all]").await;
    s.click("[data-testid=stack-add-cauldron-frappe]").await;
    s.wait_for("[data-testid=card-cauldron-frappe-web]").await;
    // Adding the chart changes the review's findings above the editor once editing pauses:
    // click after that.
    s.settle().await;
    // Switch off cauldron-infra's PostgreSQL: Frappe's components need it.
    s.click("[data-testid=field-cauldron-infra-postgresql-enabled]")
        .await;
    let warn = s
        .text("[data-testid=depwarn-cauldron-infra-postgresql]")
        .await;
    assert!(
        warn.contains("Web server (cauldron-frappe)") && warn.contains("cannot start"),
        "{warn}"
    );
    // The read replicas go off with it and are not listed as broken.
    assert!(!warn.contains("read"), "{warn}");
    let input = "[data-testid=external-cauldron-infra-postgresql]";
    // A malformed endpoint is refused at the field, naming the input.
    type_into(&s, input, "db.example.com:99999\u{E004}").await;
    let err = s
        .text("[data-testid=external-cauldron-infra-postgresql-error]")
        .await;
    assert!(
        err.contains("\"db.example.com:99999\"") && err.contains("1 to 65535"),
        "{err}"
    );
    // A good one is applied: the field says where it goes and the error is gone.
    type_into(&s, input, "db.example.com:3306\u{E004}").await;
    wait_text(
        &s,
        "[data-testid=external-cauldron-infra-postgresql-where]",
        "Written to cauldron-frappe: frappe.db.host and frappe.db.port",
    )
    .await;
    assert_eq!(
        s.count("[data-testid=external-cauldron-infra-postgresql-error]")
            .await,
        0
    );
    s.client
        .execute(
            "document.querySelector('[data-testid=card-cauldron-infra-postgresql]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("07b-external-endpoint").await;
    // The Files preview of Frappe's values shows the endpoint, not the in-cluster Service.
    s.click("[data-testid=files] summary").await;
    s.click("[data-testid=file-cauldron-frappe-values-prod-yaml]")
        .await;
    wait_text(
        &s,
        "[data-testid=preview-path]",
        "cauldron-frappe/values-prod.yaml",
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let t = preview_text(&s).await;
        if t.contains("host: db.example.com") || Instant::now() > deadline {
            break t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        text.contains("host: db.example.com") && text.contains("port: 3306"),
        "{text}"
    );
    assert!(
        !text.contains("cauldron-infra-postgresql-primary"),
        "{text}"
    );
    let highlighted = highlighted_lines(&s).await;
    assert!(
        highlighted
            .iter()
            .any(|l| l.contains("host: db.example.com")),
        "{highlighted:?}"
    );
    s.client
        .execute(
            "document.querySelector('[data-testid=preview]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("14b-external-endpoint-preview").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn preview_and_download_files() {
    use std::io::Read;
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(&s, "[data-testid=field-rhesis-backend-replicas]", "4").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    s.click("[data-testid=files] summary").await;
    // The environment's values file shows the override, highlighted.
    s.click("[data-testid=file-rhesis-values-prod-yaml]").await;
    wait_text(&s, "[data-testid=preview-path]", "rhesis/values-prod.yaml").await;
    let text = preview_text(&s).await;
    assert!(text.contains("replicas: 4"), "{text}");
    let changed: usize = s
        .attr("[data-testid=preview-changed]", "data-value")
        .await
        .parse()
        .unwrap();
    assert!(changed >= 1);
    let highlighted = highlighted_lines(&s).await;
    assert!(
        highlighted.iter().any(|l| l.contains("replicas: 4")),
        "{highlighted:?}"
    );
    // The manifests show the Deployment with 4 replicas.
    s.click("[data-testid=file-manifests-rhesis-yaml]").await;
    wait_text(&s, "[data-testid=preview-path]", "manifests/rhesis.yaml").await;
    let m = preview_text(&s).await;
    assert!(
        m.contains("kind: Deployment") && m.contains("replicas: 4"),
        "manifest preview"
    );
    s.click("[data-testid=copy-file]").await;
    s.client
        .execute(
            "document.querySelector('[data-testid=files]').scrollIntoView()",
            vec![],
        )
        .await
        .expect("scroll");
    s.screenshot("14-file-preview").await;

    // Downloads, built in the browser: open them and look inside.
    s.click("[data-testid=download-values-zip]").await;
    let z = downloaded(&s, "tonnage-rhesis-prod-values.zip").await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(z)).expect("a zip");
    let mut v = String::new();
    zip.by_name("tonnage-rhesis-prod-values/rhesis/values-prod.yaml")
        .expect("values-prod.yaml")
        .read_to_string(&mut v)
        .unwrap();
    assert!(v.contains("replicas: 4"), "{v}");
    // Only what differs from the chart's values.yaml: the chart brings that file itself.
    assert!(zip
        .by_name("tonnage-rhesis-prod-values/rhesis/values.yaml")
        .is_err());
    assert!(zip
        .by_name("tonnage-rhesis-prod-values/helmfile.yaml")
        .is_ok());
    s.click("[data-testid=download-manifests-tgz]").await;
    let t = downloaded(&s, "tonnage-rhesis-prod-manifests.tar.gz").await;
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::Cursor::new(t)));
    let mut names = Vec::new();
    for e in ar.entries().expect("a tar.gz") {
        names.push(e.unwrap().path().unwrap().to_string_lossy().to_string());
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("tonnage-rhesis-prod-manifests/rhesis/templates/deployment-")),
        "{names:?}"
    );
    // The real chart's PostgreSQL and Redis are Deployments with standalone claims.
    assert!(
        names.iter().any(|n| n
            .starts_with("tonnage-rhesis-prod-manifests/rhesis/templates/persistentvolumeclaim-")),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("tonnage-rhesis-prod-manifests/rhesis/templates/statefulset-")),
        "{names:?}"
    );
    s.close().await;
}

/// The names of the files the page has fetched so far (Resource Timing).
async fn fetched(s: &Session) -> Vec<String> {
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

/// Code splitting (src/lazy.rs): the first load fetches the page's wasm and the chunk loader but
/// no chunk; each panel's chunk comes when the panel first opens, and the panel works.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn panel_code_is_fetched_when_the_panel_opens() {
    let chunks: Vec<String> = std::fs::read_dir(root().join("dist"))
        .expect("dist/")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("split_") && n.ends_with(".wasm"))
        .collect();
    for body in ["compare_body", "files_body", "import_body"] {
        assert!(
            chunks
                .iter()
                .any(|c| c.starts_with(&format!("split_{body}_"))),
            "dist/ has no chunk for {body}: {chunks:?}"
        );
    }
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.wait_for("[data-testid=total-baseline-replicas]").await;
    let first = fetched(&s).await;
    assert!(
        first.iter().any(|f| f.starts_with("/__wasm_split-")),
        "{first:?}"
    );
    assert!(
        !first
            .iter()
            .any(|f| f.contains("/split_") || f.contains("/chunk_")),
        "the first load fetched a chunk: {first:?}"
    );
    let has = |files: &[String], body: &str| {
        files
            .iter()
            .any(|f| f.starts_with(&format!("/split_{body}_")))
    };
    s.first_use().await;
    s.wait_for("[data-testid=compare] summary").await;
    let now = fetched(&s).await;
    assert!(!has(&now, "compare_body"), "{now:?}");
    s.click("[data-testid=compare] summary").await;
    s.wait_for("[data-testid=compare-with]").await;
    let now = fetched(&s).await;
    assert!(has(&now, "compare_body"), "{now:?}");
    assert!(
        !has(&now, "files_body") && !has(&now, "import_body"),
        "{now:?}"
    );
    s.click("[data-testid=files] summary").await;
    s.wait_for("[data-testid=preview]").await;
    s.click("[data-testid=import] summary").await;
    s.wait_for("[data-testid=import-text]").await;
    let now = fetched(&s).await;
    assert!(
        has(&now, "files_body") && has(&now, "import_body"),
        "{now:?}"
    );
    // Closed and opened again, a panel keeps what it showed and is not fetched twice.
    s.click("[data-testid=compare] summary").await;
    s.click("[data-testid=compare] summary").await;
    s.wait_for("[data-testid=compare-with]").await;
    let again = fetched(&s).await;
    let n = again
        .iter()
        .filter(|f| f.starts_with("/split_compare_body_"))
        .count();
    assert_eq!(n, 1, "{again:?}");
}

/// Deferred sections (src/lazy.rs): a first load at a laptop's window fetches neither the
/// sections below the first screen (the report: findings, plan table, diagram, assumptions; the
/// editor) nor the link reader nor the worker-reply reader; the first use of the page (a key
/// here) brings the sections, which then work; a link brings its reader before the page mounts;
/// a window tall enough to show the sections loads them at once.
#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn sections_below_the_first_screen_come_on_first_use() {
    let has = |files: &[String], body: &str| {
        files
            .iter()
            .any(|f| f.starts_with(&format!("/split_{body}_")))
    };
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.wait_for("[data-testid=total-baseline-replicas]").await;
    // Past the first frames: nothing more comes without the user.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first = fetched(&s).await;
    for body in ["report_body", "editor_body", "decode_link", "read_reply"] {
        assert!(
            !has(&first, body),
            "the first load fetched {body}: {first:?}"
        );
    }
    assert_eq!(s.count("[data-testid=findings]").await, 0);
    assert_eq!(s.count("[data-deferred] .deferred-note").await, 1);
    assert_eq!(s.count("[data-testid=compare]").await, 0);
    // A key press (Tab: focus moves into the page) is a first use.
    s.client
        .active_element()
        .await
        .expect("active element")
        .send_keys("\u{E004}")
        .await
        .expect("Tab");
    s.wait_for("[data-testid=findings]").await;
    s.wait_for("[data-testid=plan-table]").await;
    let field = "[data-testid=field-rhesis-frontend-replicas]";
    s.wait_for(field).await;
    wait_count(&s, "[data-deferred] .deferred-note", 0).await;
    let now = fetched(&s).await;
    assert!(
        has(&now, "report_body") && has(&now, "editor_body"),
        "{now:?}"
    );
    assert!(
        !has(&now, "decode_link") && !has(&now, "read_reply"),
        "{now:?}"
    );
    // The editor that came later edits the plan.
    scroll_to(&s, field).await;
    type_into(&s, field, "3").await;
    s.wait_attr("[data-testid=total-baseline-replicas]", "data-value", "7")
        .await;
    // The Files preview: the first worker reply brings the reply reader.
    s.click("[data-testid=files] summary").await;
    s.wait_for("[data-testid=preview]").await;
    let now = fetched(&s).await;
    assert!(has(&now, "read_reply"), "{now:?}");
    let link = fragment_with(&s, 1).await;
    s.close().await;

    // A link: its reader comes first, then the page shows the link's configuration.
    let s = Session::start(1280, 900).await;
    s.open(&format!("#{link}")).await;
    s.wait_attr("[data-testid=total-baseline-replicas]", "data-value", "7")
        .await;
    let now = fetched(&s).await;
    assert!(has(&now, "decode_link"), "{now:?}");
    assert!(!has(&now, "report_body"), "{now:?}");
    s.close().await;

    // A tall window shows the sections without any use.
    let s = Session::start(1280, 4000).await;
    s.open("").await;
    s.wait_for("[data-testid=findings]").await;
    s.wait_for("[data-testid=editor]").await;
    s.screenshot("27-tall-window").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn import_a_values_file() {
    let s = Session::start(1280, 1000).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=import] summary").await;
    // A YAML error names its line and column.
    type_into(
        &s,
        "[data-testid=import-text]",
        "gateway:\n  replicaCount: [1\n",
    )
    .await;
    let err = s.text("[data-testid=import-error]").await;
    assert!(err.contains("line") && err.contains("column"), "{err}");
    // Known keys become overrides, unknown ones are listed.
    type_into(
        &s,
        "[data-testid=import-text]",
        "gateway:\n  replicaCount: 6\nkafka:\n  persistence:\n    size: 50Gi\nbogus:\n  key: 1\n",
    )
    .await;
    let report = s.text("[data-testid=import-report]").await;
    assert!(report.contains("gateway.replicaCount"), "{report}");
    assert!(s
        .text("[data-testid=import-unknown]")
        .await
        .contains("bogus"));
    s.screenshot("15-import").await;
    // The file stands in for values-prod.yaml (Helm: -f values.yaml -f this-file), so what
    // the prod preset changes and the file leaves out falls back to values.yaml: listed too.
    let n = s.attr("[data-testid=import-report]", "data-value").await;
    assert!(n.parse::<usize>().unwrap() >= 2, "{n}");
    assert!(s
        .text("[data-testid=import-restored]")
        .await
        .contains("fall back"));
    s.click("[data-testid=import-apply]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", &n)
        .await;
    let notice = s.text("[data-testid=notice]").await;
    assert!(notice.contains(&format!("Imported {n} values")), "{notice}");
    s.wait_attr("[data-testid=field-caracal-gateway-replicas]", "value", "6")
        .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn offline_csp_and_no_secret_in_storage_or_link() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-dev]").await;
    // A password that arrives in an imported values file stays out of the link and out of
    // localStorage (it does reach the downloaded values files: that is what the user asked).
    s.click("[data-testid=import] summary").await;
    type_into(
        &s,
        "[data-testid=import-text]",
        "postgresql:\n  auth:\n    password: Sup3rS3cretValue\ngateway:\n  replicaCount: 4\n",
    )
    .await;
    s.click("[data-testid=import-apply]").await;
    s.wait_attr("[data-testid=field-caracal-gateway-replicas]", "value", "4")
        .await;
    s.click("[data-testid=files] summary").await;
    s.wait_for("[data-testid=preview]").await;
    let stored = s
        .client
        .execute(
            "return localStorage.getItem('tonnage.config.v1') || ''",
            vec![],
        )
        .await
        .expect("storage");
    let stored = stored.as_str().unwrap_or_default().to_string();
    assert!(
        stored.contains("gateway.replicaCount"),
        "autosave holds the edit: {stored}"
    );
    assert!(
        !stored.contains("Sup3rS3cretValue"),
        "a secret reached localStorage"
    );
    let url = s.client.current_url().await.unwrap().to_string();
    let fragment = url
        .split_once('#')
        .map(|(_, f)| f.to_string())
        .unwrap_or_default();
    let decoded =
        tonnage_core::share::decode(tonnage_core::Catalog::builtin(), &fragment).expect("link");
    let as_text = serde_json::to_string(&decoded).unwrap();
    assert!(
        !as_text.contains("Sup3rS3cretValue"),
        "a secret reached the link"
    );

    // The page carries a Content-Security-Policy and fetched nothing from another origin.
    let csp = s
        .attr("meta[http-equiv=Content-Security-Policy]", "content")
        .await;
    assert!(
        csp.contains("default-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let foreign = s
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith(location.origin) && !u.startsWith('blob:') && !u.startsWith('data:'))",
            vec![],
        )
        .await
        .expect("resource entries");
    assert_eq!(
        foreign,
        serde_json::json!([]),
        "requests outside the page's origin"
    );
    let all = s
        .client
        .execute(
            "return performance.getEntriesByType('resource').length",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        all.as_u64().unwrap_or(0) >= 2,
        "the wasm and js were fetched from the origin"
    );
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn a_panic_shows_a_banner_and_the_configuration_survives() {
    let s = Session::start(1280, 800).await;
    s.open("").await;
    s.click("[data-testid=stack-caracal]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(&s, "[data-testid=field-caracal-gateway-replicas]", "7").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    // Load the app with a deliberate panic.
    let crash = format!("{}?crash-test", s.server.url);
    s.client.goto(&crash).await.expect("navigate");
    let banner = s.text("[data-testid=crash-banner]").await;
    assert!(
        banner.contains("internal error") && banner.contains("saved"),
        "{banner}"
    );
    let diag = s.attr("#tonnage-diagnostic", "value").await;
    assert!(diag.contains("crash test requested"), "{diag}");
    s.click("[data-testid=copy-diagnostic]").await;
    s.screenshot("16-crash-banner").await;
    // A normal reload continues where the user was.
    s.open("").await;
    s.first_use().await;
    s.wait_attr("[data-testid=change-count]", "data-value", "1")
        .await;
    s.wait_attr("[data-testid=field-caracal-gateway-replicas]", "value", "7")
        .await;
    s.close().await;
}

// ---- Capacity and findings ----------------------------------------------------------------

/// Wait until exactly `n` elements match `css`.
async fn wait_count(s: &Session, css: &str, n: usize) {
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
async fn preview_text(s: &Session) -> String {
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
async fn highlighted_lines(s: &Session) -> Vec<String> {
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
async fn fragment_with(s: &Session, overrides: usize) -> String {
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
async fn wait_text(s: &Session, css: &str, want: &str) {
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
async fn wait_value(s: &Session, css: &str, want: &str) {
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
async fn scroll_to(s: &Session, css: &str) {
    s.wait_for(css).await;
    s.client
        .execute(
            &format!("document.querySelector('{css}').scrollIntoView()"),
            vec![],
        )
        .await
        .expect("scroll");
}

/// The core's node fit and cost for a configuration with planning options, as the CLI's
/// `tonnage plan --format json` computes them.
fn core_fit(
    stacks: &[&str],
    env: &str,
    options: &[(&str, &str)],
) -> (
    tonnage_core::capacity::Fit,
    tonnage_core::capacity::Cost,
    tonnage_core::Plan,
) {
    use tonnage_core::capacity::{self, Planning};
    let cat = tonnage_core::Catalog::builtin();
    let mut c = tonnage_core::Configuration::new(cat, stacks, env).expect("configuration");
    for (k, v) in options {
        c.options.insert(k.to_string(), v.to_string());
    }
    let planning = Planning::from_options(&c.options).expect("options");
    let p = tonnage_core::plan(cat, &c);
    let node = planning.node.expect("a node");
    let fit = capacity::fit(&p, cat, &node);
    let cost = capacity::cost(&p, &fit, &planning.prices);
    (fit, cost, p)
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn nodes_and_cost_on_eks_are_the_core_figures() {
    let s = Session::start(1280, 720).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.wait_for("[data-testid=capacity-hint]").await;
    s.click("[data-testid=cloud-eks]").await;
    // Another type first, then m5.xlarge (EKS's default), so the picker really changes.
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("t3.large")
        .await
        .expect("select t3.large");
    let (t3, _, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", "t3.large")],
    );
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &t3.baseline.node_count().to_string(),
    )
    .await;
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("m5.xlarge")
        .await
        .expect("select m5.xlarge");
    // `tonnage plan --stack rhesis --env prod --cloud eks --node-type m5.xlarge --format json`
    let (fit, cost, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", "m5.xlarge")],
    );
    let json = tonnage_core::capacity::cost_json(&cost);
    let nodes = tonnage_core::capacity::nodes_json(&fit);
    for (id, want) in [
        ("nodes-baseline", nodes["baseline"].to_string()),
        ("nodes-peak", nodes["peak"].to_string()),
        ("cost-baseline", cost.baseline.total_micro_usd.to_string()),
        ("cost-peak", cost.peak.total_micro_usd.to_string()),
        (
            "opencost-baseline",
            cost.baseline.opencost.total_micro_usd.to_string(),
        ),
    ] {
        s.wait_attr(&format!("[data-testid={id}]"), "data-value", &want)
            .await;
    }
    // The page's micro-USD, in the CLI's JSON units (USD with 2 decimals).
    let shown: i64 = s
        .attr("[data-testid=cost-baseline]", "data-value")
        .await
        .parse()
        .expect("micro-USD");
    assert_eq!(
        tonnage_core::capacity::usd_json(shown),
        json["monthly_usd_baseline"]
    );
    assert!(s
        .text("[data-testid=cost-baseline]")
        .await
        .contains(&tonnage_core::capacity::usd(cost.baseline.total_micro_usd)));
    // The map draws every node and every placed pod.
    let pods: usize = fit.baseline.nodes.iter().map(|n| n.pods.len()).sum();
    assert_eq!(
        s.count("[data-testid=node-map-baseline] .node-box").await,
        fit.baseline.nodes.len()
    );
    assert_eq!(
        s.count("[data-testid=node-map-baseline] svg > g").await,
        pods
    );
    let prices = s.text("[data-testid=prices-used]").await;
    assert!(
        prices.contains("$0.192") && prices.contains("730"),
        "{prices}"
    );
    scroll_to(&s, "[data-testid=capacity]").await;
    s.screenshot("20-capacity-eks-m5xlarge").await;
    // A price override is an option: validated at the field, the last valid value stays.
    s.click("[data-testid=overheads] summary").await;
    type_into(&s, "[data-testid=option-price-node-hour]", "0.1x").await;
    let err = s.text("[data-testid=option-price-node-hour-error]").await;
    assert!(err.contains("USD amount"), "{err}");
    let (_, cheap, _) = core_fit(
        &["rhesis"],
        "prod",
        &[
            ("cloud", "eks"),
            ("node_type", "m5.xlarge"),
            ("price.node_hour", "0.1"),
        ],
    );
    s.wait_attr(
        "[data-testid=cost-baseline]",
        "data-value",
        &cheap.baseline.total_micro_usd.to_string(),
    )
    .await;
    s.click("[data-testid=option-price-node-hour-reset]").await;
    s.wait_attr(
        "[data-testid=cost-baseline]",
        "data-value",
        &cost.baseline.total_micro_usd.to_string(),
    )
    .await;
    // The choice survives a reload (autosave).
    s.open("").await;
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &fit.baseline.node_count().to_string(),
    )
    .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn pod_that_fits_no_node_says_why_and_the_fix_picks_a_type() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=cloud-eks]").await;
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("custom")
        .await
        .expect("select custom");
    // The custom node starts from the m5.xlarge shape; make it a 1 vCPU node.
    wait_value(&s, "[data-testid=option-node-vcpu]", "4").await;
    type_into(&s, "[data-testid=option-node-vcpu]", "1").await;
    let opts = [
        ("cloud", "eks"),
        ("node_type", "custom"),
        ("node.vcpu", "1"),
        ("node.memory", "16Gi"),
        ("node.max_pods", "58"),
    ];
    let (fit, _, _) = core_fit(&["rhesis"], "prod", &opts);
    let backend = fit
        .baseline
        .unplaced
        .iter()
        .find(|u| u.component == "backend")
        .expect("the core leaves the backend unplaced");
    let li = s
        .text("[data-testid=unplaced-baseline-rhesis-backend]")
        .await;
    assert!(
        li.contains("fits on no node") && li.contains(&backend.reason),
        "{li}"
    );
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &fit.baseline.node_count().to_string(),
    )
    .await;
    // A malformed vCPU is refused at the field; the 1 vCPU node stays.
    type_into(&s, "[data-testid=option-node-vcpu]", "one").await;
    s.wait_for("[data-testid=option-node-vcpu-error]").await;
    s.wait_for("[data-testid=unplaced-baseline-rhesis-backend]")
        .await;
    // The review says so too, and its fix picks a built-in type where it fits.
    s.wait_for("[data-testid=finding-pod-fits-no-node]").await;
    scroll_to(&s, "[data-testid=capacity]").await;
    s.screenshot("21-pod-fits-no-node").await;
    scroll_to(&s, "[data-testid=findings]").await;
    s.screenshot("22-findings-fits-no-node").await;
    s.click("[data-testid=finding-pod-fits-no-node] [data-testid=fix-pod-fits-no-node]")
        .await;
    wait_count(&s, "[data-testid=finding-pod-fits-no-node]", 0).await;
    wait_count(&s, "[data-testid^=unplaced-]", 0).await;
    let chosen = s
        .wait_for("[data-testid=node-type]")
        .await
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert!(
        tonnage_core::capacity::instance_type(&chosen).is_some(),
        "{chosen}"
    );
    let (fixed, _, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", &chosen)],
    );
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &fixed.baseline.node_count().to_string(),
    )
    .await;
    s.wait_for("[data-testid=max-pods-free-baseline]").await;
    // A pod limit that binds: custom from that type, 5 pods per node (4 go to DaemonSets).
    s.wait_for("[data-testid=node-type]")
        .await
        .select_by_value("custom")
        .await
        .expect("select custom");
    type_into(&s, "[data-testid=option-node-max-pods]", "5").await;
    let t = tonnage_core::capacity::instance_type(&chosen).unwrap();
    let (vcpu, mem) = (t.vcpu.to_string(), format!("{}Gi", t.memory_gib));
    let (bound, _, _) = core_fit(
        &["rhesis"],
        "prod",
        &[
            ("cloud", "eks"),
            ("node_type", "custom"),
            ("node.vcpu", &vcpu),
            ("node.memory", &mem),
            ("node.max_pods", "5"),
        ],
    );
    assert!(bound.baseline.max_pods_bound);
    s.wait_for("[data-testid=max-pods-bound-baseline]").await;
    s.wait_attr(
        "[data-testid=nodes-baseline]",
        "data-value",
        &bound.baseline.node_count().to_string(),
    )
    .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn expected_users_set_replicas_per_the_core() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    type_into(&s, "[data-testid=users-input]", "1000").await;
    let cat = tonnage_core::Catalog::builtin();
    let mut want = tonnage_core::Configuration::new(cat, &["rhesis"], "prod").unwrap();
    tonnage_core::capacity::apply_users(cat, &mut want, 1000).unwrap();
    let p = tonnage_core::plan(cat, &want);
    s.wait_attr(
        "[data-testid=total-baseline-replicas]",
        "data-value",
        &p.totals.baseline.replicas.to_string(),
    )
    .await;
    let r = tonnage_core::capacity::replicas_for_users(cat.chart("rhesis").unwrap(), 1000);
    for (path, n) in &r.sets {
        let comp = path.split('.').next().unwrap();
        wait_value(
            &s,
            &format!("[data-testid=field-rhesis-{comp}-replicas]"),
            &n.to_string(),
        )
        .await;
    }
    let text = s.text("[data-testid=users-explanation-rhesis]").await;
    assert!(text.contains(&r.explanation), "{text}");
    assert!(text.contains("extrapolated"), "{text}");
    scroll_to(&s, "[data-testid=users]").await;
    s.screenshot("23-users-1000").await;
    // Undo steps back through the typing (100 users: the Enterprise tier).
    s.click("[data-testid=undo]").await;
    let r100 = tonnage_core::capacity::replicas_for_users(cat.chart("rhesis").unwrap(), 100);
    let (path, n) = &r100.sets[0];
    let comp = path.split('.').next().unwrap();
    wait_value(
        &s,
        &format!("[data-testid=field-rhesis-{comp}-replicas]"),
        &n.to_string(),
    )
    .await;
    // Reset brings the preset's replicas back.
    s.click("[data-testid=users-reset]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "0")
        .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn finding_appears_and_its_fix_resolves_it() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    wait_count(&s, "[data-testid=finding-request-above-limit]", 0).await;
    type_into(&s, "[data-testid=field-rhesis-frontend-requests-cpu]", "3").await;
    s.wait_for("[data-testid=finding-request-above-limit]")
        .await;
    s.wait_attr("[data-testid=findings-errors]", "data-value", "1")
        .await;
    let f = s.text("[data-testid=finding-request-above-limit]").await;
    assert!(
        f.contains("Error") && f.contains("Frontend") && f.contains("Source:"),
        "{f}"
    );
    scroll_to(&s, "[data-testid=findings]").await;
    s.screenshot("24-finding-request-above-limit").await;
    s.click("[data-testid=fix-request-above-limit]").await;
    wait_count(&s, "[data-testid=finding-request-above-limit]", 0).await;
    s.wait_attr("[data-testid=findings-errors]", "data-value", "0")
        .await;
    wait_value(&s, "[data-testid=field-rhesis-frontend-limits-cpu]", "3").await;
    // One undo step brings the finding back.
    s.click("[data-testid=undo]").await;
    s.wait_for("[data-testid=finding-request-above-limit]")
        .await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn printed_report_has_nodes_cost_and_findings() {
    let s = Session::start(1280, 900).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=cloud-eks]").await;
    let (_, cost, _) = core_fit(
        &["rhesis"],
        "prod",
        &[("cloud", "eks"), ("node_type", "m5.xlarge")],
    );
    s.wait_attr(
        "[data-testid=cost-baseline]",
        "data-value",
        &cost.baseline.total_micro_usd.to_string(),
    )
    .await;
    s.wait_for("[data-testid=finding-single-replica-stateful]")
        .await;
    // A finding with a fix: its label prints, its button does not.
    type_into(&s, "[data-testid=field-rhesis-frontend-requests-cpu]", "3").await;
    s.wait_for("[data-testid=fix-request-above-limit]").await;
    let total = s.text("[data-testid=cost-baseline] .metric-value").await;
    assert!(total.starts_with('$'), "{total}");
    let pdf = s
        .client
        .print(fantoccini::wd::PrintConfiguration::default())
        .await
        .expect("print to PDF");
    let dir = root().join("target").join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("dir");
    let pdf_path = dir.join("25-print-capacity.pdf");
    std::fs::write(&pdf_path, &pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf_path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let lower = text.to_lowercase();
    for needed in [
        "nodes and monthly cost",
        "review findings",
        "m5.xlarge",
        "single replica",
        "suggested fix",
    ] {
        assert!(lower.contains(needed), "the report lacks {needed:?}");
    }
    assert!(text.contains(&total), "the report lacks {total}");
    for absent in ["Per-node overhead", "Expected users", "Fix:"] {
        assert!(
            !text.contains(absent),
            "the report shows the control {absent:?}"
        );
    }
    let status = Command::new("pdftoppm")
        .args(["-png", "-r", "60"])
        .arg(&pdf_path)
        .arg(dir.join("25-print-capacity"))
        .status()
        .expect("pdftoppm");
    assert!(status.success());
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn capacity_and_findings_at_phone_width() {
    let s = Session::start(390, 844).await;
    s.open("").await;
    s.click("[data-testid=stack-rhesis]").await;
    s.click("[data-testid=env-prod]").await;
    s.click("[data-testid=cloud-gke]").await;
    s.wait_for("[data-testid=node-map-baseline] .node-box")
        .await;
    // Neither the page nor the panels scroll sideways.
    let fits = s
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1 && \
             ['capacity', 'findings'].every(id => { \
               const e = document.querySelector(`[data-testid=${id}]`); \
               return e.scrollWidth <= e.clientWidth + 1; })",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(
        fits,
        serde_json::Value::Bool(true),
        "page scrolls sideways at 390px"
    );
    scroll_to(&s, "[data-testid=capacity]").await;
    s.screenshot("26-capacity-phone").await;
    scroll_to(&s, "[data-testid=fit]").await;
    s.screenshot("27-node-map-phone").await;
    scroll_to(&s, "[data-testid=findings]").await;
    s.screenshot("28-findings-phone").await;
    s.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and chromedriver: run scripts/test"]
async fn keyboard_and_labels() {
    let s = Session::start(1280, 720).await;
    s.open("").await;
    // Tab from the top of the page reaches the stack cards; Enter selects one.
    // Start where a keyboard user starts: the first focusable element, the skip link.
    s.client
        .execute("document.querySelector('.skip').focus()", vec![])
        .await
        .expect("focus the skip link");
    let mut reached = false;
    for _ in 0..40 {
        s.client
            .active_element()
            .await
            .expect("focus")
            .send_keys("\u{E004}")
            .await
            .expect("Tab");
        let id = s
            .client
            .active_element()
            .await
            .unwrap()
            .attr("data-testid")
            .await
            .unwrap()
            .unwrap_or_default();
        if id == "stack-caracal" {
            reached = true;
            break;
        }
    }
    assert!(reached, "Tab never reached the Caracal stack card");
    // The focused control shows a visible focus ring.
    let outline = s
        .client
        .execute(
            "return getComputedStyle(document.activeElement).outlineStyle",
            vec![],
        )
        .await
        .unwrap();
    assert_ne!(outline, serde_json::json!("none"), "no visible focus");
    s.screenshot("17-keyboard-focus").await;
    s.client
        .active_element()
        .await
        .unwrap()
        .send_keys("\u{E007}")
        .await
        .expect("Enter");
    s.wait_for("[data-testid=card-caracal-kafka]").await;
    // Every control has an accessible name: a label, aria-label, title or text.
    let unnamed = s
        .client
        .execute(
            r#"return [...document.querySelectorAll('input, select, textarea, button')].filter(el => {
                const id = el.id && document.querySelector(`label[for="${el.id}"]`);
                const wrapped = el.closest('label');
                const named = el.getAttribute('aria-label') || el.getAttribute('title') || (el.textContent || '').trim();
                return !(id || wrapped || named);
            }).map(el => el.outerHTML.slice(0, 120))"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(unnamed, serde_json::json!([]), "controls without a label");
    // Dark mode follows the system.
    let dark = s
        .client
        .execute(
            "return [...document.styleSheets].some(s => [...s.cssRules].some(r => r.conditionText && r.conditionText.includes('prefers-color-scheme: dark')))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(dark, serde_json::json!(true), "no dark-mode styles");
    s.close().await;
}
