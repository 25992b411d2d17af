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

    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
    }

    pub async fn click(&self, css: &str) {
        self.wait_for(css).await.click().await.expect("click");
    }

    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("text")
    }

    pub async fn attr(&self, css: &str, name: &str) -> String {
        self.wait_for(css)
            .await
            .attr(name)
            .await
            .expect("attribute")
            .unwrap_or_default()
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
    // Rhesis guide, Local Development Configuration: 2.35 / 4.7 cores, 4.625 / 9.25 GiB, 1 GiB.
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
        "1073741824",
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
    // The address bar follows the edits.
    let url = a.client.current_url().await.expect("url").to_string();
    let fragment = url
        .split_once('#')
        .map(|(_, f)| f.to_string())
        .expect("a fragment");
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
    // prod - local = 8 - 2.35 cores, 110 - 1 GiB.
    let delta = s.text("[data-testid=compare-delta-baseline]").await;
    assert!(delta.contains("+5.65 cores"), "{delta}");
    assert!(delta.contains("+109 GiB"), "{delta}");
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
            !text.contains(absent),
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
    let text = s.text("[data-testid=preview]").await;
    assert!(text.contains("replicas: 4"), "{text}");
    let changed: usize = s
        .attr("[data-testid=preview-changed]", "data-value")
        .await
        .parse()
        .unwrap();
    assert!(changed >= 1);
    let mut highlighted = Vec::new();
    for el in s
        .client
        .find_all(Locator::Css("[data-testid=preview] .line.diff"))
        .await
        .unwrap()
    {
        highlighted.push(el.text().await.unwrap());
    }
    assert!(
        highlighted.iter().any(|l| l.contains("replicas: 4")),
        "{highlighted:?}"
    );
    // The manifests show the Deployment with 4 replicas.
    s.click("[data-testid=file-manifests-rhesis-yaml]").await;
    let m = s.text("[data-testid=preview]").await;
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
    zip.by_name("rhesis/values-prod.yaml")
        .expect("values-prod.yaml")
        .read_to_string(&mut v)
        .unwrap();
    assert!(v.contains("replicas: 4"), "{v}");
    assert!(zip.by_name("rhesis/values.yaml").is_ok());
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
            .any(|n| n.starts_with("rhesis/templates/deployment-")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("rhesis/templates/statefulset-")),
        "{names:?}"
    );
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
    s.click("[data-testid=import-apply]").await;
    s.wait_attr("[data-testid=change-count]", "data-value", "2")
        .await;
    assert!(s
        .text("[data-testid=notice]")
        .await
        .contains("Imported 2 values"));
    s.close().await;
}
