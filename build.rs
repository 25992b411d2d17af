//! With the `split` feature, link the page's wasm with its relocations (`--emit-relocs`):
//! wasm-split needs them to cut the lazily loaded panels out into chunks (src/lazy.rs).
fn main() {
    let split = std::env::var_os("CARGO_FEATURE_SPLIT").is_some();
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    if split && wasm {
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
