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

/// An event's page as the UI asks for it.
fn event_page(w: &tauri::WebviewWindow<tauri::test::MockRuntime>, id: &str) -> ipc::EventPage {
    serde_json::from_value(call(w, cmd::Event::NAME, json!({ "id": id })).unwrap()).unwrap()
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
    let page = event_page(&w, &saved.id);
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
    let page = event_page(&w, &saved.id);
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
    let page = event_page(&w, &saved.id);
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
    let page = event_page(&w, &saved.id);
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
    // 11 May moves to the library half an hour earlier, it and what follows.
    assert_eq!(o[2].starts, "2055-05-11T19:00");
    call(
        &w,
        cmd::EditOccurrence::NAME,
        json!(ipc::OccurrenceEdit {
            id: saved.id.clone(),
            occurrence: "2055-05-11T19:00:00".into(),
            following: true,
            title: String::new(),
            starts: "2055-05-11T18:30".into(),
            ends: String::new(),
            place: "Library".into(),
        }),
    )
    .unwrap();
    // 9 March alone gets another title; a blank place keeps the series'.
    call(
        &w,
        cmd::EditOccurrence::NAME,
        json!(ipc::OccurrenceEdit {
            id: saved.id.clone(),
            occurrence: "2055-03-09T19:00:00".into(),
            following: false,
            title: "Spring assembly".into(),
            starts: "2055-03-09T19:00".into(),
            ends: String::new(),
            place: String::new(),
        }),
    )
    .unwrap();
    let page = event_page(&w, &saved.id);
    let o = &page.occurrences;
    let seen: Vec<(&str, &str, Option<&str>, bool)> = o
        .iter()
        .map(|o| {
            (
                o.starts.as_str(),
                o.title.as_str(),
                o.place.as_deref(),
                o.changed,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("2055-03-09T19:00", "Spring assembly", None, true),
            ("2055-04-13T19:00", "Repair café", None, true),
            ("2055-05-11T18:30", "Repair café", Some("Library"), true),
            ("2055-06-08T18:30", "Repair café", Some("Library"), true),
        ]
    );
    assert_eq!(o[1].status, ipc::EventStatus::Cancelled);
    // A time that is no date is refused, and nothing changes.
    let bad = call(
        &w,
        cmd::EditOccurrence::NAME,
        json!(ipc::OccurrenceEdit {
            id: saved.id.clone(),
            occurrence: "2055-06-08T19:00:00".into(),
            following: false,
            title: String::new(),
            starts: "soon".into(),
            ends: String::new(),
            place: String::new(),
        }),
    );
    assert!(bad.is_err());
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
    let page = |w: &tauri::WebviewWindow<tauri::test::MockRuntime>| event_page(w, &saved.id);
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

#[test]
fn a_member_reports_a_comment_and_the_admin_bans_its_author_from_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let w = app(dir.path());
    let persona_id = |w: &tauri::WebviewWindow<tauri::test::MockRuntime>, name: &str| -> String {
        let state: ipc::AppState =
            serde_json::from_value(call(w, cmd::State::NAME, json!(null)).unwrap()).unwrap();
        state
            .personas
            .into_iter()
            .find(|p| p.name == name)
            .unwrap()
            .id
    };
    let switch = |w: &tauri::WebviewWindow<tauri::test::MockRuntime>, name: &str| {
        let id = persona_id(w, name);
        call(w, cmd::SwitchPersona::NAME, json!({ "id": id })).unwrap();
    };
    call(&w, cmd::CreatePersona::NAME, json!({"name": "Ana"})).unwrap();
    let group: String = serde_json::from_value(
        call(
            &w,
            cmd::CreateGroup::NAME,
            json!({"name": "Choir", "summary": "", "members_only": false}),
        )
        .unwrap(),
    )
    .unwrap();
    let form = ipc::EventForm {
        title: "Rehearsal".into(),
        starts: "2055-03-01T19:00".into(),
        time_zone: "Europe/Paris".into(),
        visibility: Some(ipc::Visibility::Public),
        group: Some(group.clone()),
        ..Default::default()
    };
    let event: ipc::Saved =
        serde_json::from_value(call(&w, cmd::SaveEvent::NAME, json!(form)).unwrap()).unwrap();
    let invitation: ipc::Invitation =
        serde_json::from_value(call(&w, cmd::Invite::NAME, json!({ "id": group })).unwrap())
            .unwrap();
    for name in ["Ben", "Cleo"] {
        call(&w, cmd::CreatePersona::NAME, json!({ "name": name })).unwrap();
        switch(&w, name);
        call(&w, cmd::JoinGroup::NAME, json!({"token": invitation.token})).unwrap();
    }
    switch(&w, "Ben");
    let comment: String = serde_json::from_value(
        call(
            &w,
            cmd::Comment::NAME,
            json!({"id": event.id, "body": "Buy my CDs", "reply_to": null}),
        )
        .unwrap(),
    )
    .unwrap();
    // Cleo reports it to the group's moderators: Ana only (Ben is whom it is about).
    switch(&w, "Cleo");
    let report = ipc::ReportArgs {
        kind: ipc::ReportKind::Comment,
        id: format!("{}/{comment}", event.id),
        group: None,
        reason: ipc::ReportReason::Spam,
        text: "Ads again".into(),
        moderators: true,
        admins: false,
    };
    let sent: ipc::ReportSent =
        serde_json::from_value(call(&w, cmd::Report::NAME, json!(report)).unwrap()).unwrap();
    assert_eq!(sent.moderators, Some(1));
    // Nobody to send it to is an error.
    let nowhere = ipc::ReportArgs {
        moderators: false,
        ..report.clone()
    };
    assert!(call(&w, cmd::Report::NAME, json!(nowhere)).is_err());
    // Cleo is no moderator: she sees no reports.
    let seen = |w: &tauri::WebviewWindow<tauri::test::MockRuntime>| -> ipc::GroupModeration {
        serde_json::from_value(call(w, cmd::GroupModeration::NAME, json!({ "id": group })).unwrap())
            .unwrap()
    };
    assert!(seen(&w).reports.is_empty());
    switch(&w, "Ana");
    let m = seen(&w);
    assert_eq!(m.reports.len(), 1, "{m:?}");
    let r = &m.reports[0];
    assert_eq!(
        (r.reporter.as_str(), r.about.as_str(), r.text.as_str()),
        ("Cleo", "Buy my CDs", "Ads again")
    );
    let (ben, ben_name) = r.author.clone().unwrap();
    assert_eq!(ben_name, "Ben");
    call(
        &w,
        cmd::Ban::NAME,
        json!(ipc::BanArgs {
            group: group.clone(),
            persona: ben.clone(),
            reason: Some(ipc::ReportReason::Spam),
            note: "ads".into(),
            banned: true,
        }),
    )
    .unwrap();
    let m = seen(&w);
    assert_eq!(m.bans.len(), 1);
    assert_eq!(m.bans[0].name, "Ben");
    assert_eq!(m.log[0].action, ipc::ModAction::Ban);
    assert_eq!(m.log[0].target, "Ben");
    assert_eq!(m.log[0].by, "Ana");
    let page = event_page(&w, &event.id);
    assert!(page.comments[0].hidden);
    assert_eq!(page.comments[0].body, "");
    // Lifted: the comment shows again.
    call(
        &w,
        cmd::Ban::NAME,
        json!(ipc::BanArgs {
            group: group.clone(),
            persona: ben,
            reason: None,
            note: String::new(),
            banned: false,
        }),
    )
    .unwrap();
    let page = event_page(&w, &event.id);
    assert!(!page.comments[0].hidden);
    assert_eq!(seen(&w).log[0].action, ipc::ModAction::Unban);

    // Dora asks to join; Ana lets her in.
    call(&w, cmd::CreatePersona::NAME, json!({"name": "Dora"})).unwrap();
    switch(&w, "Dora");
    call(&w, cmd::RequestToJoin::NAME, json!({ "id": group })).unwrap();
    let page: ipc::GroupPage =
        serde_json::from_value(call(&w, cmd::Group::NAME, json!({ "id": group })).unwrap())
            .unwrap();
    assert!(page.requested && page.my_role.is_none());
    switch(&w, "Ana");
    let m = seen(&w);
    assert_eq!(m.requests.len(), 1);
    assert_eq!(m.requests[0].name, "Dora");
    call(
        &w,
        cmd::AnswerRequest::NAME,
        json!(ipc::AnswerArgs {
            group: group.clone(),
            persona: m.requests[0].persona.clone(),
            accept: true
        }),
    )
    .unwrap();
    let m = seen(&w);
    assert!(m.requests.is_empty());
    assert_eq!(m.log[0].action, ipc::ModAction::ApproveMember);
    assert_eq!(m.log[0].target, "Dora");

    // A moderator takes the event off the group's page; members are not offered it.
    assert_eq!(event_page(&w, &event.id).listed, Some(true));
    call(
        &w,
        cmd::ListInGroup::NAME,
        json!(ipc::ListingArgs {
            group: group.clone(),
            event: event.id.clone(),
            listed: false
        }),
    )
    .unwrap();
    assert_eq!(event_page(&w, &event.id).listed, Some(false));
    let m = seen(&w);
    assert_eq!(m.log[0].action, ipc::ModAction::UnlistEvent);
    assert_eq!(m.log[0].target, "Rehearsal");
    switch(&w, "Dora");
    assert_eq!(event_page(&w, &event.id).listed, None);
}

#[test]
fn a_pasted_pairing_code_is_read_or_refused_clearly_and_the_code_waits_for_the_node() {
    let dir = tempfile::tempdir().unwrap();
    let w = app(dir.path());
    // No node (the mock app is offline): no code yet.
    assert_eq!(
        call(&w, cmd::Pairing::NAME, json!({})).unwrap(),
        Value::Null
    );
    let err = call(&w, cmd::Pair::NAME, json!({"text": "hello"})).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("not a Rally pairing code"),
        "{err}"
    );
    let peer = "12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo";
    let text = format!(
        "rally://pair?a=/ip4/192.168.1.20/udp/5000/quic-v1/p2p/{peer}&a=/ip4/192.168.1.20/tcp/5001/p2p/{peer}"
    );
    let dialled = call(&w, cmd::Pair::NAME, json!({ "text": text })).unwrap();
    assert_eq!(dialled, json!(2));
    // Going to the background and back is accepted at any time.
    for visible in [false, true] {
        call(&w, cmd::SetForeground::NAME, json!({ "visible": visible })).unwrap();
    }
    let status: ipc::SyncStatus =
        serde_json::from_value(call(&w, cmd::SyncStatus::NAME, json!({})).unwrap()).unwrap();
    assert!(!status.running);
}

#[test]
fn a_wipe_through_the_ipc_needs_its_yes() {
    let dir = tempfile::tempdir().unwrap();
    let w = app(dir.path());
    call(&w, cmd::CreatePersona::NAME, json!({"name": "Ana"})).unwrap();
    let err = call(&w, cmd::Wipe::NAME, json!({"yes": false})).unwrap_err();
    assert_eq!(err["message"], "a wipe must be confirmed", "{err}");
    assert!(call(&w, cmd::Wipe::NAME, json!({})).is_err());
    assert!(dir.path().join("rally.db").exists(), "nothing wiped");
}
