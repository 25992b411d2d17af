//! End-to-end tests: serve the release build (`dist/`, made by `trunk build --release`) on a
//! loopback port, drive real Chromium through chromedriver, assert on what the page shows, and
//! save a PNG screenshot of each scenario under `target/e2e-screenshots/`.
//!
//! They need the release build and chromedriver, so they are `#[ignore]`d in a plain
//! `cargo test`; `scripts/test` builds `dist/` and runs them with `--ignored`. One test binary
//! (`cargo test -p tonnage --test e2e`), one file per feature, one harness (harness.rs, shared
//! with the browser benchmark).
#![cfg(not(target_arch = "wasm32"))]

mod harness;

mod audit;
mod capacity;
mod editing;
mod files;
mod links;
mod loading;
mod meeting;
mod report;
mod security;
mod stacks;
