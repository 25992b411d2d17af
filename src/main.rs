//! Entry point of the web app: installs the panic banner and mounts. Everything else is in the
//! library.
fn main() {
    tonnage::panic::install();
    leptos::mount::mount_to_body(tonnage::App);
}
