//! Reminders as system notifications: every [`TICK`] the shell asks the
//! service for the reminders now due (`rally_service::reminders`: what the
//! device's personas go to, when this device was told to remind) and shows
//! each through the OS's notifications (`tauri-plugin-notification`), in the
//! UI's language — offline too: nothing about reminders leaves the device.

use std::time::Duration;

use fluent_bundle::FluentArgs;
use rally_core::jiff::Timestamp;
use rally_service::reminders::Reminder;
use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_notification::NotificationExt;

use crate::App;
use crate::dates::{self, language, message};

/// How often due reminders are looked for.
pub const TICK: Duration = Duration::from_secs(20);

/// A reminder's words: the event's title, and when it starts ("Tomorrow at
/// 7:00 PM"), in the viewer's zone.
pub fn words(r: &Reminder) -> (String, String) {
    let zone = crate::engine::viewer_zone_name();
    let zone =
        rally_core::jiff::tz::TimeZone::get(&zone).unwrap_or(rally_core::jiff::tz::TimeZone::UTC);
    let start = r.starts_at.to_zoned_datetime(zone.clone());
    let now = Timestamp::now().to_zoned_datetime(zone);
    let mut args = FluentArgs::new();
    args.set("when", dates::moment(language(), &start, &now));
    (r.title.clone(), message(language(), "reminder-body", &args))
}

/// Looks for due reminders every [`TICK`] and shows them, for the app's life.
pub fn watch<R: Runtime>(handle: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            let app: State<'_, App> = handle.state();
            let Ok(service) = app.service() else {
                tokio::time::sleep(TICK).await;
                continue;
            };
            let due = service
                .call(|s| s.take_due_reminders(Timestamp::now()))
                .await;
            match due {
                Ok(Ok(due)) => {
                    for r in &due {
                        let (title, body) = words(r);
                        if let Err(e) = handle
                            .notification()
                            .builder()
                            .title(title)
                            .body(body)
                            .show()
                        {
                            eprintln!("rally: a reminder could not be shown: {e}");
                        }
                    }
                }
                Ok(Err(e)) => eprintln!("rally: reminders: {e}"),
                Err(e) => eprintln!("rally: reminders: {e}"),
            }
            tokio::time::sleep(TICK).await;
        }
    });
}
