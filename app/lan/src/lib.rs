//! Local-network glue for phones, as a Tauri plugin.
//!
//! libp2p's mDNS needs multicast on the Wi-Fi interface. Android drops
//! multicast packets for apps that do not hold a `WifiManager.MulticastLock`,
//! and Android 17 gates all local-network traffic behind the runtime permission
//! `ACCESS_LOCAL_NETWORK`. The Kotlin side (`android/`, class `LanPlugin`)
//! holds the lock between [`Lan::sync_started`] and [`Lan::sync_stopped`],
//! lets it go while the app is in the background, and asks for the permission
//! the first time sync starts.
//!
//! iOS has no equivalent here: raw multicast needs an entitlement Apple grants
//! case by case, so on iPhones devices pair by QR code (or meet through the
//! server) instead; `Info.ios.plist` declares the local-network use so that
//! direct connections to a paired phone are allowed. On the desktop both calls
//! do nothing.

use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime};

/// What the platform side answered.
#[derive(Debug, thiserror::Error)]
pub enum LanError {
    #[cfg(target_os = "android")]
    #[error("the local-network plugin failed: {0}")]
    Plugin(#[from] tauri::plugin::mobile::PluginInvokeError),
}

/// The app's handle on the plugin (managed state).
pub struct Lan<R: Runtime> {
    #[cfg(target_os = "android")]
    handle: tauri::plugin::PluginHandle<R>,
    _runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime> std::fmt::Debug for Lan<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lan").finish_non_exhaustive()
    }
}

impl<R: Runtime> Lan<R> {
    /// Sync is running: hold what local discovery needs.
    pub fn sync_started(&self) -> Result<(), LanError> {
        #[cfg(target_os = "android")]
        self.handle.run_mobile_plugin::<()>("acquire", ())?;
        Ok(())
    }

    /// Sync stopped (paused in the background, or the persona changes).
    pub fn sync_stopped(&self) -> Result<(), LanError> {
        #[cfg(target_os = "android")]
        self.handle.run_mobile_plugin::<()>("release", ())?;
        Ok(())
    }
}

/// The plugin, to register on the app's builder; its state is [`Lan`].
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("rally-lan")
        .setup(|app, _api| {
            #[cfg(target_os = "android")]
            let handle = _api.register_android_plugin("org.rally.lan", "LanPlugin")?;
            app.manage(Lan::<R> {
                #[cfg(target_os = "android")]
                handle,
                _runtime: std::marker::PhantomData,
            });
            Ok(())
        })
        .build()
}
