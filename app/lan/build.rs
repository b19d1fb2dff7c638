//! Declares the plugin to Tauri's build: no commands reachable from the webview
//! (the app's Rust side drives it), and the Kotlin library in `android/`.

const COMMANDS: &[&str] = &[];

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        .android_path("android")
        .build();
}
