use super::*;
use rally_core::Persona;

fn persona() -> PersonaId {
    Persona::generate().id()
}

fn refused(a: Admission) -> String {
    match a {
        Admission::Refused(r) => r,
        Admission::Admitted => panic!("admitted"),
    }
}

#[test]
fn each_mode_admits_whom_it_should() {
    for (dir, db) in crate::db::tests::each() {
        each_mode_admits_whom_it_should_in(&mut SqlRegistry::open_in(&db, dir.path()).unwrap());
    }
}

fn each_mode_admits_whom_it_should_in(reg: &mut SqlRegistry) {
    let now = Timestamp::now();
    assert_eq!(reg.mode().unwrap(), Mode::Invite, "the default mode");

    let (a, b, c) = (persona(), persona(), persona());
    let why = refused(admit(reg, &a, None, now).unwrap());
    assert!(why.contains("invitation"), "{why}");
    let why = refused(admit(reg, &a, Some("nope"), now).unwrap());
    assert!(why.contains("not valid"), "{why}");

    let invite = reg.create_invite(1, now).unwrap();
    let typed = invite.code.to_uppercase().replace('-', " ");
    assert_eq!(
        admit(reg, &a, Some(&typed), now).unwrap(),
        Admission::Admitted
    );
    let why = refused(admit(reg, &b, Some(&invite.code), now).unwrap());
    assert!(
        why.contains("not valid"),
        "a one-use code was used twice: {why}"
    );
    // Registered personas come back without a code.
    assert_eq!(admit(reg, &a, None, now).unwrap(), Admission::Admitted);

    let revoked = reg.create_invite(5, now).unwrap();
    assert!(reg.revoke_invite(&revoked.code).unwrap());
    refused(admit(reg, &b, Some(&revoked.code), now).unwrap());

    reg.set_mode(Mode::Open).unwrap();
    assert_eq!(admit(reg, &b, None, now).unwrap(), Admission::Admitted);

    reg.set_mode(Mode::Closed).unwrap();
    let why = refused(admit(reg, &c, None, now).unwrap());
    assert!(why.contains("does not accept"), "{why}");
    assert_eq!(admit(reg, &a, None, now).unwrap(), Admission::Admitted);
    assert_eq!(admit(reg, &b, None, now).unwrap(), Admission::Admitted);

    assert!(reg.remove_registration(&b).unwrap());
    refused(admit(reg, &b, None, now).unwrap());
    assert_eq!(reg.registrations().unwrap().len(), 1);
}

#[test]
fn the_mode_is_shared_with_another_connection_at_once() {
    for (dir, db) in crate::db::tests::each() {
        let server = SqlRegistry::open_in(&db, dir.path()).unwrap();
        let mut admin = SqlRegistry::open_in(&db, dir.path()).unwrap();
        admin.set_mode(Mode::Closed).unwrap();
        assert_eq!(server.mode().unwrap(), Mode::Closed);
    }
    assert!("sometimes".parse::<Mode>().is_err());
}

/// Everything else the registry keeps, on both backends; on PostgreSQL each
/// process keeps its own transport key (its own peer id) in its directory.
#[test]
fn the_rest_of_the_registry_is_kept_alike() {
    for (dir, db) in crate::db::tests::each() {
        let mut reg = SqlRegistry::open_in(&db, dir.path()).unwrap();
        let now = Timestamp::from_second(1_900_000_000).unwrap();
        let p = persona();
        assert!(reg.suspend(&p, now).unwrap());
        assert!(!reg.suspend(&p, now).unwrap(), "already suspended");
        assert!(reg.is_suspended(&p).unwrap());
        assert_eq!(reg.suspended().unwrap(), vec![(p, now.as_second())]);
        assert!(reg.unsuspend(&p).unwrap());
        assert!(!reg.is_suspended(&p).unwrap());

        let policy = Policy {
            rules: Some("Be kind.".into()),
            contact: Some("admin@example.org".into()),
        };
        reg.set_policy(&policy).unwrap();
        assert_eq!(reg.policy().unwrap(), policy);
        reg.set_policy(&Policy::default()).unwrap();
        assert_eq!(reg.policy().unwrap(), Policy::default());

        reg.set_admin_token_hash(&[1; 32]).unwrap();
        assert_eq!(reg.admin_token_hash().unwrap(), Some(vec![1; 32]));
        reg.add_admin_session(&[2; 32], 100).unwrap();
        assert!(reg.admin_session_open(&[2; 32], 99).unwrap());
        assert!(!reg.admin_session_open(&[2; 32], 100).unwrap(), "expired");
        reg.add_admin_session(&[3; 32], 100).unwrap();
        reg.set_admin_token_hash(&[4; 32]).unwrap();
        assert!(
            !reg.admin_session_open(&[3; 32], 1).unwrap(),
            "a new token signs everyone out"
        );
        reg.add_admin_session(&[5; 32], 100).unwrap();
        reg.end_admin_session(&[5; 32]).unwrap();
        assert!(!reg.admin_session_open(&[5; 32], 1).unwrap());

        let invite = reg.create_invite(3, now).unwrap();
        let listed = reg.invites().unwrap();
        assert_eq!(listed, vec![invite.clone()]);
        assert!(reg.consume_invite(&invite.code).unwrap());
        assert_eq!(reg.invites().unwrap()[0].uses_left, 2);

        assert!(reg.transport_key().unwrap().is_empty());
        reg.set_transport_key(b"key one").unwrap();
        assert_eq!(reg.transport_key().unwrap(), b"key one");
        let other = tempfile::tempdir().unwrap();
        let mut second = SqlRegistry::open_in(&db, other.path()).unwrap();
        let expected: &[u8] = if db.is_postgres() { b"" } else { b"key one" };
        assert_eq!(
            second.transport_key().unwrap(),
            expected,
            "{db:?}: a second process on the database has a key of its own"
        );
    }
}

/// Two processes on one database using an invitation's last use at once: one
/// gets it.
#[test]
fn an_invitations_last_use_goes_to_one_process() {
    for (dir, db) in crate::db::tests::each() {
        let mut reg = SqlRegistry::open_in(&db, dir.path()).unwrap();
        for _ in 0..20 {
            let code = reg.create_invite(1, Timestamp::now()).unwrap().code;
            let won: usize = std::thread::scope(|s| {
                let tries: Vec<_> = (0..2)
                    .map(|_| {
                        let (db, code, dir) = (&db, &code, dir.path());
                        s.spawn(move || {
                            SqlRegistry::open_in(db, dir)
                                .unwrap()
                                .consume_invite(code)
                                .unwrap()
                        })
                    })
                    .collect();
                tries
                    .into_iter()
                    .map(|t| usize::from(t.join().unwrap()))
                    .sum()
            });
            assert_eq!(won, 1, "{db:?}");
        }
    }
}

#[test]
fn a_file_that_is_not_a_registry_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(REGISTRY_FILE),
        b"not a database, just text, long enough to be read",
    )
    .unwrap();
    let err = SqlRegistry::open(dir.path()).unwrap_err();
    assert!(matches!(err, RegistryError::NotADatabase { .. }), "{err}");
}
