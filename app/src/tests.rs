//! The commands on Tauri's mock runtime (no window, no webview): each is invoked
//! through the IPC layer the UI uses, against a real store in a temporary
//! directory.

use rally_ipc::{self as ipc, Command, cmd};
use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
use tauri::webview::InvokeRequest;

use crate::App;

fn app(dir: &std::path::Path) -> tauri::WebviewWindow<tauri::test::MockRuntime> {
    let app = crate::with_commands(mock_builder())
        .manage(App::open(dir, true).unwrap())
        .build(mock_context(noop_assets()))
        .unwrap();
    tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap()
}

fn call(
    w: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    command: &str,
    args: Value,
) -> Result<Value, Value> {
    get_ipc_response(
        w,
        InvokeRequest {
            cmd: command.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(json!({ "args": args })),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|r| r.deserialize::<Value>().unwrap())
}

#[test]
fn commands_through_the_ipc_layer() {
    let dir = tempfile::tempdir().unwrap();
    let w = app(dir.path());

    let state: ipc::AppState =
        serde_json::from_value(call(&w, cmd::State::NAME, json!({})).unwrap()).unwrap();
    assert!(state.personas.is_empty());
    let err = call(&w, cmd::SaveEvent::NAME, json!(ipc::EventForm::default())).unwrap_err();
    assert_eq!(err["message"], "create a persona first", "{err}");

    call(&w, cmd::CreatePersona::NAME, json!({"name": "Camille"})).unwrap();
    let err = call(&w, cmd::CreatePersona::NAME, json!({"name": "Camille"})).unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("already exists"));

    let form = ipc::EventForm {
        title: "Assembly".into(),
        description: "**Bring** chairs <script>x()</script>".into(),
        starts: "2027-03-01T18:30".into(),
        time_zone: "Europe/Paris".into(),
        visibility: Some(ipc::Visibility::Public),
        ..Default::default()
    };
    let saved: ipc::Saved =
        serde_json::from_value(call(&w, cmd::SaveEvent::NAME, json!(form)).unwrap()).unwrap();
    let bad = ipc::EventForm {
        starts: "tomorrow".into(),
        ..form.clone()
    };
    assert!(call(&w, cmd::SaveEvent::NAME, json!(bad)).is_err());

    let list: Vec<ipc::EventItem> = serde_json::from_value(
        call(
            &w,
            cmd::Events::NAME,
            json!({"filter": "Upcoming", "text": "assembly"}),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].title, "Assembly");

    call(
        &w,
        cmd::Comment::NAME,
        json!({"id": saved.id, "body": "Count me in", "reply_to": null}),
    )
    .unwrap();
    let status = call(&w, cmd::Rsvp::NAME, json!({"id": saved.id, "going": true})).unwrap();
    assert_eq!(status, "going");
    let page: ipc::EventPage =
        serde_json::from_value(call(&w, cmd::Event::NAME, json!({"id": saved.id})).unwrap())
            .unwrap();
    assert_eq!(page.comments[0].body, "Count me in");
    assert_eq!(page.my_status, Some(ipc::ParticipationStatus::Going));
    assert!(page.description_html.contains("<strong>Bring</strong>"));
    assert!(!page.description_html.contains("script"));
    assert!(
        page.when_event.contains("6:30\u{202f}PM") && page.when_event.contains("Europe/Paris"),
        "{}",
        page.when_event
    );
    // The UI's language sets how the shell writes times.
    call(&w, cmd::SetLanguage::NAME, json!("Fr")).unwrap();
    let page: ipc::EventPage =
        serde_json::from_value(call(&w, cmd::Event::NAME, json!({"id": saved.id})).unwrap())
            .unwrap();
    call(&w, cmd::SetLanguage::NAME, json!("En")).unwrap();
    assert!(page.when_event.contains("18:30"), "{}", page.when_event);

    let group: String = serde_json::from_value(
        call(
            &w,
            cmd::CreateGroup::NAME,
            json!({"name": "Choir", "summary": "", "members_only": true}),
        )
        .unwrap(),
    )
    .unwrap();
    let invitation: ipc::Invitation =
        serde_json::from_value(call(&w, cmd::Invite::NAME, json!({"id": group})).unwrap()).unwrap();
    assert!(invitation.token.starts_with("rally-invite:"));
    assert!(invitation.qr_svg.contains("<svg"));
    call(
        &w,
        cmd::SendMessage::NAME,
        json!({"group": group, "text": "First rehearsal Tuesday", "reply_to": null}),
    )
    .unwrap();
    let page: ipc::GroupPage =
        serde_json::from_value(call(&w, cmd::Group::NAME, json!({"id": group})).unwrap()).unwrap();
    assert_eq!(page.messages[0].text, "First rehearsal Tuesday");
    assert!(page.messages[0].mine);

    let err = call(&w, cmd::JoinGroup::NAME, json!({"token": "not a token"})).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not a Rally invitation")
    );
    let err = call(
        &w,
        cmd::SetServer::NAME,
        json!({"address": "nonsense", "invite": ""}),
    )
    .unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not a server address")
    );

    // Follows, links, roles.
    let public: String = serde_json::from_value(
        call(
            &w,
            cmd::CreateGroup::NAME,
            json!({"name": "Cyclists", "summary": "", "members_only": false}),
        )
        .unwrap(),
    )
    .unwrap();
    let listed = ipc::EventForm {
        title: "Critical mass".into(),
        group: Some(public.clone()),
        ..form.clone()
    };
    call(&w, cmd::SaveEvent::NAME, json!(listed)).unwrap();
    let followed = |w: &tauri::WebviewWindow<tauri::test::MockRuntime>| -> Vec<String> {
        let list: Vec<ipc::EventItem> = serde_json::from_value(
            call(
                w,
                cmd::Events::NAME,
                json!({"filter": "Followed", "text": ""}),
            )
            .unwrap(),
        )
        .unwrap();
        list.into_iter().map(|e| e.title).collect()
    };
    assert!(followed(&w).is_empty());
    call(
        &w,
        cmd::FollowGroup::NAME,
        json!({"id": public, "follow": true}),
    )
    .unwrap();
    assert_eq!(followed(&w), ["Critical mass"]);
    call(
        &w,
        cmd::AddLink::NAME,
        json!({"group": public, "title": "Pad", "url": "https://pad.example/cyclists"}),
    )
    .unwrap();
    let err = call(
        &w,
        cmd::AddLink::NAME,
        json!({"group": public, "title": "Bad", "url": "javascript:alert(1)"}),
    )
    .unwrap_err();
    assert!(!err["message"].as_str().unwrap().is_empty());
    let page: ipc::GroupPage =
        serde_json::from_value(call(&w, cmd::Group::NAME, json!({"id": public})).unwrap()).unwrap();
    assert!(page.followed);
    assert_eq!(page.links[0].url, "https://pad.example/cyclists");
    let me = page.members[0].id.clone();
    let err = call(
        &w,
        cmd::SetRole::NAME,
        json!({"group": public, "member": me, "role": "member"}),
    )
    .unwrap_err();
    assert!(
        !err["message"].as_str().unwrap().is_empty(),
        "the last admin cannot step down"
    );
    call(
        &w,
        cmd::FollowGroup::NAME,
        json!({"id": public, "follow": false}),
    )
    .unwrap();
    assert!(followed(&w).is_empty());

    let ics: ipc::Saved =
        serde_json::from_value(call(&w, cmd::ExportIcs::NAME, json!({"id": saved.id})).unwrap())
            .unwrap();
    let text = std::fs::read_to_string(ics.path.unwrap()).unwrap();
    assert!(text.contains("BEGIN:VEVENT") && text.contains("SUMMARY:Assembly"));
    // In the event's own zone, which the file defines.
    assert!(
        text.contains("DTSTART;TZID=Europe/Paris:20270301T183000"),
        "{text}"
    );
    assert!(
        text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Paris"),
        "{text}"
    );
}

/// An event copied from the Fediverse (as a federating server makes them and
/// devices receive them): listed, opened with a link to where it comes from,
/// joined like any other (pending where its organiser approves).
#[test]
fn a_copied_event_is_browsed_and_joined() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = rally_store::Store::open(dir.path()).unwrap();
        let proxy = rally_core::Persona::generate();
        let mut details = rally_core::EventDetails::new(
            "Bike ride to the coast",
            rally_core::model::parse_civil("start", "2027-05-01T09:00").unwrap(),
            "Europe/Paris",
        );
        details.join_mode = rally_core::model::JoinMode::Approval;
        let (doc, _) = rally_core::Document::copy_event(
            &proxy,
            "Alice (@alice@mobilizon.example)",
            &details,
            "https://mobilizon.example/events/42",
            rally_core::jiff::Timestamp::now(),
        )
        .unwrap();
        store.insert_new(&doc).unwrap();
    }
    let w = app(dir.path());
    call(&w, cmd::CreatePersona::NAME, json!({"name": "Bea"})).unwrap();
    let list: Vec<ipc::EventItem> = serde_json::from_value(
        call(
            &w,
            cmd::Events::NAME,
            json!({"filter": "All", "text": "coast"}),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(list.len(), 1);
    let page: ipc::EventPage =
        serde_json::from_value(call(&w, cmd::Event::NAME, json!({"id": list[0].id})).unwrap())
            .unwrap();
    assert_eq!(
        page.origin.as_deref(),
        Some("https://mobilizon.example/events/42")
    );
    assert!(!page.can_edit);
    let status = call(
        &w,
        cmd::Rsvp::NAME,
        json!({"id": list[0].id, "going": true}),
    )
    .unwrap();
    assert_eq!(status, "pending");
}

/// Every command the IPC declares is one the shell answers (the names the UI
/// sends are the names the shell registered).
#[test]
fn every_declared_command_is_registered() {
    let dir = tempfile::tempdir().unwrap();
    let w = app(dir.path());
    for name in cmd::ALL {
        let answer = call(&w, name, json!({}));
        if let Err(err) = &answer {
            let text = err.to_string();
            assert!(
                !text.contains(&format!("command {name} not found")),
                "{name}: {text}"
            );
        }
    }
    let unknown = call(&w, "no_such_command", json!({})).unwrap_err();
    assert!(
        unknown.to_string().contains("not found"),
        "an unknown command is refused as such: {unknown}"
    );
}

#[test]
fn a_weekly_series_from_the_form_with_its_sentence_and_one_date_joined() {
    let dir = tempfile::tempdir().unwrap();
    let w = app(dir.path());
    call(&w, cmd::CreatePersona::NAME, json!({"name": "Camille"})).unwrap();
    call(&w, cmd::SetLanguage::NAME, json!(ipc::Language::En)).unwrap();
    // Every second Tuesday of the month at 19:00, from 9 March 2055, until June.
    let repeat = ipc::RepeatForm {
        freq: ipc::Frequency::Monthly,
        by_weekday: true,
        until: Some("2055-06-30".into()),
        ..Default::default()
    };
    let describe = |lang: ipc::Language| {
        call(&w, cmd::SetLanguage::NAME, json!(lang)).unwrap();
        call(
            &w,
            cmd::DescribeRepeat::NAME,
            json!(ipc::RepeatArgs {
                repeat: repeat.clone(),
                starts: "2055-03-09T19:00".into(),
                time_zone: "Europe/Paris".into(),
            }),
        )
        .unwrap()
    };
    let en = describe(ipc::Language::En);
    assert!(
        en.as_str()
            .unwrap()
            .starts_with("Every month on the second Tuesday at 7:00"),
        "{en}"
    );
    assert!(en.as_str().unwrap().contains("until"), "{en}");
    let fr = describe(ipc::Language::Fr);
    assert!(
        fr.as_str()
            .unwrap()
            .starts_with("Tous les mois, le deuxième mardi à 19:00 jusqu’au"),
        "{fr}"
    );
    call(&w, cmd::SetLanguage::NAME, json!(ipc::Language::En)).unwrap();
    let bad = ipc::RepeatArgs {
        repeat: ipc::RepeatForm {
            until: Some("next June".into()),
            ..repeat.clone()
        },
        starts: "2055-03-09T19:00".into(),
        time_zone: "Europe/Paris".into(),
    };
    assert!(call(&w, cmd::DescribeRepeat::NAME, json!(bad)).is_err());

    let form = ipc::EventForm {
        title: "Repair café".into(),
        starts: "2055-03-09T19:00".into(),
        ends: "2055-03-09T21:00".into(),
        time_zone: "Europe/Paris".into(),
        visibility: Some(ipc::Visibility::Public),
        repeat: Some(repeat.clone()),
        ..Default::default()
    };
    let saved: ipc::Saved =
        serde_json::from_value(call(&w, cmd::SaveEvent::NAME, json!(form)).unwrap()).unwrap();
    let page: ipc::EventPage = serde_json::from_value(
        call(
            &w,
            cmd::Event::NAME,
            json!(ipc::IdArgs {
                id: saved.id.clone()
            }),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(page.repeat, Some(repeat.clone()));
    assert!(
        page.repeat_sentence
            .unwrap()
            .starts_with("Every month on the second Tuesday")
    );
    // 9 March, 13 April, 11 May, 8 June 2055.
    let names: Vec<&str> = page.occurrences.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "2055-03-09T19:00:00",
            "2055-04-13T19:00:00",
            "2055-05-11T19:00:00",
            "2055-06-08T19:00:00"
        ]
    );
    // Join 11 May only; cancel 13 April.
    call(
        &w,
        cmd::Rsvp::NAME,
        json!(ipc::RsvpArgs {
            id: saved.id.clone(),
            going: true,
            occurrence: Some("2055-05-11T19:00:00".into()),
        }),
    )
    .unwrap();
    call(
        &w,
        cmd::SetOccurrence::NAME,
        json!(ipc::OccurrenceArgs {
            id: saved.id.clone(),
            occurrence: "2055-04-13T19:00:00".into(),
            cancelled: true,
        }),
    )
    .unwrap();
    let page: ipc::EventPage = serde_json::from_value(
        call(
            &w,
            cmd::Event::NAME,
            json!(ipc::IdArgs {
                id: saved.id.clone()
            }),
        )
        .unwrap(),
    )
    .unwrap();
    let o = &page.occurrences;
    assert_eq!(o[1].status, ipc::EventStatus::Cancelled);
    assert_eq!(o[2].mine, Some(ipc::ParticipationStatus::Going));
    assert_eq!((o[2].going, o[3].going), (1, 0));
    assert_eq!(page.my_status, None, "not the whole series");
    // The upcoming list shows each date.
    let list: Vec<ipc::EventItem> = serde_json::from_value(
        call(
            &w,
            cmd::Events::NAME,
            json!(ipc::EventsArgs {
                filter: ipc::EventFilter::Upcoming,
                area: None,
                text: String::new(),
                limit: 0,
                after: None,
            }),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(list.len(), 4);
    assert!(
        list.iter()
            .all(|i| i.id == saved.id && i.occurrence.is_some())
    );
}

#[test]
fn reminders_are_set_for_the_device_and_for_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let w = app(dir.path());
    call(&w, cmd::CreatePersona::NAME, json!({"name": "Camille"})).unwrap();
    let get = |w: &tauri::WebviewWindow<tauri::test::MockRuntime>| -> ipc::Reminders {
        serde_json::from_value(call(w, cmd::Reminders::NAME, json!(null)).unwrap()).unwrap()
    };
    assert_eq!(
        get(&w),
        ipc::Reminders {
            on: true,
            before: vec![60, 1440]
        }
    );
    let mine = ipc::Reminders {
        on: true,
        before: vec![15],
    };
    call(&w, cmd::SetReminders::NAME, json!(mine)).unwrap();
    assert_eq!(get(&w), mine);
    let too_early = ipc::Reminders {
        on: true,
        before: vec![60 * 24 * 60],
    };
    assert!(call(&w, cmd::SetReminders::NAME, json!(too_early)).is_err());
    let form = ipc::EventForm {
        title: "Picnic".into(),
        starts: "2055-03-01T12:00".into(),
        time_zone: "Europe/Paris".into(),
        visibility: Some(ipc::Visibility::Public),
        ..Default::default()
    };
    let saved: ipc::Saved =
        serde_json::from_value(call(&w, cmd::SaveEvent::NAME, json!(form)).unwrap()).unwrap();
    let page = |w: &tauri::WebviewWindow<tauri::test::MockRuntime>| -> ipc::EventPage {
        serde_json::from_value(
            call(
                w,
                cmd::Event::NAME,
                json!(ipc::IdArgs {
                    id: saved.id.clone()
                }),
            )
            .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(page(&w).reminders, None);
    call(
        &w,
        cmd::SetEventReminders::NAME,
        json!(ipc::EventRemindersArgs {
            id: saved.id.clone(),
            before: Some(Vec::new()),
        }),
    )
    .unwrap();
    assert_eq!(page(&w).reminders, Some(Vec::new()));
}
