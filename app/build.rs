fn main() {
    // The UI is embedded at compile time: a new UI build must rebuild the shell.
    println!("cargo:rerun-if-changed=ui/dist");
    tauri_build::try_build(tauri_build::Attributes::new()).expect("the Tauri build step failed");
}
