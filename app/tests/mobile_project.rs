//! The committed phone projects say what Rally needs: the Android manifest and
//! the iOS plists parse, and hold the permissions and keys that local sync,
//! pairing by QR code, reminders and the keyboard depend on (see
//! `mobile/README.md`). The phone builds themselves run in the mobile workflow.

use std::path::{Path, PathBuf};

fn app_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const ANDROID_NS: &str = "http://schemas.android.com/apk/res/android";

/// The `android:name`s of a manifest's `uses-permission` elements.
fn permissions(manifest: &roxmltree::Document<'_>) -> Vec<String> {
    manifest
        .descendants()
        .filter(|n| n.has_tag_name("uses-permission"))
        .filter_map(|n| n.attribute((ANDROID_NS, "name")).map(str::to_owned))
        .collect()
}

#[test]
fn the_android_manifest_asks_for_local_sync_and_keeps_the_keyboard_off_the_fields() {
    let path = app_dir().join("gen/android/app/src/main/AndroidManifest.xml");
    let text = read(&path);
    let manifest = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not well-formed XML: {e}", path.display()));
    let granted = permissions(&manifest);
    for wanted in [
        "android.permission.INTERNET",
        "android.permission.ACCESS_NETWORK_STATE",
        "android.permission.ACCESS_WIFI_STATE",
        "android.permission.CHANGE_WIFI_MULTICAST_STATE",
        "android.permission.ACCESS_LOCAL_NETWORK",
        "android.permission.POST_NOTIFICATIONS",
    ] {
        assert!(
            granted.iter().any(|p| p == wanted),
            "{wanted} missing from {}",
            path.display()
        );
    }
    let activity = manifest
        .descendants()
        .find(|n| n.has_tag_name("activity"))
        .expect("the main activity");
    assert_eq!(
        activity.attribute((ANDROID_NS, "name")),
        Some(".MainActivity")
    );
    assert_eq!(
        activity.attribute((ANDROID_NS, "windowSoftInputMode")),
        Some("adjustResize")
    );
    // The Gradle project is the one Tauri's build fills in for this app.
    let gradle = read(&app_dir().join("gen/android/app/build.gradle.kts"));
    assert!(gradle.contains("applicationId = \"org.rally.app\""));
}

#[test]
fn the_lan_plugin_s_manifest_asks_for_the_multicast_lock() {
    let path = app_dir().join("lan/android/src/main/AndroidManifest.xml");
    let text = read(&path);
    let manifest = roxmltree::Document::parse(&text).expect("well-formed XML");
    let granted = permissions(&manifest);
    for wanted in [
        "android.permission.CHANGE_WIFI_MULTICAST_STATE",
        "android.permission.ACCESS_WIFI_STATE",
    ] {
        assert!(granted.iter().any(|p| p == wanted), "{wanted} missing");
    }
    // The Kotlin class the Rust side registers, with the commands it runs.
    let kotlin = read(&app_dir().join("lan/android/src/main/java/LanPlugin.kt"));
    assert!(kotlin.contains("package org.rally.lan"));
    assert!(kotlin.contains("class LanPlugin"));
    for command in ["fun acquire(", "fun release(", "createMulticastLock("] {
        assert!(
            kotlin.contains(command),
            "{command} missing from LanPlugin.kt"
        );
    }
    let rust = read(&app_dir().join("lan/src/lib.rs"));
    assert!(rust.contains(r#"register_android_plugin("org.rally.lan", "LanPlugin")"#));
}

fn plist_dict(path: &Path) -> plist::Dictionary {
    plist::Value::from_file(path)
        .unwrap_or_else(|e| panic!("{} is not a readable plist: {e}", path.display()))
        .into_dictionary()
        .unwrap_or_else(|| panic!("{} is not a dictionary", path.display()))
}

#[test]
fn the_ios_plist_explains_the_local_network_and_the_camera_and_names_the_bonjour_service() {
    let info = plist_dict(&app_dir().join("Info.ios.plist"));
    for key in ["NSLocalNetworkUsageDescription", "NSCameraUsageDescription"] {
        let text = info
            .get(key)
            .and_then(plist::Value::as_string)
            .unwrap_or_else(|| panic!("{key} missing"));
        assert!(text.contains("Rally") && text.len() > 30, "{key}: {text}");
    }
    let services: Vec<&str> = info
        .get("NSBonjourServices")
        .and_then(plist::Value::as_array)
        .expect("NSBonjourServices")
        .iter()
        .filter_map(plist::Value::as_string)
        .collect();
    assert_eq!(services, ["_p2p._udp"], "libp2p's mDNS service");

    let entitlements = plist_dict(&app_dir().join("Entitlements.ios.plist"));
    let groups = entitlements
        .get("keychain-access-groups")
        .and_then(plist::Value::as_array)
        .expect("keychain-access-groups");
    assert!(
        groups
            .iter()
            .any(|g| g.as_string() == Some("$(AppIdentifierPrefix)org.rally.app"))
    );
    assert!(
        !entitlements.contains_key("com.apple.developer.networking.multicast"),
        "Rally does not ask Apple for raw multicast: phones pair by QR code"
    );
}

#[test]
fn the_tauri_configuration_names_the_identifier_the_projects_use() {
    let conf: serde_json::Value =
        serde_json::from_str(&read(&app_dir().join("tauri.conf.json"))).expect("JSON");
    assert_eq!(conf["identifier"], "org.rally.app");
    assert_eq!(conf["build"]["frontendDist"], "ui/dist");
    let mobile: serde_json::Value =
        serde_json::from_str(&read(&app_dir().join("capabilities/mobile.json"))).expect("JSON");
    assert_eq!(mobile["platforms"], serde_json::json!(["android", "iOS"]));
}
