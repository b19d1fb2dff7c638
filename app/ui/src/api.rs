//! Calls into the app shell: Tauri's `invoke` and `listen`, as the global
//! `window.__TAURI__` exposes them (`withGlobalTauri`), with the IPC types.

use rally_ipc::{AppError, Command};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
    async fn tauri_listen(
        event: &str,
        handler: &Closure<dyn FnMut(JsValue)>,
    ) -> Result<JsValue, JsValue>;
}

#[derive(Serialize)]
struct Wrapped<'a, A: Serialize> {
    args: &'a A,
}

fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, String> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())
}

fn error_text(e: JsValue) -> String {
    if let Ok(err) = serde_wasm_bindgen::from_value::<AppError>(e.clone()) {
        return err.message;
    }
    e.as_string()
        .unwrap_or_else(|| "the app did not answer".to_owned())
}

/// Calls the command `C` with its argument; answers its result.
pub async fn invoke<C: Command>(args: &C::Args) -> Result<C::Output, String> {
    let js = to_js(&Wrapped { args })?;
    let v = tauri_invoke(C::NAME, js).await.map_err(error_text)?;
    serde_wasm_bindgen::from_value(v).map_err(|e| e.to_string())
}

/// Calls `on_event` with the payload each time the shell emits `event`
/// (payloads that do not read as `T` are dropped).
pub async fn listen_with<T: serde::de::DeserializeOwned + 'static>(
    event: &str,
    mut on_event: impl FnMut(T) + 'static,
) {
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let payload = js_sys::Reflect::get(&e, &JsValue::from_str("payload"));
        if let Ok(value) = payload.and_then(|p| {
            serde_wasm_bindgen::from_value(p).map_err(|e| JsValue::from_str(&e.to_string()))
        }) {
            on_event(value);
        }
    });
    if tauri_listen(event, &closure).await.is_ok() {
        closure.forget();
    }
}

/// Calls `on_event` each time the shell emits `event`.
pub async fn listen(event: &str, mut on_event: impl FnMut() + 'static) {
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |_| on_event());
    if tauri_listen(event, &closure).await.is_ok() {
        // Lives as long as the page.
        closure.forget();
    }
}

/// A phone (Android or iOS), where the camera scanner exists.
pub fn is_phone() -> bool {
    web_sys::window()
        .and_then(|w| w.navigator().user_agent().ok())
        .is_some_and(|ua| ["Android", "iPhone", "iPad"].iter().any(|p| ua.contains(p)))
}

/// Scans a QR code with the camera (the barcode scanner plugin, on phones);
/// `None` when the person cancels.
pub async fn scan_qr() -> Result<Option<String>, String> {
    #[derive(Serialize)]
    struct Scan {
        formats: [&'static str; 1],
        windowed: bool,
    }
    let args = to_js(&Scan {
        formats: ["QR_CODE"],
        windowed: false,
    })?;
    match tauri_invoke("plugin:barcode-scanner|scan", args).await {
        Ok(v) => Ok(js_sys::Reflect::get(&v, &JsValue::from_str("content"))
            .ok()
            .and_then(|c| c.as_string())),
        Err(e) => {
            let text = error_text(e);
            if text.to_lowercase().contains("cancel") {
                Ok(None)
            } else {
                Err(text)
            }
        }
    }
}

/// Tells the shell whenever the page is hidden or shown again (the app goes
/// to the background and back), so sync pauses and resumes.
pub fn follow_visibility() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let doc = document.clone();
    let closure = Closure::<dyn FnMut(JsValue)>::new(move |_| {
        let visible = !doc.hidden();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke::<rally_ipc::cmd::SetForeground>(&rally_ipc::ForegroundArgs { visible })
                .await;
        });
    });
    if document
        .add_event_listener_with_callback("visibilitychange", closure.as_ref().unchecked_ref())
        .is_ok()
    {
        // Lives as long as the page.
        closure.forget();
    }
}

/// Resolves after `ms` milliseconds.
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
