use super::*;

fn group() -> DocId {
    DocId(random_bytes())
}

fn message(text: &str) -> Content {
    Content::Message {
        text: text.into(),
        reply_to: None,
        at: 1,
    }
}

#[test]
fn a_sealed_message_opens_with_its_key_only() {
    let alice = Persona::generate();
    let log = log_id(&group());
    let epoch = EpochSecret::generate();
    let env = Envelope::seal(&log, &alice, vec![], &epoch, &message("meet at the square")).unwrap();
    let signed = env.sign(&alice);
    assert!(is_envelope(&signed.bytes));
    let text = String::from_utf8_lossy(&signed.bytes);
    assert!(!text.contains("square"), "plaintext in the envelope");
    let back = Envelope::verify(&signed).unwrap();
    assert_eq!(
        back.open(&epoch.chat_key()).unwrap(),
        message("meet at the square")
    );
    assert_eq!(
        back.open(&epoch.document_key()),
        Err(SealError::Undecryptable)
    );
    let other = EpochSecret::generate();
    assert_eq!(back.open(&other.chat_key()), Err(SealError::Undecryptable));
}

/// An expiring item travels in the detachable form; its stub keeps the id and
/// the signature, and its expiry is bound to the ciphertext.
#[test]
fn an_expiring_message_detaches_to_a_stub_with_the_same_id() {
    let alice = Persona::generate();
    let log = log_id(&group());
    let epoch = EpochSecret::generate();
    let env = Envelope::seal_expiring(
        &log,
        &alice,
        vec![[3; 32]],
        &epoch,
        &message("gone by noon"),
        Some(5_000),
    )
    .unwrap();
    let signed = env.sign(&alice);
    assert!(signed.bytes.starts_with(&detachable::MAGIC));
    assert!(is_envelope(&signed.bytes));
    let back = Envelope::verify(&signed).unwrap();
    assert_eq!(back.expires, Some(5_000));
    assert!(!back.expired(4_999) && back.expired(5_000));
    assert_eq!(
        back.open(&epoch.chat_key()).unwrap(),
        message("gone by noon")
    );

    let stub = SignedChange {
        bytes: stub_of(&signed.bytes).expect("a body to detach"),
        ..signed.clone()
    };
    assert_eq!(envelope_hash(&stub.bytes), envelope_hash(&signed.bytes));
    let s = Envelope::verify(&stub).expect("the signature covers the stub");
    assert!(s.is_stub());
    assert_eq!((s.deps.clone(), s.expires), (vec![[3; 32]], Some(5_000)));
    assert_eq!(s.open(&epoch.chat_key()), Err(SealError::Malformed));
    assert_eq!(stub_of(&stub.bytes), None);

    // A later expiry under the same ciphertext, re-signed by its author, does
    // not open: the time is part of what was sealed.
    let mut moved = back.clone();
    moved.expires = Some(9_000);
    let moved = Envelope::verify(&moved.sign(&alice)).unwrap();
    assert_eq!(moved.open(&epoch.chat_key()), Err(SealError::Undecryptable));
    // Nor does it open as a lasting one.
    let mut lasting = back.clone();
    lasting.expires = None;
    let lasting = Envelope::verify(&lasting.sign(&alice)).unwrap();
    assert_eq!(
        lasting.open(&epoch.chat_key()),
        Err(SealError::Undecryptable)
    );

    // Only chat items expire; a first-form envelope has no stub.
    let change = Content::Blob { bytes: vec![1] };
    assert_eq!(
        Envelope::seal_expiring(&log, &alice, vec![], &epoch, &change, Some(1)),
        Err(SealError::Seal)
    );
    let plain = Envelope::seal(&log, &alice, vec![], &epoch, &message("stays")).unwrap();
    assert_eq!(stub_of(&plain.sign(&alice).bytes), None);
}

#[test]
fn tampering_is_detected() {
    let alice = Persona::generate();
    let log = log_id(&group());
    let epoch = EpochSecret::generate();
    let env = Envelope::seal(&log, &alice, vec![[7; 32]], &epoch, &message("hello")).unwrap();
    let signed = env.sign(&alice);

    // A flipped byte anywhere breaks the signature.
    for i in [5, signed.bytes.len() / 2, signed.bytes.len() - 1] {
        let mut bad = signed.clone();
        bad.bytes[i] ^= 1;
        assert!(Envelope::verify(&bad).is_err(), "byte {i}");
    }
    // Re-signed by someone else under their own name: the header (author) is bound
    // to the ciphertext, so it no longer opens.
    let mallory = Persona::generate();
    let mut stolen = env.clone();
    stolen.author = mallory.id().0;
    let resigned = stolen.sign(&mallory);
    let opened = Envelope::verify(&resigned).unwrap();
    assert_eq!(
        opened.open(&epoch.chat_key()),
        Err(SealError::Undecryptable)
    );
    // Moved to another position in the log (other deps): does not open either.
    let mut moved = env.clone();
    moved.deps = vec![];
    assert_eq!(moved.open(&epoch.chat_key()), Err(SealError::Undecryptable));
    // Claimed by another author without their key: bad signature.
    let mut forged = signed.clone();
    forged.author = mallory.id();
    assert_eq!(Envelope::verify(&forged), Err(EnvelopeError::WrongAuthor));
    // Replayed into another log.
    let mut elsewhere = signed.clone();
    elsewhere.doc = log_id(&group());
    assert_eq!(Envelope::verify(&elsewhere), Err(EnvelopeError::WrongLog));
}

#[test]
fn malformed_and_oversize_envelopes_are_refused() {
    let alice = Persona::generate();
    let mut signed = Envelope::seal(
        &log_id(&group()),
        &alice,
        vec![],
        &EpochSecret::generate(),
        &message("x"),
    )
    .unwrap()
    .sign(&alice);
    signed.bytes.truncate(10);
    assert_eq!(Envelope::verify(&signed), Err(EnvelopeError::Malformed));
    signed.bytes = vec![0; MAX_ENVELOPE + 1];
    assert!(matches!(
        Envelope::verify(&signed),
        Err(EnvelopeError::TooLarge(_))
    ));
    assert_eq!(Envelope::decode(b"not one"), Err(EnvelopeError::Malformed));
}

#[test]
fn a_grant_opens_for_its_recipients_only() {
    let admin = Persona::generate();
    let bob = Persona::generate();
    let carol = Persona::generate();
    let eve = Persona::generate();
    let g = group();
    let log = log_id(&g);
    let epoch = EpochSecret::generate();
    let grant = Grant {
        group: g.0,
        epoch: Some(epoch.0),
        members: vec![admin.id().0, bob.id().0, carol.id().0],
        document_keys: vec![],
        history: vec![],
    };
    let recipients: Vec<[u8; 32]> = [&admin, &bob, &carol]
        .iter()
        .map(|p| recipient_key(&p.id()).unwrap())
        .collect();
    let env = Envelope::grant(&log, &admin, vec![], &grant, &recipients).unwrap();
    let signed = env.sign(&admin);
    let env = Envelope::verify(&signed).unwrap();
    for p in [&admin, &bob, &carol] {
        let opened = env
            .open_grant(&recipient_secret(&p.secret_bytes()))
            .unwrap();
        assert_eq!(opened.epoch, Some(epoch.0));
    }
    assert!(
        env.open_grant(&recipient_secret(&eve.secret_bytes()))
            .is_none()
    );
    // The boxes do not name their recipients.
    let bytes = signed.bytes.clone();
    for p in [&bob, &carol] {
        let id = p.id().0;
        assert!(!bytes.windows(32).any(|w| w == id));
        let x = recipient_key(&p.id()).unwrap();
        assert!(!bytes.windows(32).any(|w| w == x));
    }
}

#[test]
fn an_invitation_secret_opens_its_grant() {
    let admin = Persona::generate();
    let invite_secret: [u8; 32] = random_bytes();
    let g = group();
    let grant = Grant {
        group: g.0,
        epoch: None,
        members: vec![],
        document_keys: vec![([1; 16], [2; 32])],
        history: vec![],
    };
    let env = Envelope::grant(
        &log_id(&g),
        &admin,
        vec![],
        &grant,
        &[recipient_key_of_secret(&invite_secret)],
    )
    .unwrap();
    let opened = env.open_grant(&recipient_secret(&invite_secret)).unwrap();
    assert_eq!(opened.document_keys, vec![([1; 16], [2; 32])]);
}

#[test]
fn epoch_keys_are_distinct_and_stable() {
    let e = EpochSecret([9; 32]);
    assert_ne!(e.chat_key(), e.document_key());
    assert_eq!(e.id(), EpochSecret([9; 32]).id());
    assert_ne!(e.id(), EpochSecret([8; 32]).id());
    assert_ne!(log_id(&DocId([1; 32])), log_id(&DocId([2; 32])));
}

#[test]
fn a_report_opens_for_the_moderators_it_was_sealed_to_and_nobody_else() {
    use crate::moderation::Reason;
    use crate::moderation::report::{Opened, Report, Target};
    let (reporter, moderator, admin, member) = (
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
    );
    let g = group();
    let log = log_id(&g);
    let report = Report::new(
        g,
        Target::Comment([9; 32], "abc123".into()),
        Reason::Harassment,
        "threatens a member",
        5,
    );
    let to: Vec<[u8; 32]> = [&moderator, &admin]
        .iter()
        .map(|p| recipient_key(&p.id()).unwrap())
        .collect();
    let signed = Envelope::report(&log, &reporter, vec![], &report, &to).unwrap();
    assert!(!String::from_utf8_lossy(&signed.bytes).contains("threatens"));
    // A relay checks it as any envelope; it is not signed by the reporter,
    // nor by the same key twice.
    let back = Envelope::verify(&signed).unwrap();
    assert_ne!(signed.author, reporter.id());
    assert_ne!(back.author, reporter.id().0);
    let again = Envelope::report(&log, &reporter, vec![], &report, &to).unwrap();
    assert_ne!(again.author, signed.author);
    let secret = |p: &Persona| recipient_secret(&p.secret_bytes());
    let opened = Opened {
        reporter: reporter.id(),
        report: report.clone(),
    };
    assert_eq!(back.open_report(&secret(&moderator)), Some(opened.clone()));
    assert_eq!(back.open_report(&secret(&admin)), Some(opened.clone()));
    assert_eq!(back.open_report(&secret(&member)), None);
    assert_eq!(back.open_report(&secret(&reporter)), None);
    // Moved to another log, or claimed by another author, it opens for nobody.
    let mut moved = back.clone();
    moved.log = log_id(&group()).0;
    assert_eq!(moved.open_report(&secret(&moderator)), None);
    let mut claimed = back.clone();
    claimed.author = member.id().0;
    assert_eq!(claimed.open_report(&secret(&moderator)), None);
    // A report too long to be honest is refused when opened.
    let long = Report::new(
        g,
        Target::Persona([1; 32]),
        Reason::Spam,
        &"x".repeat(5_000),
        5,
    );
    let env =
        Envelope::verify(&Envelope::report(&log, &reporter, vec![], &long, &to).unwrap()).unwrap();
    assert_eq!(env.open_report(&secret(&moderator)), None);
}

/// Boxes `value` as a report's body to `to`, in an envelope by `carrier`.
/// `what` is the boxes' label: `REPORT_SIGNED`, or `"report"` for the first form.
fn report_envelope(
    log: &DocId,
    carrier: &Persona,
    what: &str,
    value: &impl Serialize,
    to: &[[u8; 32]],
) -> Envelope {
    let (mut envelope, boxes) = Envelope::boxed(log, carrier, vec![], what, value, to).unwrap();
    envelope.body = Body::Report { boxes };
    envelope
}

#[test]
fn a_report_names_its_reporter_only_with_the_reporters_signature() {
    use crate::moderation::Reason;
    use crate::moderation::report::{Report, Sealed, Target};
    let (reporter, moderator, impostor) = (
        Persona::generate(),
        Persona::generate(),
        Persona::generate(),
    );
    let g = group();
    let log = log_id(&g);
    let to = [recipient_key(&moderator.id()).unwrap()];
    let secret = recipient_secret(&moderator.secret_bytes());
    let report = Report::new(g, Target::Persona([1; 32]), Reason::Spam, "spam", 5);
    let carrier = Persona::generate();
    let honest = Sealed::new(&log.0, &carrier.id(), &reporter, &report);
    let opened = report_envelope(&log, &carrier, REPORT_SIGNED, &honest, &to).open_report(&secret);
    assert_eq!(opened.map(|o| o.reporter), Some(reporter.id()));
    // Someone else's name on a report, without their signature.
    let mut forged = honest.clone();
    forged.reporter = impostor.id().0;
    assert_eq!(
        report_envelope(&log, &carrier, REPORT_SIGNED, &forged, &to).open_report(&secret),
        None
    );
    // The reporter's signature, put in another envelope or another log.
    let other = Persona::generate();
    assert_eq!(
        report_envelope(&log, &other, REPORT_SIGNED, &honest, &to).open_report(&secret),
        None
    );
    let elsewhere = log_id(&group());
    assert_eq!(
        report_envelope(&elsewhere, &carrier, REPORT_SIGNED, &honest, &to).open_report(&secret),
        None
    );
    // The report changed under the signature.
    let mut changed = honest.clone();
    changed.report.text = "nothing".into();
    assert_eq!(
        report_envelope(&log, &carrier, REPORT_SIGNED, &changed, &to).open_report(&secret),
        None
    );
    // The first form (the report alone, signed by its reporter as the
    // envelope's author) still names that author.
    let first = report_envelope(&log, &reporter, "report", &report, &to).open_report(&secret);
    assert_eq!(first.map(|o| o.reporter), Some(reporter.id()));
    // A device that knows only the first form cannot open the signed one (it
    // would take the one-time key for the reporter).
    let signed =
        Envelope::verify(&Envelope::report(&log, &reporter, vec![], &report, &to).unwrap())
            .unwrap();
    let Body::Report { boxes } = &signed.body else {
        panic!("a report's body");
    };
    let first_form_info = Envelope::boxes_info("report", &log.0);
    assert!(open_boxes(&first_form_info, boxes, &signed.author, &secret).is_none());
}
