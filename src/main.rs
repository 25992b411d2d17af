//! Entry point of the web app: installs the panic banner and starts the page
//! ([`tonnage::start`]). Everything else is in the library.
fn main() {
    tonnage::panic::install();
    tonnage::start();
}
